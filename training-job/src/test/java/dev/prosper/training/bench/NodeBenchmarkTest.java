package dev.prosper.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeBenchmarkTest {

  @Test
  void zipfMixRepeatsTheHeadQueriesAndIsDeterministic() {
    List<Integer> draws = NodeBenchmark.zipf(500, 20_000, 3);
    assertEquals(draws, NodeBenchmark.zipf(500, 20_000, 3));
    Map<Integer, Integer> counts = new HashMap<>();
    for (int q : draws) {
      assertTrue(q >= 0 && q < 500);
      counts.merge(q, 1, Integer::sum);
    }
    int top = counts.values().stream().max(Integer::compare).orElseThrow();
    // P(rank 1) = 1 / H(500) ≈ 0.147: the head query is about 2,900 of 20,000 draws.
    assertEquals(0.147, top / 20_000.0, 0.01);
    // The tail is there too: most queries are drawn at least once.
    assertTrue(counts.size() > 350, "distinct queries drawn: " + counts.size());
  }
}
