package dev.prosper.encoder.backbone;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/** The architecture and sizes of a backbone; read from a Hugging Face {@code config.json}. */
public sealed interface BackboneConfig permits BertConfig, Qwen2Config {

  /** Architectures this build can run, by the name used in {@code prosper.json}. */
  Map<String, Class<? extends BackboneConfig>> ARCHITECTURES =
      Map.of(
          BertConfig.ARCHITECTURE, BertConfig.class, Qwen2Config.ARCHITECTURE, Qwen2Config.class);

  ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** {@code bert} or {@code qwen2}. */
  String architecture();

  int vocabSize();

  int hiddenSize();

  /** The longest input, in tokens, the position embeddings cover. */
  int maxPositions();

  /** The forward pass of this architecture. */
  Backbone backbone();

  /** The config as JSON with Hugging Face field names. */
  default JsonNode toJson() {
    return JSON.valueToTree(this);
  }

  /**
   * Parses a config of a named architecture.
   *
   * @throws IllegalArgumentException naming the architecture or the invalid field
   */
  static BackboneConfig fromJson(String architecture, JsonNode config) {
    Class<? extends BackboneConfig> type = ARCHITECTURES.get(architecture);
    if (type == null) {
      throw new IllegalArgumentException(
          "unknown backbone architecture ["
              + architecture
              + "], expected one of "
              + ARCHITECTURES.keySet().stream().sorted().toList());
    }
    if (config == null || !config.isObject()) {
      throw new IllegalArgumentException("backbone config must be a JSON object");
    }
    try {
      return JSON.treeToValue(config, type);
    } catch (IOException e) {
      Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
      throw new IllegalArgumentException(
          "invalid " + architecture + " config: " + cause.getMessage(), e);
    }
  }

  /**
   * Reads the {@code config.json} of a Hugging Face checkpoint directory; its {@code model_type}
   * decides the architecture ({@code bert}, {@code qwen2}).
   */
  static BackboneConfig fromHuggingFace(Path checkpoint) throws IOException {
    Path file = checkpoint.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "checkpoint has no config.json");
    }
    JsonNode json = JSON.readTree(file.toFile());
    String modelType = json.path("model_type").asText("");
    try {
      return fromJson(modelType, json);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Checks the sizes every architecture has. */
  static void requireSizes(int vocabSize, int hiddenSize, int layers, int heads, int intermediate) {
    require(vocabSize > 0, "vocab_size", "must be positive");
    require(hiddenSize > 0, "hidden_size", "must be positive");
    require(layers > 0, "num_hidden_layers", "must be positive");
    require(heads > 0, "num_attention_heads", "must be positive");
    require(
        hiddenSize % heads == 0, "num_attention_heads", "must divide hidden_size " + hiddenSize);
    require(intermediate > 0, "intermediate_size", "must be positive");
    // Upper bounds before anything is sized from them: a config from a file must not make the
    // node allocate per layer or per row before the weights are checked.
    require(vocabSize <= MAX_VOCAB, "vocab_size", "must be at most " + MAX_VOCAB);
    require(hiddenSize <= MAX_WIDTH, "hidden_size", "must be at most " + MAX_WIDTH);
    require(layers <= MAX_LAYERS, "num_hidden_layers", "must be at most " + MAX_LAYERS);
    require(heads <= MAX_LAYERS, "num_attention_heads", "must be at most " + MAX_LAYERS);
    require(intermediate <= 4 * MAX_WIDTH, "intermediate_size", "must be at most " + 4 * MAX_WIDTH);
  }

  /** Largest vocabulary a backbone may declare (Qwen2's is 151,936). */
  int MAX_VOCAB = 1 << 20;

  /** Largest hidden size a backbone may declare. */
  int MAX_WIDTH = 16_384;

  /** Most layers (and attention heads) a backbone may declare. */
  int MAX_LAYERS = 256;

  /** Longest position table a backbone may declare. */
  int MAX_POSITIONS = 1 << 17;

  static void require(boolean condition, String field, String problem) {
    if (!condition) {
      throw new IllegalArgumentException("[" + field + "] " + problem);
    }
  }
}
