package dev.prosper.encoder.head;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.prosper.encoder.head.HeadConfig.Lrn;
import dev.prosper.encoder.head.HeadConfig.Normalization;
import dev.prosper.encoder.ops.Ops;

/**
 * The equations of the PROSPER head as differentiable array functions, numbered as in the paper
 * ("LLMs as Sparse Retrievers", arXiv 2510.18527): saturation (eq. 5), pooling (eqs. 6, 7), the
 * literal residual network (eqs. 8, 9), the lexical focusing window (eq. 10), the asymmetric score
 * (eq. 11) and the FLOPS regulariser (eq. 3) of the loss (eqs. 12, 13, in the training job's {@code
 * Objective}). Each is public so that tests can check it against a direct computation.
 */
public final class ProsperHead {

  private static final float EPSILON = 1e-12f;

  private ProsperHead() {}

  /** Eq. 5, log saturation: log(1 + relu(x)). */
  public static NDArray saturate(NDArray x) {
    return Ops.saturate(x);
  }

  /**
   * Eqs. 6, 7, last pooling: rows of {@code [batch, length, dim]} at each sequence's last
   * non-padding position.
   *
   * @param mask {@code [batch, length]}, 1 for real tokens, padding after them
   */
  public static NDArray last(NDArray states, NDArray mask) {
    return Ops.lastPosition(states, mask);
  }

  /**
   * Max pooling (the SPLADE variant of eq. 6): max over non-padding positions of non-negative
   * {@code [batch, length, vocab]} values.
   */
  public static NDArray maxPool(NDArray saturated, NDArray mask) {
    NDArray keep = mask.toType(DataType.FLOAT32, false).expandDims(2);
    return saturated.mul(keep).max(new int[] {1});
  }

  /**
   * Eqs. 8, 9, the literal residual network: W = w + I ⊙ (max(w') − w') ({@code residual}), W = w +
   * I ⊙ w' ({@code add}) or W = w ({@code none}).
   *
   * @param w pooled representation {@code [batch, vocab]}
   * @param wPrime FC(Last(h~)), {@code [batch, vocab]}
   * @param literal the indicator I, 1 where the vocabulary term occurs in the input
   */
  public static NDArray lrn(NDArray w, NDArray wPrime, NDArray literal, Lrn variant) {
    return switch (variant) {
      case NONE -> w;
      case ADD -> w.add(literal.mul(wPrime));
      case RESIDUAL -> w.add(literal.mul(wPrime.max(new int[] {-1}, true).sub(wPrime)));
    };
  }

  /**
   * Eq. 10, the lexical focusing window (the differentiable training form; serving uses {@code
   * SparseVector.topK}, which breaks ties by term): per row, keeps the k largest values when the
   * row has more than k non-zero values, else keeps the row as is. Ties at the k-th value are kept.
   */
  public static NDArray window(NDArray x, int k) {
    long size = x.getShape().get(x.getShape().dimension() - 1);
    if (k >= size) {
      return x;
    }
    NDList top = x.topK(k, -1, true, false);
    NDArray kth = top.get(0).min(new int[] {-1}, true);
    NDArray nonZero = x.neq(0f).toType(DataType.FLOAT32, false).sum(new int[] {-1}, true);
    NDArray keep = x.gte(kth).logicalOr(nonZero.lte((float) k));
    return x.mul(keep.toType(DataType.FLOAT32, false));
  }

  /** Number of non-zero values per row, {@code [batch]}. */
  public static NDArray activeTerms(NDArray x) {
    return x.neq(0f).toType(DataType.FLOAT32, false).sum(new int[] {-1});
  }

  /** Rows divided by their L2 norm (a zero row stays zero). */
  public static NDArray l2(NDArray x) {
    return x.div(x.square().sum(new int[] {-1}, true).add(EPSILON).sqrt());
  }

  /** Rows divided by their L1 norm (a zero row stays zero). */
  public static NDArray l1(NDArray x) {
    return x.div(x.abs().sum(new int[] {-1}, true).add(EPSILON));
  }

  /** The query side of a normalisation variant. */
  public static NDArray normalizeQuery(NDArray q, Normalization normalization) {
    return switch (normalization) {
      case QUERY_L2, BOTH_L2 -> l2(q);
      case QUERY_L1 -> l1(q);
      case NONE, DOC_L2 -> q;
    };
  }

  /** The document side of a normalisation variant. */
  public static NDArray normalizeDocument(NDArray d, Normalization normalization) {
    return switch (normalization) {
      case BOTH_L2, DOC_L2 -> l2(d);
      case QUERY_L2, QUERY_L1, NONE -> d;
    };
  }

  /**
   * Eq. 11 for all pairs: {@code [queries, documents]} scores of windowed representations, each
   * side normalised as the variant says (the paper's: the query L2-normalised).
   */
  public static NDArray score(NDArray queries, NDArray documents, Normalization normalization) {
    return normalizeQuery(queries, normalization)
        .matMul(normalizeDocument(documents, normalization).transpose());
  }

  /** FLOPS(w) = Σ_j (mean_i w_ij)², the regulariser of eq. 3. */
  public static NDArray flops(NDArray w) {
    return w.mean(new int[] {0}).square().sum();
  }
}
