package dev.prosper.encoder.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The lower-case ids by which settings and options name enum constants. */
final class Choices {

  private Choices() {}

  static String id(Enum<?> choice) {
    return choice.name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param field the setting or option named in the error
   * @throws IllegalArgumentException naming the allowed values
   */
  static <E extends Enum<E>> E of(E[] values, String field, String value) {
    for (E choice : values) {
      if (id(choice).equals(value)) {
        return choice;
      }
    }
    String allowed = Arrays.stream(values).map(Choices::id).collect(Collectors.joining(" or "));
    throw new IllegalArgumentException(
        "[" + field + "] must be " + allowed + ", got [" + value + "]");
  }
}
