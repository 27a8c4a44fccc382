package dev.prosper.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosper.training.eval.Bm25Retriever;
import dev.prosper.training.eval.Retriever.Scored;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.junit.jupiter.api.Test;

/** The training-side BM25 of {@code --bm25-residual} scores as Lucene's BM25 does. */
class LexicalResidualTest {

  @Test
  void scoresAsLuceneBm25WithTheEnglishAnalyzer() throws Exception {
    Map<String, String> products = new LinkedHashMap<>();
    products.put("1", "9 ft. Patio Umbrella in White");
    products.put("2", "White Patio Chairs (2-Pack)");
    products.put("3", "18-Volt Cordless Drill with Drill Bits");
    products.put("4", "Steel Drill Bit Set (21-Piece)");
    products.put("5", "Black Steel Garden Hose Reel");
    products.put("6", "75 ft. Expandable Garden Hose");
    LexicalResidual lexical = new LexicalResidual(products.values(), 2.0);
    List<String> queries = List.of("patio umbrellas", "drill bits", "garden hose 75 ft", "lamp");
    try (Bm25Retriever lucene = new Bm25Retriever(products, new EnglishAnalyzer())) {
      List<List<Scored>> rankings = lucene.searchScored(queries, 10);
      int compared = 0;
      for (int q = 0; q < queries.size(); q++) {
        Map<String, Double> luceneScores = new LinkedHashMap<>();
        rankings.get(q).forEach(s -> luceneScores.put(s.id(), s.score()));
        for (Map.Entry<String, String> product : products.entrySet()) {
          double ours = lexical.bm25(queries.get(q), product.getValue());
          double expected = luceneScores.getOrDefault(product.getKey(), 0.0);
          assertEquals(expected, ours, 1e-5 * Math.max(1, expected), queries.get(q));
          compared += expected > 0 ? 1 : 0;
        }
      }
      assertTrue(compared >= 6, "matches compared: " + compared);
    }
    // The logits' fixed part: BM25 / w, queries by rows.
    float[] offsets =
        lexical.offsets(
            List.of("drill bits", "lamp"), List.of(products.get("3"), products.get("4")));
    assertEquals(4, offsets.length);
    assertEquals(lexical.bm25("drill bits", products.get("4")) / 2.0, offsets[1], 1e-6);
    assertEquals(0f, offsets[2]);
  }
}
