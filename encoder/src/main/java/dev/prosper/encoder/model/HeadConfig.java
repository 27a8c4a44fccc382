package dev.prosper.encoder.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * The PROSPER head: how the vocabulary logits become the sparse representation, and the defaults
 * served with it.
 *
 * @param pooling {@code last} (last non-padding position) or {@code max} over positions
 * @param lrn literal residual network variant
 * @param lfw lexical focusing window: fixed k, the dynamic schedule (training only; the artefact
 *     records the final window) or none
 * @param queryWindow k_q, the query window (TopK_kq)
 * @param documentWindow k_d, the document window (TopK_kd)
 * @param queryTopK terms a query keeps when served, unless the request says otherwise
 * @param normalization how query and document vectors are normalised before the dot product
 * @param maxLength tokens per text; longer texts are truncated
 */
public record HeadConfig(
    @JsonProperty("pooling") Pooling pooling,
    @JsonProperty("lrn") Lrn lrn,
    @JsonProperty("lfw") Lfw lfw,
    @JsonProperty("k_q") int queryWindow,
    @JsonProperty("k_d") int documentWindow,
    @JsonProperty("query_top_k") int queryTopK,
    @JsonProperty("normalization") Normalization normalization,
    @JsonProperty("max_length") int maxLength) {

  /**
   * The paper's defaults: last pooling, residual LRN, fixed window 256/512, query-L2, length 64.
   */
  public static final HeadConfig DEFAULT =
      new HeadConfig(
          Pooling.LAST, Lrn.RESIDUAL, Lfw.FIXED, 256, 512, 16, Normalization.QUERY_L2, 64);

  public HeadConfig {
    require(pooling != null, "pooling", "is required");
    require(lrn != null, "lrn", "is required");
    require(lfw != null, "lfw", "is required");
    require(normalization != null, "normalization", "is required");
    require(queryWindow > 0, "k_q", "must be positive, got " + queryWindow);
    require(documentWindow > 0, "k_d", "must be positive, got " + documentWindow);
    require(queryTopK > 0, "query_top_k", "must be positive, got " + queryTopK);
    require(maxLength >= 4, "max_length", "must be at least 4, got " + maxLength);
  }

  private static void require(boolean condition, String field, String problem) {
    if (!condition) {
      throw new IllegalArgumentException("head config [" + field + "] " + problem);
    }
  }

  /** The window of a mode, or no limit without a window. */
  public int window(Mode mode) {
    if (lfw == Lfw.NONE) {
      return Integer.MAX_VALUE;
    }
    return mode == Mode.QUERY ? queryWindow : documentWindow;
  }

  public HeadConfig withWindows(int kq, int kd) {
    return new HeadConfig(pooling, lrn, lfw, kq, kd, queryTopK, normalization, maxLength);
  }

  public HeadConfig withMaxLength(int length) {
    return new HeadConfig(
        pooling, lrn, lfw, queryWindow, documentWindow, queryTopK, normalization, length);
  }

  /** Lower-case names with dashes, as written in prosper.json and on command lines. */
  public interface Named {
    default String id() {
      return ((Enum<?>) this).name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  static <E extends Enum<E> & Named> E parse(Class<E> type, String field, String value) {
    for (E constant : type.getEnumConstants()) {
      if (constant.id().equals(value)) {
        return constant;
      }
    }
    StringBuilder allowed = new StringBuilder();
    for (E constant : type.getEnumConstants()) {
      allowed.append(allowed.isEmpty() ? "" : ", ").append(constant.id());
    }
    throw new IllegalArgumentException(
        "[" + field + "] must be one of " + allowed + ", got [" + value + "]");
  }

  public enum Pooling implements Named {
    @JsonProperty("last")
    LAST,
    @JsonProperty("max")
    MAX;

    public static Pooling of(String value) {
      return parse(Pooling.class, "pooling", value);
    }
  }

  public enum Lrn implements Named {
    @JsonProperty("residual")
    RESIDUAL,
    @JsonProperty("add")
    ADD,
    @JsonProperty("none")
    NONE;

    public static Lrn of(String value) {
      return parse(Lrn.class, "lrn", value);
    }
  }

  public enum Lfw implements Named {
    @JsonProperty("fixed")
    FIXED,
    @JsonProperty("dynamic")
    DYNAMIC,
    @JsonProperty("none")
    NONE;

    public static Lfw of(String value) {
      return parse(Lfw.class, "lfw", value);
    }
  }

  public enum Normalization implements Named {
    @JsonProperty("query-l2")
    QUERY_L2,
    @JsonProperty("none")
    NONE,
    @JsonProperty("both-l2")
    BOTH_L2,
    @JsonProperty("doc-l2")
    DOC_L2,
    @JsonProperty("query-l1")
    QUERY_L1;

    public static Normalization of(String value) {
      return parse(Normalization.class, "normalization", value);
    }
  }
}
