package dev.prosper.encoder.head;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.prosper.encoder.SparseVector;
import java.util.List;
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
 * @param terms which vocabulary entries may carry weight: {@code all} (every non-special token) or
 *     {@code alphanumeric} (only tokens with a letter or digit: no weight on punctuation such as
 *     {@code .} or {@code -}, which no shopper searches for); artefacts without the field: all
 * @param documentTopK terms a document keeps when served (index-time pruning, at most k_d);
 *     artefacts without the field: k_d
 * @param documentMinWeight the weight a served document term must reach (index-time pruning by
 *     weight, after {@code documentTopK}; a document always keeps its largest term): one threshold
 *     for the whole catalogue, so a product keeps as many terms as carry weight; 0 (artefacts
 *     without the field): none
 */
public record HeadConfig(
    @JsonProperty("pooling") Pooling pooling,
    @JsonProperty("lrn") Lrn lrn,
    @JsonProperty("lfw") Lfw lfw,
    @JsonProperty("k_q") int queryWindow,
    @JsonProperty("k_d") int documentWindow,
    @JsonProperty("query_top_k") int queryTopK,
    @JsonProperty("normalization") Normalization normalization,
    @JsonProperty("max_length") int maxLength,
    @JsonProperty("terms") Terms terms,
    @JsonProperty("document_top_k") int documentTopK,
    @JsonProperty("document_min_weight") float documentMinWeight) {

  /**
   * The paper's defaults: last pooling, residual LRN, fixed window 256/512, query-L2, length 64.
   */
  public static final HeadConfig DEFAULT =
      new HeadConfig(
          Pooling.LAST,
          Lrn.RESIDUAL,
          Lfw.FIXED,
          256,
          512,
          16,
          Normalization.QUERY_L2,
          64,
          Terms.ALL,
          512,
          0f);

  public HeadConfig {
    require(pooling != null, "pooling", "is required");
    require(lrn != null, "lrn", "is required");
    require(lfw != null, "lfw", "is required");
    require(normalization != null, "normalization", "is required");
    require(queryWindow > 0, "k_q", "must be positive, got " + queryWindow);
    require(documentWindow > 0, "k_d", "must be positive, got " + documentWindow);
    require(queryTopK > 0, "query_top_k", "must be positive, got " + queryTopK);
    require(maxLength >= 4, "max_length", "must be at least 4, got " + maxLength);
    if (terms == null) {
      terms = Terms.ALL;
    }
    if (documentTopK == 0) {
      documentTopK = documentWindow;
    }
    require(documentTopK > 0, "document_top_k", "must be positive, got " + documentTopK);
    require(
        Float.isFinite(documentMinWeight) && documentMinWeight >= 0f,
        "document_min_weight",
        "must be a finite number >= 0, got " + documentMinWeight);
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

  /**
   * Terms a served text keeps by default: the query's {@code query_top_k} or the document's {@code
   * document_top_k}, never more than the mode's window.
   */
  public int servedTopK(Mode mode) {
    return Math.min(mode == Mode.QUERY ? queryTopK : documentTopK, window(mode));
  }

  /**
   * The served-size rule, the only one: a request's {@code top_k} when it gives one, else {@link
   * #servedTopK(Mode)} capped by {@code limit} (the node's clause limit for queries).
   *
   * @throws IllegalArgumentException if {@code requested} is below 1
   */
  public int servedTopK(Mode mode, Integer requested, int limit) {
    if (requested != null) {
      if (requested < 1) {
        throw new IllegalArgumentException("[top_k] must be at least 1, got " + requested);
      }
      return requested;
    }
    return Math.min(servedTopK(mode), limit);
  }

  /**
   * The normalisation of a served vector (eq. 11 and its ablation variants), the sparse form of
   * {@link ProsperHead#normalizeQuery} and {@link ProsperHead#normalizeDocument}: queries are
   * L2-normalised ({@code query-l2}, {@code both-l2}) or L1-normalised ({@code query-l1}),
   * documents L2-normalised for {@code doc-l2} and {@code both-l2}; otherwise as they are.
   */
  public SparseVector normalize(SparseVector vector, Mode mode) {
    if (mode == Mode.QUERY) {
      return switch (normalization) {
        case QUERY_L2, BOTH_L2 -> vector.l2Normalized();
        case QUERY_L1 -> vector.l1Normalized();
        case NONE, DOC_L2 -> vector;
      };
    }
    return switch (normalization) {
      case BOTH_L2, DOC_L2 -> vector.l2Normalized();
      case QUERY_L2, QUERY_L1, NONE -> vector;
    };
  }

  /** The same head with other windows (document_top_k stays, capped by the new k_d at serving). */
  public HeadConfig withWindows(int kq, int kd) {
    return new HeadConfig(
        pooling,
        lrn,
        lfw,
        kq,
        kd,
        queryTopK,
        normalization,
        maxLength,
        terms,
        documentTopK,
        documentMinWeight);
  }

  /** The same head serving documents with at most {@code topK} terms. */
  public HeadConfig withDocumentTopK(int topK) {
    return withServedDocuments(topK, documentMinWeight);
  }

  /** The same head serving documents with the terms that reach {@code minWeight} (0: all). */
  public HeadConfig withDocumentMinWeight(float minWeight) {
    return withServedDocuments(documentTopK, minWeight);
  }

  private HeadConfig withServedDocuments(int topK, float minWeight) {
    return new HeadConfig(
        pooling,
        lrn,
        lfw,
        queryWindow,
        documentWindow,
        queryTopK,
        normalization,
        maxLength,
        terms,
        topK,
        minWeight);
  }

  /**
   * A served document's terms that reach {@link #documentMinWeight} (heaviest first), and at least
   * its largest; queries and heads without a threshold keep every term.
   */
  public SparseVector keepServedTerms(SparseVector vector, Mode mode) {
    if (mode != Mode.DOCUMENT || documentMinWeight <= 0f || vector.size() <= 1) {
      return vector;
    }
    int kept = 1;
    List<SparseVector.Term> terms = vector.terms();
    while (kept < terms.size() && terms.get(kept).weight() >= documentMinWeight) {
      kept++;
    }
    return vector.topK(kept);
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

  public enum Terms implements Named {
    @JsonProperty("all")
    ALL,
    @JsonProperty("alphanumeric")
    ALPHANUMERIC;

    public static Terms of(String value) {
      return parse(Terms.class, "terms", value);
    }

    /**
     * Whether a vocabulary entry may be a term. The word-piece prefixes {@code ##} (WordPiece),
     * {@code Ġ} (byte-level BPE) and {@code ▁} (SentencePiece) are not part of the judgement.
     */
    public boolean admits(String token) {
      if (this == ALL) {
        return true;
      }
      String body = token;
      if (body.startsWith("##")) {
        body = body.substring(2);
      } else if (body.startsWith("\u0120") || body.startsWith("\u2581")) {
        body = body.substring(1);
      }
      return body.codePoints().anyMatch(Character::isLetterOrDigit);
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
