package dev.prosper.plugin.query;

import dev.prosper.plugin.ProsperPlugin;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.opensearch.action.search.SearchResponse;
import org.opensearch.action.support.WriteRequest;
import org.opensearch.common.settings.Settings;
import org.opensearch.index.mapper.MapperExtrasModulePlugin;
import org.opensearch.index.query.QueryBuilders;
import org.opensearch.plugins.Plugin;
import org.opensearch.search.SearchHit;
import org.opensearch.test.OpenSearchSingleNodeTestCase;

/** Scores on a real in-JVM node against a hand-computed asymmetric dot product. */
public class ProsperSparseQuerySingleNodeTests extends OpenSearchSingleNodeTestCase {

  private static final String INDEX = "products";
  private static final String FIELD = "title_sparse";

  @Override
  protected Collection<Class<? extends Plugin>> getPlugins() {
    return List.of(ProsperPlugin.class, MapperExtrasModulePlugin.class);
  }

  public void testScoreIsTheNormalisedDotProductWithinStoredPrecision() {
    createIndex(
        INDEX, Settings.EMPTY, "_doc", FIELD, "type=rank_features", "category", "type=keyword");
    String[] vocabulary = {
      "patio", "umbrella", "ft.", "9 ft", "##ella", "伞", "tilt", "crank", "red", "navy"
    };
    int documents = 30;
    Map<String, Map<String, Float>> stored = new HashMap<>();
    for (int i = 0; i < documents; i++) {
      Map<String, Float> weights = new HashMap<>();
      for (String term : randomSubsetOf(randomIntBetween(1, vocabulary.length), vocabulary)) {
        weights.put(term, (float) randomDoubleBetween(0.01, 5, true));
      }
      stored.put(Integer.toString(i), weights);
      client()
          .prepareIndex(INDEX)
          .setId(Integer.toString(i))
          .setSource(Map.of(FIELD, weights, "category", i % 2 == 0 ? "even" : "odd"))
          .get();
    }
    client().admin().indices().prepareRefresh(INDEX).get();

    Map<String, Float> query = new HashMap<>();
    for (String term : randomSubsetOf(randomIntBetween(1, vocabulary.length), vocabulary)) {
      query.put(term, (float) randomDoubleBetween(0.01, 3, true));
    }
    SearchResponse response =
        client()
            .prepareSearch(INDEX)
            .setQuery(new ProsperSparseQueryBuilder(FIELD, query, null))
            .setSize(documents)
            .get();

    double norm = Math.sqrt(query.values().stream().mapToDouble(w -> (double) w * w).sum());
    int matching = 0;
    for (Map.Entry<String, Map<String, Float>> doc : stored.entrySet()) {
      if (doc.getValue().keySet().stream().anyMatch(query::containsKey)) {
        matching++;
      }
    }
    assertEquals(matching, response.getHits().getTotalHits().value());
    float previous = Float.MAX_VALUE;
    for (SearchHit hit : response.getHits().getHits()) {
      double expected = 0;
      for (Map.Entry<String, Float> term : stored.get(hit.getId()).entrySet()) {
        if (query.containsKey(term.getKey())) {
          expected += query.get(term.getKey()) / norm * term.getValue();
        }
      }
      // FeatureField keeps 9 significant bits: relative error below 2^-8 per stored value.
      assertEquals("doc " + hit.getId(), expected, hit.getScore(), expected * 0.004 + 1e-6);
      assertTrue("ranked by score", hit.getScore() <= previous);
      previous = hit.getScore();
    }

    // Inside bool with a filter, the score is unchanged and only filtered documents return.
    SearchResponse filtered =
        client()
            .prepareSearch(INDEX)
            .setQuery(
                QueryBuilders.boolQuery()
                    .must(new ProsperSparseQueryBuilder(FIELD, query, null).queryName("sparse"))
                    .filter(QueryBuilders.termQuery("category", "even")))
            .setSize(documents)
            .get();
    for (SearchHit hit : filtered.getHits().getHits()) {
      assertEquals(0, Integer.parseInt(hit.getId()) % 2);
      assertTrue(
          hit.getMatchedQueries().length == 1 && "sparse".equals(hit.getMatchedQueries()[0]));
    }
  }

  public void testExactScoreForRepresentableWeights() {
    createIndex(INDEX, Settings.EMPTY, "_doc", FIELD, "type=rank_features");
    client()
        .prepareIndex(INDEX)
        .setId("1")
        .setSource(Map.of(FIELD, Map.of("patio", 1.5f, "umbrella", 2.0f, "ft.", 0.5f)))
        .setRefreshPolicy(WriteRequest.RefreshPolicy.IMMEDIATE)
        .get();
    SearchResponse response =
        client()
            .prepareSearch(INDEX)
            .setQuery(
                new ProsperSparseQueryBuilder(
                    FIELD, Map.of("patio", 1.8f, "umbrella", 2.1f, "ft.", 0.4f), null))
            .get();
    // Hand computation: ||q|| = sqrt(1.8^2 + 2.1^2 + 0.4^2) = sqrt(7.81);
    // s = (1.8 * 1.5 + 2.1 * 2.0 + 0.4 * 0.5) / sqrt(7.81) = 7.1 / 2.794638 = 2.540580.
    assertEquals(2.540580f, response.getHits().getAt(0).getScore(), 1e-5f);
  }
}
