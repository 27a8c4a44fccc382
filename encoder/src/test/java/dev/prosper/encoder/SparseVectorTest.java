package dev.prosper.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SparseVectorTest {

  @Test
  void topKMatchesSortingReferenceOnRandomVectors() {
    Random random = new Random(42);
    for (int round = 0; round < 500; round++) {
      Map<String, Float> input = randomWeights(random, 1 + random.nextInt(40));
      int k = 1 + random.nextInt(50);

      List<String> expected = new ArrayList<>(input.keySet());
      // Reference: full sort by (weight desc, term asc), then take the first k.
      expected.sort(
          (a, b) -> {
            int byWeight = Float.compare(input.get(b), input.get(a));
            return byWeight != 0 ? byWeight : a.compareTo(b);
          });
      expected = expected.subList(0, Math.min(k, expected.size()));

      SparseVector top = SparseVector.of(input).topK(k);
      assertEquals(expected, new ArrayList<>(top.weights().keySet()));
      for (String term : expected) {
        assertEquals(input.get(term), top.weights().get(term));
      }
    }
  }

  @Test
  void topKLeavesShortVectorsUntouched() {
    SparseVector vector = SparseVector.of(Map.of("a", 1f, "b", 2f));
    assertSame(vector, vector.topK(2));
    assertSame(vector, vector.topK(100));
  }

  @Test
  void tiesAtTheCutAreBrokenByTerm() {
    SparseVector vector = SparseVector.of(Map.of("zeta", 1f, "alpha", 1f, "mid", 1f, "big", 5f));
    assertEquals(List.of("big", "alpha"), new ArrayList<>(vector.topK(2).weights().keySet()));
  }

  @Test
  void l2NormalizedHasUnitNormAndKeepsDirection() {
    Random random = new Random(7);
    for (int round = 0; round < 200; round++) {
      Map<String, Float> input = randomWeights(random, 1 + random.nextInt(30));
      SparseVector vector = SparseVector.of(input);
      SparseVector unit = vector.l2Normalized();
      assertEquals(1.0, unit.l2Norm(), 1e-6);
      double norm = Math.sqrt(input.values().stream().mapToDouble(w -> (double) w * w).sum());
      for (Map.Entry<String, Float> entry : input.entrySet()) {
        assertEquals(entry.getValue() / norm, unit.weights().get(entry.getKey()), 1e-6);
        assertTrue(unit.weights().get(entry.getKey()) <= 1f);
      }
    }
  }

  @Test
  void dotMatchesDirectSum() {
    Random random = new Random(3);
    for (int round = 0; round < 200; round++) {
      Map<String, Float> a = randomWeights(random, 1 + random.nextInt(30));
      Map<String, Float> b = randomWeights(random, 1 + random.nextInt(30));
      double expected = 0;
      for (Map.Entry<String, Float> entry : a.entrySet()) {
        if (b.containsKey(entry.getKey())) {
          expected += (double) entry.getValue() * b.get(entry.getKey());
        }
      }
      assertEquals(expected, SparseVector.of(a).dot(SparseVector.of(b)), 1e-9);
      assertEquals(expected, SparseVector.of(b).dot(SparseVector.of(a)), 1e-9);
    }
  }

  @Test
  void termsWithDotsSpacesAndNonAsciiAreOrdinaryKeys() {
    SparseVector vector = SparseVector.of(Map.of("ft.", 0.4f, "9 ft", 1f, "##ella", 2f, "伞", 3f));
    assertEquals(List.of("伞", "##ella", "9 ft", "ft."), List.copyOf(vector.weights().keySet()));
  }

  @Test
  void invalidWeightsNameTheTerm() {
    for (Float bad : new Float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY, null}) {
      Map<String, Float> input = new HashMap<>();
      input.put("umbrella", bad);
      IllegalArgumentException error =
          assertThrows(IllegalArgumentException.class, () -> SparseVector.of(input));
      assertTrue(error.getMessage().contains("[umbrella]"), error.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> SparseVector.of(Map.of("a", 1f)).topK(0));
  }

  private static Map<String, Float> randomWeights(Random random, int size) {
    Map<String, Float> weights = new HashMap<>();
    while (weights.size() < size) {
      // Few distinct values so that ties are common.
      float weight = random.nextBoolean() ? 1 + random.nextInt(4) : 0.01f + random.nextFloat() * 3;
      weights.put("t" + random.nextInt(100), weight);
    }
    return weights;
  }
}
