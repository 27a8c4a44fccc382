package dev.prosper.encoder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sparse term-weight vector, the one form every part of PROSPER passes around: the served vector
 * of a text (from {@code ProsperModel.encode}), a query's explicit {@code query_tokens}, a
 * document's {@code rank_features}. Weights are finite and strictly positive (zero weights are
 * simply absent).
 *
 * <p>Terms are kept in <em>rank order</em>: larger weight first, equal weights by term in {@link
 * String#compareTo natural order}. That order makes the lexical focusing window ({@link #topK})
 * deterministic when weights tie; it is the only top-k rule of serving. Instances are immutable and
 * thread-safe.
 */
public final class SparseVector {

  /**
   * One term.
   *
   * @param term the tokenizer's vocabulary string, verbatim
   * @param id its vocabulary id, or -1 when the vector did not come from a model
   * @param weight finite and greater than 0
   * @param literal whether the term occurs in the encoded text (false when unknown)
   */
  public record Term(String term, int id, float weight, boolean literal) {}

  /** Larger weight first; equal weights ordered by term so that truncation is deterministic. */
  private static final Comparator<Term> RANK_ORDER =
      Comparator.comparingDouble((Term t) -> -t.weight()).thenComparing(Term::term);

  private final List<Term> terms;
  private final Map<String, Float> weights;

  private SparseVector(List<Term> termsInRankOrder) {
    this.terms = Collections.unmodifiableList(termsInRankOrder);
    Map<String, Float> map = new LinkedHashMap<>(termsInRankOrder.size() * 2);
    for (Term term : termsInRankOrder) {
      map.put(term.term(), term.weight());
    }
    this.weights = Collections.unmodifiableMap(map);
  }

  /**
   * Builds a vector from term weights (no ids, no literal flags).
   *
   * @throws IllegalArgumentException naming the term when a weight is not a finite number greater
   *     than zero, or a term is null
   */
  public static SparseVector of(Map<String, ? extends Number> termWeights) {
    List<Term> terms = new ArrayList<>(termWeights.size());
    for (Map.Entry<String, ? extends Number> entry : termWeights.entrySet()) {
      Number value = entry.getValue();
      float weight = value == null ? Float.NaN : value.floatValue();
      terms.add(checked(entry.getKey(), -1, weight, false, value));
    }
    return ofTerms(terms);
  }

  /**
   * Builds a vector from terms in any order.
   *
   * @throws IllegalArgumentException naming the term when a weight is not a finite number greater
   *     than zero, a term is null or appears twice
   */
  public static SparseVector ofTerms(List<Term> terms) {
    List<Term> sorted = new ArrayList<>(terms.size());
    Set<String> seen = new java.util.HashSet<>();
    for (Term term : terms) {
      Term valid = checked(term.term(), term.id(), term.weight(), term.literal(), term.weight());
      if (!seen.add(valid.term())) {
        throw new IllegalArgumentException("term [" + valid.term() + "] appears twice");
      }
      sorted.add(valid);
    }
    sorted.sort(RANK_ORDER);
    return new SparseVector(sorted);
  }

  private static Term checked(String term, int id, float weight, boolean literal, Object given) {
    if (term == null) {
      throw new IllegalArgumentException("term must not be null");
    }
    if (!Float.isFinite(weight) || weight <= 0f) {
      throw new IllegalArgumentException(
          "weight of term ["
              + term
              + "] must be a finite number greater than 0, got ["
              + given
              + "]");
    }
    return new Term(term, id, weight, literal);
  }

  /** The terms in rank order (largest weight first, ties by term); unmodifiable. */
  public List<Term> terms() {
    return terms;
  }

  /** Term weights in rank order; unmodifiable. */
  public Map<String, Float> weights() {
    return weights;
  }

  /** The terms that occur in the encoded text, in rank order. */
  public Set<String> literalTerms() {
    Set<String> literal = new LinkedHashSet<>();
    for (Term term : terms) {
      if (term.literal()) {
        literal.add(term.term());
      }
    }
    return literal;
  }

  /** Number of non-zero terms, ||W||_0. */
  public int size() {
    return terms.size();
  }

  /**
   * The lexical focusing window TopK_k (eq. 10) as served: keeps the {@code k} largest weights when
   * the vector has more than {@code k} terms, otherwise returns this vector unchanged. Ties at the
   * cut are broken by term order.
   *
   * @throws IllegalArgumentException if {@code k < 1}
   */
  public SparseVector topK(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got [" + k + "]");
    }
    return terms.size() <= k ? this : new SparseVector(new ArrayList<>(terms.subList(0, k)));
  }

  /** The Euclidean norm, computed in double precision. */
  public double l2Norm() {
    double sumOfSquares = 0;
    for (Term term : terms) {
      sumOfSquares += (double) term.weight() * term.weight();
    }
    return Math.sqrt(sumOfSquares);
  }

  /** The sum of the weights (all positive), computed in double precision. */
  public double l1Norm() {
    double sum = 0;
    for (Term term : terms) {
      sum += term.weight();
    }
    return sum;
  }

  /** This vector divided by its L2 norm (the query side of eq. 11's asymmetric score). */
  public SparseVector l2Normalized() {
    return dividedBy(l2Norm());
  }

  /** This vector divided by its L1 norm (the {@code query-l1} ablation). */
  public SparseVector l1Normalized() {
    return dividedBy(l1Norm());
  }

  /**
   * Every weight divided by {@code divisor}. A weight so much smaller than the largest that the
   * quotient underflows float is dropped, since it could not change any score.
   */
  private SparseVector dividedBy(double divisor) {
    if (terms.isEmpty()) {
      return this;
    }
    List<Term> divided = new ArrayList<>(terms.size());
    for (Term term : terms) {
      float weight = (float) (term.weight() / divisor);
      if (weight > 0f) {
        divided.add(new Term(term.term(), term.id(), weight, term.literal()));
      }
    }
    // Rounding can turn two close weights into a tie: re-rank so the tie order holds.
    divided.sort(RANK_ORDER);
    return new SparseVector(divided);
  }

  /** The dot product with {@code other}, computed in double precision. */
  public double dot(SparseVector other) {
    SparseVector small = size() <= other.size() ? this : other;
    SparseVector large = small == this ? other : this;
    double sum = 0;
    for (Term term : small.terms) {
      Float weight = large.weights.get(term.term());
      if (weight != null) {
        sum += (double) term.weight() * weight;
      }
    }
    return sum;
  }

  /** Equal when the terms, weights, ids and literal flags are. */
  @Override
  public boolean equals(Object other) {
    return other instanceof SparseVector vector && terms.equals(vector.terms);
  }

  @Override
  public int hashCode() {
    return terms.hashCode();
  }

  @Override
  public String toString() {
    return weights.toString();
  }
}
