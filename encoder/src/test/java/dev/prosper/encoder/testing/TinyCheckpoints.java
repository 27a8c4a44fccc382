package dev.prosper.encoder.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.weights.DType;
import dev.prosper.encoder.weights.FloatTensor;
import dev.prosper.encoder.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small Hugging Face checkpoints with seeded random weights, written by tests: a WordPiece {@code
 * tokenizer.json}, and BERT or Qwen2 {@code config.json} + {@code model.safetensors}.
 */
public final class TinyCheckpoints {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Vocabulary entries besides the specials and fillers, some with dots, spaces and non-ASCII. */
  public static final List<String> WORDS =
      List.of(
          "patio",
          "umbrella",
          "ft",
          ".",
          "9",
          "drill",
          "cordless",
          "18v",
          "lithium",
          "-",
          "ion",
          "white",
          "black",
          "steel",
          "café",
          "日",
          "本",
          "🙂",
          "ft.",
          "a b",
          "x#y",
          "ä");

  private TinyCheckpoints() {}

  /** [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, then {@link #WORDS}, letters, ## letters, fillers. */
  public static List<String> vocabulary(int size) {
    List<String> vocabulary = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]"));
    vocabulary.addAll(WORDS);
    for (char c = 'a'; c <= 'z'; c++) {
      vocabulary.add(String.valueOf(c));
      vocabulary.add("##" + c);
    }
    for (char c = '0'; c <= '9'; c++) {
      vocabulary.add("##" + c);
      if (!vocabulary.contains(String.valueOf(c))) {
        vocabulary.add(String.valueOf(c));
      }
    }
    for (int i = 0; vocabulary.size() < size; i++) {
      vocabulary.add("w" + i);
    }
    return vocabulary.subList(0, size);
  }

  /** A BERT-style WordPiece tokenizer.json over {@link #vocabulary}. */
  public static Path writeTokenizer(Path directory, int vocabSize) throws IOException {
    Files.createDirectories(directory);
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    List<String> vocabulary = vocabulary(vocabSize);
    for (int id = 0; id < 4; id++) {
      ObjectNode token = added.addObject();
      token.put("id", id).put("content", vocabulary.get(id)).put("single_word", false);
      token.put("lstrip", false).put("rstrip", false).put("normalized", false);
      token.put("special", true);
    }
    ObjectNode normalizer = root.putObject("normalizer");
    normalizer.put("type", "BertNormalizer").put("clean_text", true);
    normalizer.put("handle_chinese_chars", true).putNull("strip_accents");
    normalizer.put("lowercase", true);
    root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    single.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
    ArrayNode pair = post.putArray("pair");
    pair.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    pair.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 1);
    ObjectNode specials = post.putObject("special_tokens");
    for (String special : List.of("[CLS]", "[SEP]")) {
      ObjectNode node = specials.putObject(special);
      node.put("id", special);
      node.putArray("ids").add(vocabulary.indexOf(special));
      node.putArray("tokens").add(special);
    }
    root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "WordPiece").put("unk_token", "[UNK]");
    model.put("continuing_subword_prefix", "##").put("max_input_chars_per_word", 100);
    ObjectNode vocab = model.putObject("vocab");
    for (int id = 0; id < vocabulary.size(); id++) {
      vocab.put(vocabulary.get(id), id);
    }
    Path file = directory.resolve("tokenizer.json");
    JSON.writeValue(file.toFile(), root);
    return file;
  }

  /** A BERT checkpoint: 2 layers, hidden 32, 4 heads, intermediate 64, 64 positions. */
  public static Path writeBert(Path directory, int vocabSize, long seed) throws IOException {
    return writeBert(directory, vocabSize, seed, false);
  }

  /**
   * @param maskedLm write it as BertForMaskedLM does: encoder weights under {@code bert.} and an
   *     MLM head ({@code cls.predictions.transform.*}, {@code cls.predictions.bias})
   */
  public static Path writeBert(Path directory, int vocabSize, long seed, boolean maskedLm)
      throws IOException {
    writeTokenizer(directory, vocabSize);
    ObjectNode config = JSON.createObjectNode();
    config.put("model_type", "bert").put("vocab_size", vocabSize).put("hidden_size", 32);
    config.put("num_hidden_layers", 2).put("num_attention_heads", 4);
    config.put("intermediate_size", 64).put("max_position_embeddings", 64);
    config.put("type_vocab_size", 2).put("layer_norm_eps", 1e-12);
    JSON.writeValue(directory.resolve("config.json").toFile(), config);
    Random random = new Random(seed);
    Map<String, FloatTensor> weights = new LinkedHashMap<>();
    put(weights, random, "embeddings.word_embeddings.weight", vocabSize, 32);
    put(weights, random, "embeddings.position_embeddings.weight", 64, 32);
    put(weights, random, "embeddings.token_type_embeddings.weight", 2, 32);
    norm(weights, "embeddings.LayerNorm", 32);
    for (int l = 0; l < 2; l++) {
      String p = "encoder.layer." + l + ".";
      for (String name : List.of("attention.self.query", "attention.self.key")) {
        linear(weights, random, p + name, 32, 32);
      }
      linear(weights, random, p + "attention.self.value", 32, 32);
      linear(weights, random, p + "attention.output.dense", 32, 32);
      norm(weights, p + "attention.output.LayerNorm", 32);
      linear(weights, random, p + "intermediate.dense", 64, 32);
      linear(weights, random, p + "output.dense", 32, 64);
      norm(weights, p + "output.LayerNorm", 32);
    }
    if (maskedLm) {
      Map<String, FloatTensor> prefixed = new LinkedHashMap<>();
      weights.forEach((name, tensor) -> prefixed.put("bert." + name, tensor));
      weights = prefixed;
      linear(weights, random, "cls.predictions.transform.dense", 32, 32);
      norm(weights, "cls.predictions.transform.LayerNorm", 32);
      float[] bias = new float[vocabSize];
      for (int i = 0; i < vocabSize; i++) {
        bias[i] = (float) random.nextGaussian();
      }
      weights.put("cls.predictions.bias", new FloatTensor(new long[] {vocabSize}, bias));
    }
    SafetensorsWriter.write(directory.resolve("model.safetensors"), weights, DType.F32, Map.of());
    return directory;
  }

  /**
   * A Qwen2 checkpoint: 2 layers, hidden 64, 4 query heads, 2 KV heads, intermediate 96.
   *
   * @param storeAs F32, F16 or BF16 on disk
   */
  public static Path writeQwen2(
      Path directory, int vocabSize, long seed, DType storeAs, boolean tied) throws IOException {
    writeTokenizer(directory, vocabSize);
    ObjectNode config = JSON.createObjectNode();
    config.putArray("architectures").add("Qwen2ForCausalLM");
    config.put("model_type", "qwen2").put("vocab_size", vocabSize).put("hidden_size", 64);
    config.put("num_hidden_layers", 2).put("num_attention_heads", 4);
    config.put("num_key_value_heads", 2).put("intermediate_size", 96);
    config.put("max_position_embeddings", 128).put("rms_norm_eps", 1e-6);
    config.put("rope_theta", 10000.0).put("tie_word_embeddings", tied);
    config.put("torch_dtype", "bfloat16");
    JSON.writeValue(directory.resolve("config.json").toFile(), config);
    Random random = new Random(seed);
    Map<String, FloatTensor> weights = new LinkedHashMap<>();
    put(weights, random, "model.embed_tokens.weight", vocabSize, 64);
    for (int l = 0; l < 2; l++) {
      String p = "model.layers." + l + ".";
      ones(weights, random, p + "input_layernorm.weight", 64);
      linear(weights, random, p + "self_attn.q_proj", 64, 64);
      linear(weights, random, p + "self_attn.k_proj", 32, 64);
      linear(weights, random, p + "self_attn.v_proj", 32, 64);
      put(weights, random, p + "self_attn.o_proj.weight", 64, 64);
      ones(weights, random, p + "post_attention_layernorm.weight", 64);
      put(weights, random, p + "mlp.gate_proj.weight", 96, 64);
      put(weights, random, p + "mlp.up_proj.weight", 96, 64);
      put(weights, random, p + "mlp.down_proj.weight", 64, 96);
    }
    ones(weights, random, "model.norm.weight", 64);
    if (!tied) {
      put(weights, random, "lm_head.weight", vocabSize, 64);
    }
    SafetensorsWriter.write(directory.resolve("model.safetensors"), weights, storeAs, Map.of());
    return directory;
  }

  private static void put(
      Map<String, FloatTensor> weights, Random random, String name, int rows, int cols) {
    float[] values = new float[rows * cols];
    double scale = 1.0 / Math.sqrt(cols);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextGaussian() * scale);
    }
    weights.put(name, new FloatTensor(new long[] {rows, cols}, values));
  }

  private static void linear(
      Map<String, FloatTensor> weights, Random random, String name, int out, int in) {
    put(weights, random, name + ".weight", out, in);
    float[] bias = new float[out];
    for (int i = 0; i < out; i++) {
      bias[i] = (float) (random.nextGaussian() * 0.1);
    }
    weights.put(name + ".bias", new FloatTensor(new long[] {out}, bias));
  }

  private static void norm(Map<String, FloatTensor> weights, String name, int size) {
    float[] gamma = new float[size];
    java.util.Arrays.fill(gamma, 1f);
    weights.put(name + ".weight", new FloatTensor(new long[] {size}, gamma));
    weights.put(name + ".bias", new FloatTensor(new long[] {size}, new float[size]));
  }

  private static void ones(Map<String, FloatTensor> weights, Random random, String name, int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) (1 + random.nextGaussian() * 0.1);
    }
    weights.put(name, new FloatTensor(new long[] {size}, values));
  }
}
