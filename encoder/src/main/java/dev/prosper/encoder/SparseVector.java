package dev.prosper.encoder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sparse term-weight vector as PROSPER serves it: vocabulary terms mapped to weights that are
 * finite and strictly positive (zero weights are simply absent).
 *
 * <p>Entries are kept in <em>rank order</em>: larger weight first, equal weights by term in {@link
 * String#compareTo natural order}. That order makes the lexical focusing window ({@link #topK})
 * deterministic when weights tie. Instances are immutable and thread-safe.
 */
public final class SparseVector {

  /** Larger weight first; equal weights ordered by term so that truncation is deterministic. */
  private static final Comparator<Map.Entry<String, Float>> RANK_ORDER =
      Map.Entry.<String, Float>comparingByValue()
          .reversed()
          .thenComparing(Map.Entry.comparingByKey());

  private final Map<String, Float> weights;

  private SparseVector(Map<String, Float> weightsInRankOrder) {
    this.weights = Collections.unmodifiableMap(weightsInRankOrder);
  }

  /**
   * Builds a vector from term weights.
   *
   * @throws IllegalArgumentException naming the term when a weight is not a finite number greater
   *     than zero, or a term is null
   */
  public static SparseVector of(Map<String, ? extends Number> termWeights) {
    List<Map.Entry<String, Float>> entries = new ArrayList<>(termWeights.size());
    for (Map.Entry<String, ? extends Number> entry : termWeights.entrySet()) {
      if (entry.getKey() == null) {
        throw new IllegalArgumentException("term must not be null");
      }
      Number value = entry.getValue();
      float weight = value == null ? Float.NaN : value.floatValue();
      if (!Float.isFinite(weight) || weight <= 0f) {
        throw new IllegalArgumentException(
            "weight of term ["
                + entry.getKey()
                + "] must be a finite number greater than 0, got ["
                + value
                + "]");
      }
      entries.add(Map.entry(entry.getKey(), weight));
    }
    return new SparseVector(inRankOrder(entries));
  }

  private static Map<String, Float> inRankOrder(List<Map.Entry<String, Float>> entries) {
    entries.sort(RANK_ORDER);
    Map<String, Float> ordered = new LinkedHashMap<>(entries.size() * 2);
    for (Map.Entry<String, Float> entry : entries) {
      ordered.put(entry.getKey(), entry.getValue());
    }
    return ordered;
  }

  /** Term weights in rank order (largest first, ties by term); unmodifiable. */
  public Map<String, Float> weights() {
    return weights;
  }

  /** Number of non-zero terms, ||W||_0. */
  public int size() {
    return weights.size();
  }

  /**
   * The lexical focusing window TopK_k: keeps the {@code k} largest weights when the vector has
   * more than {@code k} terms, otherwise returns this vector unchanged. Ties at the cut are broken
   * by term order.
   *
   * @throws IllegalArgumentException if {@code k < 1}
   */
  public SparseVector topK(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got [" + k + "]");
    }
    if (weights.size() <= k) {
      return this;
    }
    Map<String, Float> kept = new LinkedHashMap<>(k * 2);
    for (Map.Entry<String, Float> entry : weights.entrySet()) {
      if (kept.size() == k) {
        break;
      }
      kept.put(entry.getKey(), entry.getValue());
    }
    return new SparseVector(kept);
  }

  /** The Euclidean norm, computed in double precision. */
  public double l2Norm() {
    double sumOfSquares = 0;
    for (float weight : weights.values()) {
      sumOfSquares += (double) weight * weight;
    }
    return Math.sqrt(sumOfSquares);
  }

  /**
   * This vector divided by its L2 norm (the query side of the asymmetric score). Every weight of
   * the result lies in (0, 1]; a weight so much smaller than the largest that the quotient
   * underflows float is dropped, since it could not change any score.
   */
  public SparseVector l2Normalized() {
    double norm = l2Norm();
    List<Map.Entry<String, Float>> normalized = new ArrayList<>(weights.size());
    for (Map.Entry<String, Float> entry : weights.entrySet()) {
      float weight = (float) (entry.getValue() / norm);
      if (weight > 0f) {
        normalized.add(Map.entry(entry.getKey(), weight));
      }
    }
    // Rounding can turn two close weights into a tie: re-rank so the tie order holds.
    return new SparseVector(inRankOrder(normalized));
  }

  /** The dot product with {@code other}, computed in double precision. */
  public double dot(SparseVector other) {
    SparseVector small = size() <= other.size() ? this : other;
    SparseVector large = small == this ? other : this;
    double sum = 0;
    for (Map.Entry<String, Float> entry : small.weights.entrySet()) {
      Float weight = large.weights.get(entry.getKey());
      if (weight != null) {
        sum += (double) entry.getValue() * weight;
      }
    }
    return sum;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SparseVector vector && weights.equals(vector.weights);
  }

  @Override
  public int hashCode() {
    return weights.hashCode();
  }

  @Override
  public String toString() {
    return weights.toString();
  }
}
