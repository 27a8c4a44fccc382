package dev.prosper.encoder.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} as PROSPER uses it: text to padded id batches, and
 * vocabulary ids back to the vocabulary strings that become {@code rank_features} keys.
 *
 * <p>Vocabulary strings are taken verbatim from the file (e.g. {@code ##ella} stays {@code
 * ##ella}), never decoded, so term keys are stable across versions of the tokenizer library. Texts
 * longer than {@code maxLength} tokens (special tokens included) are truncated, never rejected.
 * Runs offline: nothing is downloaded. Thread-safe once built; close it when done.
 */
public final class ProsperTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;
  private final String[] vocabulary;
  private final boolean[] special;
  private final int padId;
  private final int maxLength;
  private final String sha256;
  private final byte[] file;

  private ProsperTokenizer(
      HuggingFaceTokenizer tokenizer,
      String[] vocabulary,
      boolean[] special,
      int padId,
      int maxLength,
      byte[] file) {
    this.tokenizer = tokenizer;
    this.vocabulary = vocabulary;
    this.special = special;
    this.padId = padId;
    this.maxLength = maxLength;
    this.sha256 = sha256Hex(file);
    this.file = file;
  }

  /**
   * Loads a {@code tokenizer.json}.
   *
   * @param maxLength the longest token sequence, special tokens included; at least 2
   * @throws IOException naming the file when it is missing or not a tokenizer with a vocabulary
   */
  public static ProsperTokenizer load(Path tokenizerJson, int maxLength) throws IOException {
    if (maxLength < 2) {
      throw new IllegalArgumentException("maxLength must be at least 2, got " + maxLength);
    }
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new NoSuchFileException(tokenizerJson.toString(), null, "tokenizer file not found");
    }
    byte[] bytes = Files.readAllBytes(tokenizerJson);
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(bytes);
    } catch (IOException e) {
      throw new IOException("invalid tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
    }
    JsonNode vocab = root == null ? null : root.path("model").get("vocab");
    if (vocab == null || !vocab.isObject() || vocab.isEmpty()) {
      throw new IOException(
          "invalid tokenizer " + tokenizerJson + ": no model.vocab (WordPiece/BPE) found");
    }
    // Ids index arrays sized by the largest one, so each is checked first: a vocabulary's ids
    // are dense, and one id far above the number of tokens would make the node allocate for it.
    int entries = vocab.size() + root.path("added_tokens").size();
    long size = 0;
    for (var it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      size =
          Math.max(size, checkedId(tokenizerJson, entry.getKey(), entry.getValue(), entries) + 1);
    }
    for (JsonNode added : root.path("added_tokens")) {
      size =
          Math.max(
              size,
              checkedId(tokenizerJson, added.path("content").asText(), added.path("id"), entries)
                  + 1);
    }
    String[] vocabulary = new String[(int) size];
    boolean[] special = new boolean[(int) size];
    for (var it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      vocabulary[entry.getValue().asInt()] = entry.getKey();
    }
    for (JsonNode added : root.path("added_tokens")) {
      int id = added.path("id").asInt();
      vocabulary[id] = added.path("content").asText();
      special[id] = added.path("special").asBoolean(false);
    }
    int padId = padId(root, vocabulary);

    HuggingFaceTokenizer tokenizer =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(tokenizerJson)
            .optAddSpecialTokens(true)
            .optTruncation(true)
            .optPadding(false)
            .optMaxLength(maxLength)
            .build();
    return new ProsperTokenizer(tokenizer, vocabulary, special, padId, maxLength, bytes);
  }

  private static int padId(JsonNode root, String[] vocabulary) {
    JsonNode padding = root.path("padding");
    if (padding.has("pad_id")) {
      return padding.get("pad_id").asInt();
    }
    for (String candidate : List.of("[PAD]", "<pad>", "<|endoftext|>")) {
      int id = Arrays.asList(vocabulary).indexOf(candidate);
      if (id >= 0) {
        return id;
      }
    }
    return 0;
  }

  private static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /**
   * Tokenizes texts into one batch padded to its longest sequence.
   *
   * @throws IllegalArgumentException if a text is null
   */
  public TokenBatch encode(List<String> texts) {
    List<Encoding> encodings = new ArrayList<>(texts.size());
    int longest = 0;
    for (int i = 0; i < texts.size(); i++) {
      String text = texts.get(i);
      if (text == null) {
        throw new IllegalArgumentException("text " + i + " is null");
      }
      Encoding encoding = tokenizer.encode(text);
      encodings.add(encoding);
      longest = Math.max(longest, encoding.getIds().length);
    }
    long[][] ids = new long[texts.size()][longest];
    long[][] mask = new long[texts.size()][longest];
    for (int i = 0; i < encodings.size(); i++) {
      long[] encoded = encodings.get(i).getIds();
      Arrays.fill(ids[i], padId);
      System.arraycopy(encoded, 0, ids[i], 0, encoded.length);
      Arrays.fill(mask[i], 0, encoded.length, 1L);
    }
    return new TokenBatch(ids, mask);
  }

  /** The vocabulary string of an id, verbatim from the tokenizer file. */
  public String token(int id) {
    if (id < 0 || id >= vocabulary.length || vocabulary[id] == null) {
      throw new IllegalArgumentException("no vocabulary entry for id " + id);
    }
    return vocabulary[id];
  }

  /** The id of a vocabulary entry, or -1 when the vocabulary has no such entry. */
  public int idOf(String token) {
    for (int id = 0; id < vocabulary.length; id++) {
      if (token.equals(vocabulary[id])) {
        return id;
      }
    }
    return -1;
  }

  /** Whether the id has a vocabulary string (ids past the file's vocabulary have none). */
  public boolean hasToken(int id) {
    return id >= 0 && id < vocabulary.length && vocabulary[id] != null;
  }

  /** Number of vocabulary ids, |V| (the largest id + 1). */
  public int vocabularySize() {
    return vocabulary.length;
  }

  /** Whether the id is a special token ([CLS], [SEP], [PAD], ...), never a literal term. */
  public boolean isSpecial(int id) {
    return id >= 0 && id < special.length && special[id];
  }

  /** The id used to pad batches. */
  public int padId() {
    return padId;
  }

  /** The longest sequence, special tokens included. */
  public int maxLength() {
    return maxLength;
  }

  /** SHA-256 of the tokenizer file's bytes, in lower-case hex (the artefact's checksum). */
  public String sha256() {
    return sha256;
  }

  /** Writes the tokenizer file, byte for byte as it was loaded. */
  public void writeTo(Path target) throws IOException {
    Files.write(target, file);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /** A token id, checked to be a non-negative integer below twice the number of tokens. */
  private static long checkedId(Path file, String token, JsonNode id, int entries)
      throws IOException {
    long limit = 2L * entries + 1024;
    if (id == null || !id.canConvertToLong() || id.asLong() < 0 || id.asLong() >= limit) {
      throw new IOException(
          "invalid tokenizer "
              + file.getFileName()
              + ": token ["
              + token
              + "] has id ["
              + id
              + "]; ids must be integers from 0 to "
              + (limit - 1)
              + " for a vocabulary of "
              + entries
              + " tokens");
    }
    return id.asLong();
  }
}
