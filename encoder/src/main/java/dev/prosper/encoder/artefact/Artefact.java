package dev.prosper.encoder.artefact;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.backbone.BackboneConfig;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.tokenizer.ProsperTokenizer;
import dev.prosper.encoder.weights.DType;
import dev.prosper.encoder.weights.Parameters;
import dev.prosper.encoder.weights.SafetensorsFile;
import dev.prosper.encoder.weights.SafetensorsWriter;
import dev.prosper.encoder.weights.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The model artefact: a directory, or a zip of one, holding {@code prosper.json} (format version,
 * backbone architecture and config, head config, checksums, training metadata), {@code
 * model.safetensors} (every weight, float32) and {@code tokenizer.json}. What the training job
 * writes and the plugin loads; the same bytes give the same weights.
 */
public final class Artefact {

  public static final int FORMAT_VERSION = 1;
  public static final String MANIFEST = "prosper.json";
  public static final String WEIGHTS = "model.safetensors";
  public static final String TOKENIZER = "tokenizer.json";
  private static final List<String> FILES = List.of(MANIFEST, WEIGHTS, TOKENIZER);

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Artefact() {}

  /**
   * What {@code prosper.json} says, checked against the files.
   *
   * @param training free-form training metadata and final metrics (may be an empty object)
   */
  public record Manifest(
      int formatVersion,
      BackboneConfig backbone,
      HeadConfig head,
      int vocabularySize,
      String tokenizerSha256,
      String weightsSha256,
      String manifestSha256,
      JsonNode training) {

    /**
     * Bytes the model's weights take once loaded (float32, whatever their stored type), from the
     * configs alone: what a node must have free before it loads the artefact.
     */
    public long weightBytes() {
      long bytes = 0;
      for (long[] shape : ProsperModel.parameterShapes(backbone, head).values()) {
        bytes =
            Math.addExact(
                bytes,
                Math.multiplyExact(
                    dev.prosper.encoder.weights.TensorInfo.elementCount(shape), Float.BYTES));
      }
      return bytes;
    }
  }

  /**
   * Most bytes a zip artefact may expand to (its three files together); a larger one is refused
   * before the disk fills.
   */
  public static final long MAX_UNZIPPED_BYTES = 8L << 30;

  /**
   * Writes a model as an artefact directory (created if needed; the three files are replaced).
   *
   * @param training metadata to record, may be null
   */
  public static void write(ProsperModel model, Path directory, JsonNode training)
      throws IOException {
    Files.createDirectories(directory);
    Path weights = directory.resolve(WEIGHTS);
    SafetensorsWriter.write(
        weights,
        model.parameters().toTensors(),
        DType.F32,
        // Sorted: Map.of's order changes from one JVM to the next, and with it the file's bytes.
        new java.util.TreeMap<>(Map.of("format", "pt", "producer", "prosper")));
    Path tokenizer = directory.resolve(TOKENIZER);
    model.tokenizer().writeTo(tokenizer);
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("format_version", FORMAT_VERSION);
    ObjectNode backbone = manifest.putObject("backbone");
    backbone.put("architecture", model.config().architecture());
    backbone.set("config", model.config().toJson());
    manifest.set("head", JSON.valueToTree(model.head()));
    manifest.put("vocabulary_size", model.tokenizer().vocabularySize());
    ObjectNode tokenizerNode = manifest.putObject("tokenizer");
    tokenizerNode.put("file", TOKENIZER);
    tokenizerNode.put("sha256", sha256(tokenizer));
    ObjectNode weightsNode = manifest.putObject("weights");
    weightsNode.put("file", WEIGHTS);
    weightsNode.put("dtype", DType.F32.name());
    weightsNode.put("sha256", sha256(weights));
    manifest.set("training", training == null ? JSON.createObjectNode() : training);
    JSON.writeValue(directory.resolve(MANIFEST).toFile(), manifest);
  }

  /** Zips an artefact directory's three files (at the zip's root). */
  public static void zip(Path directory, Path zip) throws IOException {
    try (OutputStream out = Files.newOutputStream(zip);
        ZipOutputStream zipOut = new ZipOutputStream(out)) {
      for (String name : FILES) {
        zipOut.putNextEntry(new ZipEntry(name));
        Files.copy(directory.resolve(name), zipOut);
        zipOut.closeEntry();
      }
    }
  }

  /**
   * Reads and checks an artefact without loading the model: format version, architecture and
   * configs, both checksums, the tokenizer, and every weight's presence, type and shape.
   *
   * @throws ArtefactException naming the artefact and the problem
   */
  public static Manifest inspect(Path artefact) throws IOException {
    return open(artefact, null, manifest -> {}).manifest();
  }

  /**
   * Loads an artefact (directory or zip) after {@link #inspect checking} it.
   *
   * @throws ArtefactException naming the artefact and the problem
   */
  public static ProsperModel load(Path artefact, Device device) throws IOException {
    return open(artefact, device, manifest -> {}).model();
  }

  /** An artefact read and verified once: its manifest and, unless only inspected, its model. */
  public record Opened(Manifest manifest, ProsperModel model) {}

  /**
   * Reads an artefact once: checks the manifest, both checksums (one pass over each file), every
   * weight's shape and the tokenizer (loaded once), hands the manifest to {@code accept} (which may
   * refuse it by throwing, before any weight is read) and then loads the model on {@code device};
   * with a {@code null} device it only inspects.
   *
   * @throws ArtefactException naming the artefact and the problem
   */
  public static Opened open(
      Path artefact, Device device, java.util.function.Consumer<Manifest> accept)
      throws IOException {
    if (isZip(artefact)) {
      Path directory = unzip(artefact);
      try {
        return openDirectory(directory, artefact, device, accept);
      } finally {
        deleteTree(directory);
      }
    }
    return openDirectory(artefact, artefact, device, accept);
  }

  private static Opened openDirectory(
      Path directory, Path artefact, Device device, java.util.function.Consumer<Manifest> accept)
      throws IOException {
    ProsperTokenizer[] tokenizer = new ProsperTokenizer[1];
    Manifest manifest;
    try {
      manifest = inspectDirectory(directory, artefact, tokenizer);
      accept.accept(manifest);
    } catch (IOException | RuntimeException e) {
      if (tokenizer[0] != null) {
        tokenizer[0].close();
      }
      throw e;
    }
    if (device == null) {
      tokenizer[0].close();
      return new Opened(manifest, null);
    }
    Parameters parameters = Parameters.create(device);
    try (SafetensorsFile weights = SafetensorsFile.open(directory.resolve(WEIGHTS))) {
      for (String name :
          ProsperModel.parameterShapes(manifest.backbone(), manifest.head()).keySet()) {
        TensorInfo info = weights.tensors().get(name);
        if (info.dtype() == DType.F32) {
          // Straight from the memory mapping into native memory: no heap copy of the weights.
          parameters.put(name, weights.mapF32(name), info.shape());
        } else {
          parameters.put(name, weights.readFloats(name));
        }
      }
      return new Opened(
          manifest,
          new ProsperModel(manifest.backbone(), manifest.head(), tokenizer[0], parameters));
    } catch (IOException | RuntimeException e) {
      parameters.close();
      tokenizer[0].close();
      if (e instanceof ArtefactException artefactException) {
        throw artefactException;
      }
      throw new ArtefactException(artefact, e.getMessage(), e);
    }
  }

  /** Checks an artefact directory; the tokenizer it loads is left in {@code tokenizer[0]}. */
  private static Manifest inspectDirectory(
      Path directory, Path artefact, ProsperTokenizer[] tokenizer) throws IOException {
    if (!Files.isDirectory(directory)) {
      throw new ArtefactException(artefact, "not found (expected a directory or a .zip)");
    }
    for (String name : FILES) {
      if (!Files.isRegularFile(directory.resolve(name))) {
        throw new ArtefactException(artefact, "missing file " + name);
      }
    }
    JsonNode root;
    try {
      root = JSON.readTree(directory.resolve(MANIFEST).toFile());
    } catch (IOException e) {
      throw new ArtefactException(artefact, MANIFEST + " is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ArtefactException(artefact, MANIFEST + " is not a JSON object");
    }
    int version = root.path("format_version").asInt(-1);
    if (version != FORMAT_VERSION) {
      throw new ArtefactException(
          artefact,
          "unsupported format_version ["
              + root.path("format_version").asText("missing")
              + "], this build reads version "
              + FORMAT_VERSION);
    }
    BackboneConfig backbone;
    HeadConfig head;
    try {
      backbone =
          BackboneConfig.fromJson(
              root.path("backbone").path("architecture").asText("missing"),
              root.path("backbone").get("config"));
      JsonNode headNode = root.get("head");
      if (headNode == null || !headNode.isObject()) {
        throw new IllegalArgumentException("[head] is missing");
      }
      head = JSON.treeToValue(headNode, HeadConfig.class);
    } catch (com.fasterxml.jackson.databind.exc.InvalidFormatException e) {
      throw new ArtefactException(artefact, invalidValue(e), e);
    } catch (IllegalArgumentException | IOException e) {
      Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
      throw new ArtefactException(artefact, cause.getMessage(), e);
    }
    if (head.maxLength() > backbone.maxPositions()) {
      throw new ArtefactException(
          artefact,
          "[head.max_length] "
              + head.maxLength()
              + " exceeds the backbone's [max_position_embeddings] "
              + backbone.maxPositions());
    }
    String tokenizerSha = checkSha(artefact, directory, root, "tokenizer", TOKENIZER);
    String weightsSha = checkSha(artefact, directory, root, "weights", WEIGHTS);
    try (SafetensorsFile weights = SafetensorsFile.open(directory.resolve(WEIGHTS))) {
      Map<String, long[]> expected = ProsperModel.parameterShapes(backbone, head);
      for (Map.Entry<String, long[]> entry : expected.entrySet()) {
        TensorInfo info = weights.tensors().get(entry.getKey());
        if (info == null) {
          throw new ArtefactException(artefact, "weights have no tensor [" + entry.getKey() + "]");
        }
        if (!info.dtype().isFloatingPoint()) {
          throw new ArtefactException(
              artefact,
              "tensor ["
                  + entry.getKey()
                  + "] in "
                  + WEIGHTS
                  + " is "
                  + info.dtype()
                  + ", not a floating-point type");
        }
        if (!Arrays.equals(info.shape(), entry.getValue())) {
          throw new ArtefactException(
              artefact,
              "shape mismatch for ["
                  + entry.getKey()
                  + "]: "
                  + Arrays.toString(info.shape())
                  + " in "
                  + WEIGHTS
                  + ", "
                  + Arrays.toString(entry.getValue())
                  + " from the config");
        }
      }
      for (String name : weights.tensors().keySet()) {
        if (!expected.containsKey(name)) {
          throw new ArtefactException(
              artefact, "unexpected tensor [" + name + "] for this backbone and head");
        }
      }
    } catch (ArtefactException e) {
      throw e;
    } catch (IOException e) {
      throw new ArtefactException(artefact, e.getMessage(), e);
    }
    int vocabulary;
    try {
      tokenizer[0] = ProsperTokenizer.load(directory.resolve(TOKENIZER), head.maxLength());
      vocabulary = tokenizer[0].vocabularySize();
    } catch (IOException | RuntimeException e) {
      throw new ArtefactException(artefact, e.getMessage(), e);
    }
    if (vocabulary > backbone.vocabSize()) {
      throw new ArtefactException(
          artefact,
          "tokenizer has "
              + vocabulary
              + " ids, more than the model's vocab_size "
              + backbone.vocabSize());
    }
    return new Manifest(
        version,
        backbone,
        head,
        vocabulary,
        tokenizerSha,
        weightsSha,
        sha256(directory.resolve(MANIFEST)),
        root.path("training").isObject() ? root.get("training") : JSON.createObjectNode());
  }

  /** "[head.pooling] must be one of last, max, got [mean]" for a bad enum value. */
  private static String invalidValue(com.fasterxml.jackson.databind.exc.InvalidFormatException e) {
    StringBuilder path = new StringBuilder("head");
    for (var reference : e.getPath()) {
      path.append('.').append(reference.getFieldName());
    }
    StringBuilder allowed = new StringBuilder();
    Object[] constants = e.getTargetType().getEnumConstants();
    if (constants != null) {
      for (Object constant : constants) {
        allowed.append(allowed.isEmpty() ? "" : ", ").append(((HeadConfig.Named) constant).id());
      }
    }
    return "["
        + path
        + "] "
        + (allowed.isEmpty() ? "is invalid" : "must be one of " + allowed)
        + ", got ["
        + e.getValue()
        + "]";
  }

  /** The checksum prosper.json records for a file, after checking that the file has it. */
  private static String checkSha(
      Path artefact, Path directory, JsonNode root, String section, String file)
      throws IOException {
    String recorded = root.path(section).path("sha256").asText("");
    String actual = sha256(directory.resolve(file));
    if (!recorded.equals(actual)) {
      throw new ArtefactException(
          artefact,
          section
              + " checksum mismatch: "
              + MANIFEST
              + " says ["
              + recorded
              + "], "
              + file
              + " has ["
              + actual
              + "]");
    }
    return recorded;
  }

  private static boolean isZip(Path artefact) {
    return Files.isRegularFile(artefact)
        && artefact.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".zip");
  }

  /**
   * Extracts the three files of a zip (at its root or under one top directory), refusing one that
   * expands beyond {@link #MAX_UNZIPPED_BYTES}.
   */
  private static Path unzip(Path zip) throws IOException {
    return unzip(zip, MAX_UNZIPPED_BYTES);
  }

  static Path unzip(Path zip, long maxBytes) throws IOException {
    Path directory = Files.createTempDirectory("prosper-artefact-");
    try (InputStream in = Files.newInputStream(zip);
        ZipInputStream zipIn = new ZipInputStream(in)) {
      long total = 0;
      byte[] buffer = new byte[1 << 16];
      ZipEntry entry;
      while ((entry = zipIn.getNextEntry()) != null) {
        if (entry.isDirectory()) {
          continue;
        }
        String name = entry.getName();
        String file = name.substring(name.lastIndexOf('/') + 1);
        if (!FILES.contains(file) || name.chars().filter(c -> c == '/').count() > 1) {
          continue;
        }
        // The sizes a zip declares may lie: count the bytes as they are inflated.
        try (OutputStream out = Files.newOutputStream(directory.resolve(file))) {
          int read;
          while ((read = zipIn.read(buffer)) > 0) {
            total += read;
            if (total > maxBytes) {
              throw new ArtefactException(
                  zip,
                  "the zip expands to more than " + maxBytes + " bytes; unzip it into a directory");
            }
            out.write(buffer, 0, read);
          }
        }
      }
    } catch (ArtefactException e) {
      deleteTree(directory);
      throw e;
    } catch (IOException e) {
      deleteTree(directory);
      throw new ArtefactException(zip, "unreadable zip: " + e.getMessage(), e);
    }
    return directory;
  }

  static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Deletes a temporary directory and everything in it. */
  public static void deleteTree(Path directory) throws IOException {
    try (var files = Files.walk(directory)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
