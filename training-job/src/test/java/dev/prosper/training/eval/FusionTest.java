package dev.prosper.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prosper.training.eval.Retriever.Scored;
import java.util.List;
import org.junit.jupiter.api.Test;

class FusionTest {

  private static final List<Scored> BM25 =
      List.of(new Scored("a", 12.0), new Scored("b", 9.0), new Scored("c", 4.0));
  private static final List<Scored> PROSPER =
      List.of(new Scored("c", 3.0), new Scored("d", 2.5), new Scored("a", 0.5));

  @Test
  void linearFusionAddsTheWeightedScores() {
    // a: 12 + 2 * 0.5 = 13; b: 9; c: 4 + 2 * 3 = 10; d: 2 * 2.5 = 5.
    assertEquals(
        List.of(
            new Scored("a", 13.0),
            new Scored("c", 10.0),
            new Scored("b", 9.0),
            new Scored("d", 5.0)),
        Fusion.linear(BM25, PROSPER, 2.0, 10));
    assertEquals(
        List.of(new Scored("a", 13.0), new Scored("c", 10.0)),
        Fusion.linear(BM25, PROSPER, 2.0, 2));
  }

  @Test
  void minMaxFusionNormalisesEachRankingThenTakesTheWeightedMean() {
    // BM25 12, 9, 4 -> a 1, b 0.625, c 0; PROSPER 3, 2.5, 0.5 -> c 1, d 0.8, a 0.
    // alpha 0.25: a 0.75 * 1 = 0.75; b 0.75 * 0.625 = 0.46875; c 0.25 * 1 = 0.25; d 0.25 * 0.8.
    List<Scored> fused = Fusion.minMax(BM25, PROSPER, 0.25, 10);
    assertEquals(List.of("a", "b", "c", "d"), fused.stream().map(Scored::id).toList());
    assertEquals(0.75, fused.get(0).score(), 1e-12);
    assertEquals(0.46875, fused.get(1).score(), 1e-12);
    assertEquals(0.25, fused.get(2).score(), 1e-12);
    assertEquals(0.2, fused.get(3).score(), 1e-12);
    // alpha 0.75: c 0.75 leads; a 0.25; b 0.15625; d 0.6.
    assertEquals(
        List.of("c", "d", "a", "b"),
        Fusion.minMax(BM25, PROSPER, 0.75, 10).stream().map(Scored::id).toList());
    // One result, or all scores equal: normalised to 1.
    assertEquals(
        List.of(new Scored("a", 0.5), new Scored("c", 0.5)),
        Fusion.minMax(List.of(new Scored("a", 7.0)), List.of(new Scored("c", 0.3)), 0.5, 10));
  }

  @Test
  void reciprocalRankFusionAddsOneOverSixtyPlusRank() {
    List<Scored> fused = Fusion.reciprocalRank(BM25, PROSPER, 10);
    // c: 1/63 + 1/61; a: 1/61 + 1/63 (a tie, the lexical first wins); b: 1/62; d: 1/62.
    assertEquals(List.of("a", "c", "b", "d"), fused.stream().map(Scored::id).toList());
    assertEquals(1.0 / 61 + 1.0 / 63, fused.get(0).score(), 1e-12);
    assertEquals(1.0 / 62, fused.get(2).score(), 1e-12);
  }
}
