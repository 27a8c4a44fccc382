package dev.prosper.plugin.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.artefact.ArtefactException;
import dev.prosper.plugin.runtime.Djl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.core.rest.RestStatus;

/**
 * Where artefacts live on a node ({@code config/prosper/models/}) and how a registration is
 * checked. Nothing is ever fetched from the network.
 */
public final class ModelFiles {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path root;

  public ModelFiles(Path configDirectory) {
    this.root = configDirectory.resolve("prosper").resolve("models").toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /**
   * Resolves a registered path inside the models directory.
   *
   * @throws OpenSearchStatusException (400) when the path is empty, absolute, leaves the models
   *     directory or does not exist
   */
  public Path resolve(String relative) {
    if (relative == null || relative.isBlank()) {
      throw badRequest("[path] is required: an artefact directory or zip under [%s]", root);
    }
    Path given;
    try {
      given = Path.of(relative);
    } catch (InvalidPathException e) {
      throw badRequest("[path] [%s] is not a valid path: %s", relative, e.getMessage());
    }
    if (given.isAbsolute()) {
      throw badRequest("[path] [%s] must be relative to the models directory [%s]", relative, root);
    }
    Path resolved = root.resolve(given).normalize();
    if (!resolved.startsWith(root) || resolved.equals(root)) {
      throw badRequest("[path] [%s] leaves the models directory [%s]", relative, root);
    }
    if (!Files.exists(resolved)) {
      throw badRequest(
          "[path] [%s] does not exist: copy the artefact to [%s] on every node",
          relative, resolved);
    }
    return resolved;
  }

  /**
   * Checks an artefact (format, configs, checksums, shapes) and describes it as a registry entry.
   *
   * @throws OpenSearchStatusException (400) naming the problem
   */
  public ModelEntry describe(String id, String relative, String description, long now) {
    Path path = resolve(relative);
    Artefact.Manifest manifest;
    try {
      manifest = inspect(path);
    } catch (ArtefactException e) {
      throw badRequest("model [%s]: %s", id, e.getMessage());
    } catch (IOException | RuntimeException e) {
      throw badRequest(
          "model [%s]: cannot read the artefact at [%s]: %s", id, relative, e.toString());
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> head = JSON.convertValue(manifest.head(), Map.class);
    return new ModelEntry(
        id,
        relative,
        description,
        manifest.weightsSha256(),
        manifest.tokenizerSha256(),
        manifest.backbone().architecture(),
        manifest.vocabularySize(),
        head,
        now);
  }

  /**
   * {@link Artefact#inspect} with the plugin's class loader as context (the tokenizer is DJL's).
   */
  public Artefact.Manifest inspect(Path path) throws IOException {
    return Djl.call(() -> Artefact.inspect(path));
  }

  static OpenSearchStatusException badRequest(String format, Object... args) {
    return new OpenSearchStatusException(
        String.format(java.util.Locale.ROOT, format, args), RestStatus.BAD_REQUEST);
  }
}
