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

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
