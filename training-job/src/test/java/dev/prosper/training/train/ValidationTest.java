package dev.prosper.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosper.training.data.Dataset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ValidationTest {

  private static Dataset catalogue() {
    Map<String, String> products = new LinkedHashMap<>();
    for (int i = 1; i <= 40; i++) {
      products.put("p" + i, "product " + i);
    }
    Map<String, String> queries = Map.of("q1", "first", "q2", "second", "q3", "third");
    Map<String, Map<String, Double>> qrels =
        Map.of(
            "q1", Map.of("p1", 3.0, "p2", 1.0),
            "q2", Map.of("p3", 2.67),
            "q3", Map.of("p4", 3.0));
    return new Dataset(products, queries, qrels, "generated");
  }

  @Test
  void aSampledCorpusChoosesTheThresholdOnItsRandomProductsOnly() {
    Dataset data = catalogue();
    List<String> validation = List.of("q1", "q2");
    Map<String, String> corpus = Validation.corpus(data, validation, 10, 7);
    assertEquals(10, corpus.size());
    assertTrue(corpus.keySet().containsAll(List.of("p1", "p2", "p3")));
    Predicate<String> sample = Validation.drawnLikeTheCatalogue(data, validation, corpus);
    // Judged for a validation query, at any grade: picked by the query, not drawn.
    for (String judged : List.of("p1", "p2", "p3")) {
      assertFalse(sample.test(judged), judged);
    }
    // Everything else the corpus holds was drawn at random, including a product judged only for a
    // training query.
    long drawn = corpus.keySet().stream().filter(sample).count();
    assertEquals(7, drawn);
    assertTrue(sample.test("p4"));
    assertTrue(Validation.withoutRandomProducts(data, validation, corpus).isEmpty());
  }

  @Test
  void aCorpusFilledByTheJudgedProductsSaysSoAndNamesTheOption() {
    Dataset data = catalogue();
    List<String> validation = List.of("q1", "q2");
    // Three products judged for the validation queries fill a corpus of three.
    Map<String, String> corpus = Validation.corpus(data, validation, 3, 7);
    assertEquals(java.util.Set.of("p1", "p2", "p3"), corpus.keySet());
    String warning = Validation.withoutRandomProducts(data, validation, corpus).orElseThrow();
    assertTrue(warning.contains("(3 products)"), warning);
    assertTrue(warning.contains("raise --validation-corpus above 3"), warning);
  }

  @Test
  void theWholeCatalogueChoosesWithEveryProduct() {
    Dataset data = catalogue();
    List<String> validation = List.of("q1", "q2");
    Map<String, String> corpus = Validation.corpus(data, validation, 0, 7);
    Predicate<String> sample = Validation.drawnLikeTheCatalogue(data, validation, corpus);
    assertTrue(corpus.keySet().stream().allMatch(sample));
  }
}
