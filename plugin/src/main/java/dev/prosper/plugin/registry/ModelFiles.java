package dev.prosper.plugin.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.artefact.ArtefactException;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.model.QueryRuntime;
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

  /** How messages name the models directory: never the node's absolute path. */
  static final String SHOWN_ROOT = "config/prosper/models/";

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
      throw badRequest("[path] is required: an artefact directory or zip under [%s]", SHOWN_ROOT);
    }
    Path given;
    try {
      given = Path.of(relative);
    } catch (InvalidPathException e) {
      throw badRequest("[path] [%s] is not a valid path: %s", relative, e.getMessage());
    }
    if (given.isAbsolute()) {
      throw badRequest(
          "[path] [%s] must be relative to the models directory [%s]", relative, SHOWN_ROOT);
    }
    Path resolved = root.resolve(given).normalize();
    if (!resolved.startsWith(root) || resolved.equals(root)) {
      throw badRequest("[path] [%s] leaves the models directory [%s]", relative, SHOWN_ROOT);
    }
    if (!Files.exists(resolved)) {
      throw badRequest(
          "[path] [%s] does not exist: copy the artefact to [%s%s] on every node",
          relative, SHOWN_ROOT, relative);
    }
    // The lexical check above cannot see links: a link inside the directory may point anywhere.
    try {
      Path real = resolved.toRealPath();
      if (!real.startsWith(root.toRealPath())) {
        throw badRequest(
            "[path] [%s] is a link that leaves the models directory [%s]; copy the artefact there",
            relative, SHOWN_ROOT);
      }
    } catch (IOException e) {
      throw badRequest("[path] [%s] cannot be read: %s", relative, hidePaths(e.getMessage()));
    }
    return resolved;
  }

  /**
   * Checks an artefact (format, configs, checksums, shapes) and describes it as a registry entry.
   *
   * @throws OpenSearchStatusException (400) naming the problem
   */
  public ModelEntry describe(
      String id, String relative, String description, long now, int batchSize) {
    Path path = resolve(relative);
    Artefact.Manifest manifest;
    try {
      manifest = inspect(path);
    } catch (ArtefactException e) {
      throw badRequest("model [%s]: %s", id, hidePaths(e.getMessage()));
    } catch (IOException | RuntimeException e) {
      throw badRequest(
          "model [%s]: cannot read the artefact at [%s]: %s",
          id, relative, hidePaths(String.valueOf(e.getMessage())));
    }
    String memory = memoryProblem(manifest, batchSize);
    if (memory != null) {
      throw badRequest("model [%s]: %s", id, memory);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> head = JSON.convertValue(manifest.head(), Map.class);
    return new ModelEntry(
        id,
        relative,
        description,
        manifest.weightsSha256(),
        manifest.tokenizerSha256(),
        manifest.manifestSha256(),
        manifest.backbone().architecture(),
        manifest.vocabularySize(),
        head,
        now);
  }

  /**
   * Bytes outside the JVM heap that one forward pass of {@code batchSize} texts at the head's max
   * length needs (the widest per-position layers: a few hidden-size-wide arrays and the
   * feed-forward layer, about 16 times the hidden size, or the vocabulary projection when every
   * position is pooled), plus the copies of the two vocabulary projections that queries use under
   * last pooling ({@code prosper.query.precision}, counted whatever it is set to, at their float16
   * size: the int8 copies and ONNX Runtime's packed copies of them take about as much); the model
   * needs this beside its float32 weights.
   */
  private static long batchBytes(Artefact.Manifest manifest, int batchSize) {
    long positions = (long) batchSize * manifest.head().maxLength();
    long width = 16L * manifest.backbone().hiddenSize();
    long vocabulary = manifest.backbone().vocabSize();
    if (manifest.head().pooling() != HeadConfig.Pooling.LAST) {
      return positions * Math.max(width, 3L * vocabulary) * Float.BYTES;
    }
    long halfCopies = 2L * vocabulary * manifest.backbone().hiddenSize() * 2;
    return positions * width * Float.BYTES + halfCopies;
  }

  /**
   * Memory this node can give models: its physical memory less the JVM's maximum heap (PyTorch
   * allocates outside the heap).
   */
  public static long memoryAvailable() {
    long physical =
        ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
            .getTotalMemorySize();
    return Math.max(0, physical - Runtime.getRuntime().maxMemory());
  }

  /**
   * Why this node cannot hold the model (its weights, the query runtime's copy of the backbone and
   * {@link #batchBytes} above {@link #memoryAvailable}), or null when it can: checked at {@code
   * PUT} and before every load, before any weight is read.
   */
  public static String memoryProblem(Artefact.Manifest manifest, int batchSize) {
    long weights;
    try {
      // The ONNX Runtime session's float32 copy of the backbone for query texts, counted whatever
      // prosper.query.runtime is, like the float16 copies.
      weights =
          Math.addExact(
              manifest.weightBytes(),
              ProsperModel.queryRuntimeBytes(
                  QueryRuntime.ONNX, manifest.backbone(), manifest.head()));
    } catch (ArithmeticException e) {
      return "the model's configs describe more weights than a 64-bit size can count";
    }
    long needed = weights + batchBytes(manifest, batchSize);
    long available = memoryAvailable();
    if (needed <= available) {
      return null;
    }
    return String.format(
        java.util.Locale.ROOT,
        "the model needs about %,d MB outside the heap (weights and their query copies %,d MB and"
            + " one batch of %d texts),"
            + " but this node has %,d MB of physical memory beyond its heap; lower"
            + " prosper.encode.batch_size or use a smaller model",
        needed >> 20,
        weights >> 20,
        batchSize,
        available >> 20);
  }

  /**
   * {@link Artefact#inspect} with the plugin's class loader as context (the tokenizer is DJL's).
   */
  public Artefact.Manifest inspect(Path path) throws IOException {
    return Djl.call(() -> Artefact.inspect(path));
  }

  /**
   * A message with this node's models directory shown as {@code config/prosper/models/}: errors,
   * stats and GET responses never reveal the node's file system layout.
   */
  public String hidePaths(String message) {
    if (message == null) {
      return null;
    }
    String shown =
        message.replace(root.toString() + "/", SHOWN_ROOT).replace(root.toString(), SHOWN_ROOT);
    try {
      Path real = root.toRealPath();
      shown = shown.replace(real.toString() + "/", SHOWN_ROOT).replace(real.toString(), SHOWN_ROOT);
    } catch (IOException e) {
      // no such directory yet: nothing else to hide
    }
    return shown;
  }

  static OpenSearchStatusException badRequest(String format, Object... args) {
    return new OpenSearchStatusException(
        String.format(java.util.Locale.ROOT, format, args), RestStatus.BAD_REQUEST);
  }
}
