package dev.prosper.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The unknown-word breakdown of {@code evaluate}: which queries, and their means by hand. */
class UnknownWordsTest {

  @Test
  void aQueryWithAWordNoTitleContainsIsUnknown() {
    Set<String> vocabulary =
        UnknownWords.vocabulary(
            List.of(
                "TCP 60W Equivalent Daylight LED Light Bulb (6-Pack)",
                "1 in. Depth EZ Flow Air Filter",
                "Milwaukee 3/4 in. Brass Ball Valve"));
    assertTrue(vocabulary.containsAll(Set.of("led", "bulb", "filter", "valve", "pack")));
    assertFalse(vocabulary.contains("in"), "words have 3+ letters");
    assertTrue(UnknownWords.hasUnknownWord("led blubs", vocabulary));
    assertTrue(UnknownWords.hasUnknownWord("3/4 vlve", vocabulary));
    assertTrue(UnknownWords.hasUnknownWord("airfilter", vocabulary));
    assertFalse(UnknownWords.hasUnknownWord("LED Bulb", vocabulary), "case does not matter");
    assertFalse(
        UnknownWords.hasUnknownWord("14x18x1 air filter", vocabulary), "sizes are no words");
    assertFalse(UnknownWords.hasUnknownWord("3/4 in valve", vocabulary), "short words are skipped");
  }

  @Test
  void onlyQueriesWithAPositiveGetAnEntry() {
    boolean[] unknown =
        UnknownWords.ofJudgedQueries(
            List.of("led blubs", "led bulb", "vlve", "bulb"),
            List.of(Map.of("p1", 3.0), Map.of("p1", 1.0), Map.of("p2", 2.0), Map.of("p1", 2.5)),
            2,
            List.of("LED Light Bulb"));
    // "led bulb" has no positive of grade >= 2: no entry, as RankingMetrics.perQuery gives none.
    assertTrue(java.util.Arrays.equals(new boolean[] {true, true, false}, unknown));
    assertEquals(2, UnknownWords.count(unknown));
  }

  @Test
  void subsetMeansAreComputedOnTheSelectedQueriesOnly() {
    Map<String, Map<String, double[]>> perQuery =
        Map.of(
            "a",
            Map.of(
                "MRR@10", new double[] {1, 0.5, 0, 0.25},
                "nDCG@10", new double[] {1, 0.6, 0, 0.2},
                "Recall@1000", new double[] {1, 1, 0, 0.5}));
    boolean[] unknown = {false, true, true, false};
    Map<String, Double> u = UnknownWords.means(perQuery, unknown).get("a");
    assertEquals(0.25, u.get("MRR@10"), 1e-12);
    assertEquals(0.3, u.get("nDCG@10"), 1e-12);
    assertEquals(0.5, u.get("Recall@1000"), 1e-12);
    assertEquals(2.0, u.get("queries"));
    Map<String, Double> k = UnknownWords.means(perQuery, UnknownWords.not(unknown)).get("a");
    assertEquals(0.625, k.get("MRR@10"), 1e-12);
    assertEquals(0.75, k.get("Recall@1000"), 1e-12);
    Map<String, Double> none = UnknownWords.means(perQuery, new boolean[4]).get("a");
    assertEquals(Map.of("queries", 0.0), none);
    assertThrows(
        IllegalArgumentException.class, () -> UnknownWords.means(perQuery, new boolean[3]));
  }
}
