package dev.prosper.training.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hit@k, MRR@10, Recall@k and graded nDCG@10, averaged over queries that have at least one positive
 * (grade ≥ minGrade). nDCG gain is 2^(grade − floor) − 1, where floor is the lowest grade of the
 * judgements when they use several grades (1 = "not relevant" on a 1–3 scale) and 0 when all
 * judgements share one grade (binary relevance).
 */
public final class RankingMetrics {

  public static final int[] HIT_AT = {1, 10, 100, 1000};
  public static final int[] RECALL_AT = {10, 100, 1000};

  /** The metrics {@link #compute} returns, in report order. */
  public static final List<String> NAMES =
      List.of(
          "Hit@1",
          "Hit@10",
          "Hit@100",
          "Hit@1000",
          "MRR@10",
          "Recall@10",
          "Recall@100",
          "Recall@1000",
          "nDCG@10");

  private RankingMetrics() {}

  /**
   * A markdown table, one row per system: metrics with 4 decimals, columns starting with "mean"
   * with 1, a missing value as "–".
   */
  public static String markdownTable(
      Map<String, Map<String, Double>> results, List<String> columns) {
    StringBuilder md = new StringBuilder();
    md.append("| system | ").append(String.join(" | ", columns)).append(" |\n");
    md.append("|---").append("|---:".repeat(columns.size())).append("|\n");
    results.forEach(
        (system, metrics) -> {
          md.append("| ").append(system);
          for (String column : columns) {
            Double value = metrics.get(column);
            md.append(" | ")
                .append(
                    value == null
                        ? "–"
                        : String.format(
                            java.util.Locale.ROOT,
                            column.startsWith("mean") ? "%.1f" : "%.4f",
                            value));
          }
          md.append(" |\n");
        });
    return md.toString();
  }

  /** Metric name to mean value, in report order; plus "queries" (how many were averaged). */
  public static Map<String, Double> compute(
      List<List<String>> rankings, List<Map<String, Double>> judgements, double minGrade) {
    return means(perQuery(rankings, judgements, minGrade));
  }

  /** The means of {@link #perQuery} values, plus "queries". */
  public static Map<String, Double> means(Map<String, double[]> perQuery) {
    Map<String, Double> means = new LinkedHashMap<>();
    int n = 0;
    for (Map.Entry<String, double[]> metric : perQuery.entrySet()) {
      n = metric.getValue().length;
      means.put(metric.getKey(), n == 0 ? 0 : Arrays.stream(metric.getValue()).sum() / n);
    }
    means.put("queries", (double) n);
    return means;
  }

  /**
   * How many of a query's judged products are positives (grade ≥ {@code minGrade}); a query with
   * none gets no per-query values ({@link #perQuery}).
   */
  public static long positives(Map<String, Double> judged, double minGrade) {
    return judged.values().stream().filter(g -> g >= minGrade).count();
  }

  /**
   * Each metric's value for every query that has a positive (in query order, the same queries for
   * every system), for averaging and for paired significance tests.
   */
  public static Map<String, double[]> perQuery(
      List<List<String>> rankings, List<Map<String, Double>> judgements, double minGrade) {
    return perQuery(rankings, judgements, minGrade, gradeFloor(judgements));
  }

  /**
   * {@link #perQuery(List, List, double)} with the nDCG gain floor given ({@link #gradeFloor} of
   * the whole judgement set), for scoring a few queries of a larger set the same way.
   */
  public static Map<String, double[]> perQuery(
      List<List<String>> rankings,
      List<Map<String, Double>> judgements,
      double minGrade,
      double floor) {
    List<Map<String, Double>> rows = new ArrayList<>();
    for (int q = 0; q < rankings.size(); q++) {
      Map<String, Double> judged = judgements.get(q);
      long positives = positives(judged, minGrade);
      if (positives == 0) {
        continue;
      }
      List<String> ranking = rankings.get(q);
      int first = -1;
      int[] found = new int[ranking.size() + 1];
      for (int i = 0; i < ranking.size(); i++) {
        boolean positive = judged.getOrDefault(ranking.get(i), -1.0) >= minGrade;
        found[i + 1] = found[i] + (positive ? 1 : 0);
        if (positive && first < 0) {
          first = i;
        }
      }
      Map<String, Double> row = new LinkedHashMap<>();
      for (int k : HIT_AT) {
        row.put("Hit@" + k, first >= 0 && first < k ? 1.0 : 0.0);
      }
      row.put("MRR@10", first >= 0 && first < 10 ? 1.0 / (first + 1) : 0);
      for (int k : RECALL_AT) {
        row.put("Recall@" + k, (double) found[Math.min(k, ranking.size())] / positives);
      }
      row.put("nDCG@10", ndcg(ranking, judged, floor, 10));
      rows.add(row);
    }
    Map<String, double[]> values = new LinkedHashMap<>();
    for (String name : NAMES) {
      values.put(name, rows.stream().mapToDouble(row -> row.get(name)).toArray());
    }
    return values;
  }

  /**
   * Two-sided paired randomisation (sign-flip) test of the mean difference between two systems on
   * the same queries: the share of random sign assignments of the per-query differences whose mean
   * is at least as far from zero as the observed one (with the observed assignment counted, so
   * never 0). Seeded: the same inputs give the same p-value.
   */
  public static double pairedRandomizationP(double[] a, double[] b, int permutations, long seed) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "paired test needs the same queries: " + a.length + " vs " + b.length + " values");
    }
    int n = a.length;
    double[] differences = new double[n];
    double observed = 0;
    for (int i = 0; i < n; i++) {
      differences[i] = a[i] - b[i];
      observed += differences[i];
    }
    observed = Math.abs(observed);
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    int atLeast = 1;
    for (int p = 0; p < permutations; p++) {
      double sum = 0;
      for (double difference : differences) {
        sum += random.nextBoolean() ? difference : -difference;
      }
      if (Math.abs(sum) >= observed - 1e-12) {
        atLeast++;
      }
    }
    return (double) atLeast / (permutations + 1);
  }

  /** The lowest grade of the set (nDCG's zero gain), or 0 when every grade is the same. */
  public static double gradeFloor(Collection<Map<String, Double>> judgements) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Map<String, Double> judged : judgements) {
      for (double grade : judged.values()) {
        min = Math.min(min, grade);
        max = Math.max(max, grade);
      }
    }
    return min < max ? min : 0;
  }

  static double ndcg(List<String> ranking, Map<String, Double> judged, double floor, int k) {
    double dcg = 0;
    for (int i = 0; i < Math.min(k, ranking.size()); i++) {
      Double grade = judged.get(ranking.get(i));
      if (grade != null) {
        dcg += gain(grade, floor) / log2(i + 2);
      }
    }
    List<Double> ideal =
        judged.values().stream()
            .map(g -> gain(g, floor))
            .sorted((a, b) -> Double.compare(b, a))
            .toList();
    double idcg = 0;
    for (int i = 0; i < Math.min(k, ideal.size()); i++) {
      idcg += ideal.get(i) / log2(i + 2);
    }
    return idcg == 0 ? 0 : dcg / idcg;
  }

  private static double gain(double grade, double floor) {
    return Math.max(0, Math.pow(2, grade - floor) - 1);
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
