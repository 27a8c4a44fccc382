package dev.prosper.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RankingMetricsTest {

  @Test
  void metricsOfTwoQueriesByHand() {
    // q1: positives a (3) and b (2.5); ranking x, a, y, b -> first hit at rank 2.
    // q2: positive c (3); not retrieved.
    List<List<String>> rankings = List.of(List.of("x", "a", "y", "b"), List.of("z"));
    List<Map<String, Double>> judged =
        List.of(Map.of("a", 3.0, "b", 2.5, "x", 1.0), Map.of("c", 3.0, "z", 2.0));
    Map<String, Double> m = RankingMetrics.compute(rankings, judged, 2.5);
    assertEquals(2.0, m.get("queries"));
    assertEquals(0.0, m.get("Hit@1"));
    assertEquals(0.5, m.get("Hit@10"));
    assertEquals(0.25, m.get("MRR@10"), 1e-12);
    assertEquals(0.5, m.get("Recall@10"), 1e-12); // q1: 2/2, q2: 0/1
    // nDCG with floor 1: gains a 3, b 2^1.5-1, x 0, z 1, c 3.
    double gainB = Math.pow(2, 1.5) - 1;
    double dcg1 = 3 / log2(3) + gainB / log2(5);
    double idcg1 = 3 + gainB / log2(3);
    double dcg2 = 1 / log2(2);
    double idcg2 = 3 + 1 / log2(3);
    assertEquals((dcg1 / idcg1 + dcg2 / idcg2) / 2, m.get("nDCG@10"), 1e-12);
  }

  @Test
  void perQueryValuesAverageToTheReportedMeans() {
    List<List<String>> rankings = List.of(List.of("x", "a", "y", "b"), List.of("z"), List.of());
    List<Map<String, Double>> judged =
        List.of(Map.of("a", 3.0, "b", 2.5, "x", 1.0), Map.of("c", 3.0, "z", 2.0), Map.of());
    Map<String, double[]> perQuery = RankingMetrics.perQuery(rankings, judged, 2.5);
    assertEquals(RankingMetrics.NAMES, List.copyOf(perQuery.keySet()));
    // The third query has no positive: it is left out, in every metric.
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[] {0.5, 0.0}, perQuery.get("MRR@10"), 1e-12);
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        new double[] {1.0, 0.0}, perQuery.get("Recall@10"), 1e-12);
    assertEquals(RankingMetrics.compute(rankings, judged, 2.5), RankingMetrics.means(perQuery));
  }

  @Test
  void pairedRandomizationTest() {
    double[] a = {0.5, 1.0, 0.0, 0.25};
    // The same system: every assignment is as extreme as the observed (zero) difference.
    assertEquals(1.0, RankingMetrics.pairedRandomizationP(a, a, 999, 1));
    // Three queries, each better by 1: only the all-plus and all-minus of the 8 sign assignments
    // are that extreme, so p = 2/8.
    double p =
        RankingMetrics.pairedRandomizationP(
            new double[] {1, 1, 1}, new double[] {0, 0, 0}, 20_000, 7);
    assertEquals(0.25, p, 0.015);
    // Forty queries all better: p is as small as the permutation count allows.
    double[] better = new double[40];
    java.util.Arrays.fill(better, 1);
    assertEquals(
        1.0 / 1001, RankingMetrics.pairedRandomizationP(better, new double[40], 1000, 3), 1e-12);
    // Seeded: the same inputs, the same p-value.
    double[] b = {0.0, 1.0, 0.5, 0.0};
    assertEquals(
        RankingMetrics.pairedRandomizationP(a, b, 500, 11),
        RankingMetrics.pairedRandomizationP(a, b, 500, 11));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> RankingMetrics.pairedRandomizationP(a, new double[3], 10, 1));
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
