package dev.prosper.training.eval;

import dev.prosper.training.eval.Retriever.Scored;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hybrid retrieval: fusing a lexical (BM25) and a PROSPER ranking of the same query.
 *
 * <ul>
 *   <li>Linear: score = BM25 + w · PROSPER, raw scores, a product missing from a ranking adding 0
 *       from it. This is what the node computes for a {@code bool} query with a {@code match}
 *       clause and a {@code prosper_sparse} clause of {@code boost} w, both {@code should} (there a
 *       product outside one ranking's top-k still scores; with rankings of depth 1000 the
 *       difference is in the far tail).
 *   <li>Reciprocal rank fusion: score = Σ 1 / (k0 + rank), rank from 1 (Cormack et al., 2009).
 *   <li>Min-max: each ranking's scores mapped to [0, 1] per query ((s - min) / (max - min), 1 when
 *       they are all equal), then (1 - α) · BM25 + α · PROSPER, a product missing from a ranking
 *       adding 0 from it: the kind of score neural-search's {@code normalization-processor} ({@code
 *       min_max}, weighted {@code arithmetic_mean}) gives a {@code hybrid} query (which maps a
 *       ranking's minimum to 0.001 rather than 0).
 * </ul>
 *
 * Ties go to the product that comes first in the lexical ranking, then in the other.
 */
public final class Fusion {

  /** The smoothing constant of reciprocal rank fusion everyone uses. */
  public static final int RRF_K = 60;

  private Fusion() {}

  public static List<Scored> linear(List<Scored> lexical, List<Scored> sparse, double w, int k) {
    Map<String, Double> scores = new LinkedHashMap<>();
    for (Scored s : lexical) {
      scores.merge(s.id(), s.score(), Double::sum);
    }
    for (Scored s : sparse) {
      scores.merge(s.id(), w * s.score(), Double::sum);
    }
    return best(scores, k);
  }

  public static List<Scored> minMax(
      List<Scored> lexical, List<Scored> sparse, double alpha, int k) {
    Map<String, Double> scores = new LinkedHashMap<>();
    addMinMax(scores, lexical, 1 - alpha);
    addMinMax(scores, sparse, alpha);
    return best(scores, k);
  }

  private static void addMinMax(Map<String, Double> scores, List<Scored> ranking, double weight) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Scored s : ranking) {
      min = Math.min(min, s.score());
      max = Math.max(max, s.score());
    }
    for (Scored s : ranking) {
      double normalized = max > min ? (s.score() - min) / (max - min) : 1.0;
      scores.merge(s.id(), weight * normalized, Double::sum);
    }
  }

  public static List<Scored> reciprocalRank(List<Scored> lexical, List<Scored> sparse, int k) {
    Map<String, Double> scores = new LinkedHashMap<>();
    for (List<Scored> ranking : List.of(lexical, sparse)) {
      for (int r = 0; r < ranking.size(); r++) {
        scores.merge(ranking.get(r).id(), 1.0 / (RRF_K + r + 1), Double::sum);
      }
    }
    return best(scores, k);
  }

  private static List<Scored> best(Map<String, Double> scores, int k) {
    List<Scored> all = new ArrayList<>();
    scores.forEach((id, score) -> all.add(new Scored(id, score)));
    // A stable sort keeps the insertion order (lexical first) among equal scores.
    all.sort(Comparator.comparingDouble((Scored s) -> -s.score()));
    return List.copyOf(all.subList(0, Math.min(k, all.size())));
  }

  /** Fuses every query's pair of rankings. */
  public static List<List<Scored>> linearAll(
      List<List<Scored>> lexical, List<List<Scored>> sparse, double w, int k) {
    return each(lexical, sparse, (l, s) -> linear(l, s, w, k));
  }

  /** Fuses every query's pair of rankings. */
  public static List<List<Scored>> minMaxAll(
      List<List<Scored>> lexical, List<List<Scored>> sparse, double alpha, int k) {
    return each(lexical, sparse, (l, s) -> minMax(l, s, alpha, k));
  }

  /** Fuses every query's pair of rankings. */
  public static List<List<Scored>> reciprocalRankAll(
      List<List<Scored>> lexical, List<List<Scored>> sparse, int k) {
    return each(lexical, sparse, (l, s) -> reciprocalRank(l, s, k));
  }

  private static List<List<Scored>> each(
      List<List<Scored>> lexical,
      List<List<Scored>> sparse,
      java.util.function.BinaryOperator<List<Scored>> fuse) {
    List<List<Scored>> out = new ArrayList<>();
    for (int q = 0; q < lexical.size(); q++) {
      out.add(fuse.apply(lexical.get(q), sparse.get(q)));
    }
    return out;
  }

  /** Ids only. */
  public static List<List<String>> ids(List<List<Scored>> rankings) {
    return rankings.stream().map(r -> r.stream().map(Scored::id).toList()).toList();
  }
}
