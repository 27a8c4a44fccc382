package dev.prosper.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.prosper.encoder.SparseVector;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SparseRetrieverTest {

  private static final List<String> IDS = List.of("drawn-1", "drawn-2", "judged");
  private static final List<SparseVector> VECTORS =
      List.of(
          SparseVector.of(Map.of("a", 0.9, "b", 0.5)),
          SparseVector.of(Map.of("a", 0.8, "c", 0.7, "d", 0.2)),
          // A long title with heavy terms: with it in, the threshold for a mean would rise.
          SparseVector.of(Map.of("e", 0.95, "f", 0.94, "g", 0.93, "h", 0.92)));

  @Test
  void theThresholdForAMeanIsTheWeightAtWhichTheVectorsKeepThatManyTerms() {
    // 9 weights; 2 terms each on average over 3 vectors keeps the 6 largest: 0.95 ... 0.8.
    assertEquals(0.8f, SparseRetriever.thresholdForMeanTerms(VECTORS, 2));
  }

  @Test
  void aSampleChoosesTheThresholdOnItsOwnVectors() {
    // Over the two drawn vectors only: 2 terms each keeps their 4 largest, 0.9, 0.8, 0.7, 0.5.
    assertEquals(
        0.5f, SparseRetriever.thresholdForMeanTerms(IDS, VECTORS, 2, id -> id.startsWith("drawn")));
    // A sample that accepts nothing falls back to every vector.
    assertEquals(0.8f, SparseRetriever.thresholdForMeanTerms(IDS, VECTORS, 2, id -> false));
  }
}
