package dev.prosper.plugin.registry;

import java.util.regex.Pattern;
import org.opensearch.action.ActionRequestValidationException;

/** Model ids: what a user may name a model. */
final class ModelIds {

  private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");

  private ModelIds() {}

  static ActionRequestValidationException validate(
      String id, ActionRequestValidationException errors) {
    if (id == null || !VALID.matcher(id).matches()) {
      ActionRequestValidationException result =
          errors == null ? new ActionRequestValidationException() : errors;
      result.addValidationError(
          "[model_id] ["
              + id
              + "] is invalid: use 1 to 128 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit");
      return result;
    }
    return errors;
  }
}
