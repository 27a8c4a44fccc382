package dev.prosper.plugin.query;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.instanceOf;

import dev.prosper.plugin.ProsperPlugin;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.FeatureField;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.opensearch.action.admin.indices.mapping.put.PutMappingRequest;
import org.opensearch.common.compress.CompressedXContent;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.xcontent.MediaTypeRegistry;
import org.opensearch.index.mapper.MapperExtrasModulePlugin;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;
import org.opensearch.plugins.Plugin;
import org.opensearch.test.AbstractQueryTestCase;
import org.opensearch.test.TestGeoShapeFieldMapperPlugin;

/**
 * The full query-builder contract (XContent and stream round trips, equals/hashCode, rewrite,
 * caching, boost and _name) on random builders, plus the Lucene query each one produces checked
 * against a plain reference of top-k and L2 normalisation.
 */
public class ProsperSparseQueryBuilderTests
    extends AbstractQueryTestCase<ProsperSparseQueryBuilder> {

  private static final String SPARSE_FIELD = "title_sparse";

  @Override
  protected Collection<Class<? extends Plugin>> getPlugins() {
    // The base test maps a geo_shape field: TestGeoShapeFieldMapperPlugin provides the type.
    return List.of(
        ProsperPlugin.class, MapperExtrasModulePlugin.class, TestGeoShapeFieldMapperPlugin.class);
  }

  @Override
  protected void initializeAdditionalMappings(MapperService mapperService) throws IOException {
    mapperService.merge(
        MapperService.SINGLE_MAPPING_NAME,
        new CompressedXContent(
            PutMappingRequest.simpleMapping(SPARSE_FIELD, "type=rank_features").toString()),
        MapperService.MergeReason.MAPPING_UPDATE);
  }

  @Override
  protected ProsperSparseQueryBuilder doCreateTestQueryBuilder() {
    Map<String, Float> tokens = new HashMap<>();
    int size = randomIntBetween(1, 40);
    while (tokens.size() < size) {
      String term =
          randomFrom(
              randomAlphaOfLengthBetween(1, 8),
              randomRealisticUnicodeOfCodepointLengthBetween(1, 6),
              randomAlphaOfLengthBetween(1, 4) + ".",
              "##" + randomAlphaOfLengthBetween(1, 4),
              randomAlphaOfLength(2) + " " + randomAlphaOfLength(2));
      // Few distinct weights, so that ties at the top-k cut are common.
      float weight =
          randomBoolean() ? randomIntBetween(1, 3) : (float) randomDoubleBetween(0.001, 20, true);
      tokens.put(term, weight);
    }
    Integer topK = randomBoolean() ? null : randomIntBetween(1, 50);
    return new ProsperSparseQueryBuilder(SPARSE_FIELD, tokens, topK);
  }

  @Override
  protected void doAssertLuceneQuery(
      ProsperSparseQueryBuilder builder, Query query, QueryShardContext context)
      throws IOException {
    assertThat(query, instanceOf(BooleanQuery.class));
    Set<Query> actual = new HashSet<>();
    for (BooleanClause clause : ((BooleanQuery) query).clauses()) {
      assertEquals(BooleanClause.Occur.SHOULD, clause.occur());
      assertThat(clause.query(), instanceOf(ProsperTermQuery.class));
      actual.add(((ProsperTermQuery) clause.query()).inner());
    }
    assertEquals(expectedClauses(builder), actual);
  }

  /** Reference: sort by (weight desc, term asc), keep k, divide by the kept weights' L2 norm. */
  private static Set<Query> expectedClauses(ProsperSparseQueryBuilder builder) {
    List<Map.Entry<String, Float>> entries = new ArrayList<>(builder.queryTokens().entrySet());
    entries.sort(
        (a, b) -> {
          int byWeight = Float.compare(b.getValue(), a.getValue());
          return byWeight != 0 ? byWeight : a.getKey().compareTo(b.getKey());
        });
    int k = builder.topK() == null ? entries.size() : Math.min(builder.topK(), entries.size());
    List<Map.Entry<String, Float>> kept = entries.subList(0, k);
    double sumOfSquares = 0;
    for (Map.Entry<String, Float> entry : kept) {
      sumOfSquares += (double) entry.getValue() * entry.getValue();
    }
    double norm = Math.sqrt(sumOfSquares);
    Set<Query> expected = new HashSet<>();
    for (Map.Entry<String, Float> entry : kept) {
      expected.add(
          FeatureField.newLinearQuery(
              SPARSE_FIELD, entry.getKey(), (float) (entry.getValue() / norm)));
    }
    return expected;
  }

  public void testParsesTheDocumentedExample() throws IOException {
    String json =
        """
        { "prosper_sparse": { "title_sparse": {
            "query_tokens": { "patio": 1.8, "umbrella": 2.1, "ft.": 0.4 },
            "top_k": 16, "boost": 2.0, "_name": "q1" } } }""";
    ProsperSparseQueryBuilder parsed = (ProsperSparseQueryBuilder) parseQuery(json);
    assertEquals("title_sparse", parsed.fieldName());
    assertEquals(Map.of("patio", 1.8f, "umbrella", 2.1f, "ft.", 0.4f), parsed.queryTokens());
    assertEquals(Integer.valueOf(16), parsed.topK());
    assertEquals(2.0f, parsed.boost(), 0f);
    assertEquals("q1", parsed.queryName());
  }

  public void testKeysWithDotsSpacesHashesAndNonAsciiRoundTrip() throws IOException {
    Map<String, Float> tokens =
        Map.of("ft.", 0.4f, "9 ft", 1f, "##ella", 2f, "遮阳伞", 3f, "a.b.c", 1f);
    ProsperSparseQueryBuilder builder = new ProsperSparseQueryBuilder(SPARSE_FIELD, tokens, null);
    String json = builder.toString();
    assertEquals(builder, parseQuery(json));
    assertEquals(builder, assertSerialization(builder));
  }

  public void testEveryMalformedRequestNamesTheProblem() {
    assertParseError("{\"prosper_sparse\": {}}", "requires a field name");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {\"a\": 1}, \"bogus\": 1}}}",
        "does not support [bogus]");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"top_k\": 3}}}",
        "requires exactly one of [query_tokens] or [query_text]");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_text\": \"a\", \"query_tokens\": {\"a\": 1}}}}",
        "requires exactly one of [query_tokens] or [query_text]");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_text\": \"umbrella\"}}}", "requires [model_id]");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_text\": \" \", \"model_id\": \"m\"}}}",
        "[query_text] must not be empty");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_text\": 3, \"model_id\": \"m\"}}}",
        "[query_text] must be a string");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {\"a\": 1}, \"model_id\": \"m\"}}}",
        "[model_id] goes with [query_text]");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {}}}}",
        "[query_tokens] must not be empty");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": [1]}}}",
        "must be an object of term to weight");
    for (String badWeight : List.of("0", "-1.5", "\"abc\"", "null", "1e39", "{}", "[1]")) {
      assertParseError(
          "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {\"umbrella\": " + badWeight + "}}}}",
          "weight of token [umbrella] must be a finite number greater than 0");
    }
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {\"a\": 1}, \"top_k\": 0}}}",
        "[top_k] must be at least 1, got [0]");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {\"a\": 1}, \"top_k\": 3000000000}}}",
        "[top_k] must be at most [2147483647], got [3000000000]");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {\"a\": 1}, \"top_k\": 2.5}}}",
        "[top_k] must be an integer");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {\"a\": 1}}, \"g\": {\"query_tokens\": {\"a\": 1}}}}",
        "doesn't support multiple fields");
    assertParseError(
        "{\"prosper_sparse\": {\"f\": 3}}", "expects an object of parameters for field [f]");
    StringBuilder many = new StringBuilder("{\"prosper_sparse\": {\"f\": {\"query_tokens\": {");
    for (int i = 0; i <= ProsperSparseQueryParser.MAX_QUERY_TOKENS; i++) {
      many.append(i == 0 ? "" : ",").append("\"t").append(i).append("\": 1");
    }
    assertParseError(many.append("}}}}").toString(), "[query_tokens] has more than [10000] terms");
  }

  public void testQueryTextRoundTripsThroughXContentAndTheWire() throws IOException {
    ProsperSparseQueryBuilder text =
        new ProsperSparseQueryBuilder(SPARSE_FIELD, "9 ft. patio umbrella", "prosper-en", 16);
    assertEquals(text, parseQuery(text.toString()));
    assertSerialization(text);
    // Rewritten: the served vector, literal flags included, crosses the wire as it is.
    ProsperSparseQueryBuilder rewritten = new ProsperSparseQueryBuilder(text, patioShade());
    assertEquals(rewritten, assertSerialization(rewritten));
    assertEquals(
        "{\"prosper_sparse\":{\"title_sparse\":{\"query_tokens\":{\"patio\":0.75,\"shade\":0.25},\"top_k\":16,\"boost\":1.0}}}",
        org.opensearch.core.common.Strings.toString(MediaTypeRegistry.JSON, rewritten));
  }

  /** A served vector as an L1-normalising model would give it (weights sum to 1). */
  private static dev.prosper.encoder.SparseVector patioShade() {
    return dev.prosper.encoder.SparseVector.ofTerms(
        List.of(
            new dev.prosper.encoder.SparseVector.Term("patio", 7, 0.75f, true),
            new dev.prosper.encoder.SparseVector.Term("shade", 9, 0.25f, false)));
  }

  public void testTheServedVectorIsScoredAsItIsWithoutANewNormalisation() throws IOException {
    ProsperSparseQueryBuilder text =
        new ProsperSparseQueryBuilder(SPARSE_FIELD, "patio shade", "prosper-en", null);
    // Weights an L1-normalising model serves (sum 1): L2 would change them.
    ProsperSparseQueryBuilder rewritten = new ProsperSparseQueryBuilder(text, patioShade());
    Query query = rewritten.toQuery(createShardContext());
    Set<Query> clauses = new HashSet<>();
    for (BooleanClause clause : ((BooleanQuery) query).clauses()) {
      clauses.add(((ProsperTermQuery) clause.query()).inner());
    }
    assertEquals(
        Set.of(
            FeatureField.newLinearQuery(SPARSE_FIELD, "patio", 0.75f),
            FeatureField.newLinearQuery(SPARSE_FIELD, "shade", 0.25f)),
        clauses);
  }

  public void testInternalFieldsAreNotQueryDsl() {
    assertParseError(
        "{\"prosper_sparse\": {\"f\": {\"query_tokens\": {\"a\": 1}, \"literal_terms\": [\"a\"]}}}",
        "does not support [literal_terms]");
  }

  public void testQueryTextMustBeRewrittenBeforeItBecomesALuceneQuery() throws IOException {
    ProsperSparseQueryBuilder text =
        new ProsperSparseQueryBuilder(SPARSE_FIELD, "umbrella", "prosper-en", null);
    IllegalStateException error =
        expectThrows(IllegalStateException.class, () -> text.doToQuery(createShardContext()));
    assertThat(error.getMessage(), containsString("must be rewritten first"));
  }

  private void assertParseError(String json, String expectedMessagePart) {
    ParsingException error = expectThrows(ParsingException.class, () -> parseQuery(json));
    assertThat(json, error.getMessage(), containsString(expectedMessagePart));
  }

  public void testRejectsFieldsThatAreNotRankFeatures() {
    QueryShardContext context = createShardContext();
    QueryShardException wrongType =
        expectThrows(
            QueryShardException.class,
            () ->
                new ProsperSparseQueryBuilder(TEXT_FIELD_NAME, Map.of("a", 1f), null)
                    .toQuery(context));
    assertThat(wrongType.getMessage(), containsString("only works on [rank_features] fields"));
    assertThat(
        wrongType.getMessage(), containsString("[" + TEXT_FIELD_NAME + "] is of type [text]"));
    QueryShardException unmapped =
        expectThrows(
            QueryShardException.class,
            () ->
                new ProsperSparseQueryBuilder("no_such_field", Map.of("a", 1f), null)
                    .toQuery(context));
    assertThat(unmapped.getMessage(), containsString("field [no_such_field] is not mapped"));
  }

  public void testTopKIsCappedByTheClauseLimit() throws IOException {
    int limit = IndexSearcher.getMaxClauseCount();
    Map<String, Float> tokens = new HashMap<>();
    for (int i = 0; i < limit + 10; i++) {
      tokens.put("t" + i, 1f + i);
    }
    QueryShardContext context = createShardContext();
    Query capped = new ProsperSparseQueryBuilder(SPARSE_FIELD, tokens, null).toQuery(context);
    assertThat(((BooleanQuery) capped).clauses().size(), equalTo(limit));
    QueryShardException tooMany =
        expectThrows(
            QueryShardException.class,
            () -> new ProsperSparseQueryBuilder(SPARSE_FIELD, tokens, limit + 1).toQuery(context));
    assertThat(tooMany.getMessage(), containsString("indices.query.bool.max_clause_count"));
  }

  public void testConstructorValidation() {
    expectThrows(
        IllegalArgumentException.class,
        () -> new ProsperSparseQueryBuilder("", Map.of("a", 1f), null));
    expectThrows(
        IllegalArgumentException.class, () -> new ProsperSparseQueryBuilder("f", Map.of(), null));
    expectThrows(
        IllegalArgumentException.class,
        () -> new ProsperSparseQueryBuilder("f", Map.of("a", 1f), 0));
    IllegalArgumentException badWeight =
        expectThrows(
            IllegalArgumentException.class,
            () -> new ProsperSparseQueryBuilder("f", Map.of("umbrella", Float.NaN), null));
    assertThat(badWeight.getMessage(), containsString("[umbrella]"));
  }

  public void testXContentIsStableWhateverTheInputOrder() {
    ProsperSparseQueryBuilder builder =
        new ProsperSparseQueryBuilder(SPARSE_FIELD, Map.of("b", 1f, "a", 2f), 1);
    assertEquals(
        "{\"prosper_sparse\":{\"title_sparse\":{\"query_tokens\":{\"a\":2.0,\"b\":1.0},\"top_k\":1,\"boost\":1.0}}}",
        org.opensearch.core.common.Strings.toString(MediaTypeRegistry.JSON, builder));
  }
}
