package dev.prosper.plugin.query;

import dev.prosper.encoder.SparseVector;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.lucene.document.FeatureField;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.opensearch.core.ParseField;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;

/**
 * {@code prosper_sparse}: scores documents by the PROSPER asymmetric dot product between a query
 * term-weight vector and a {@code rank_features} field.
 *
 * <pre>
 * { "prosper_sparse": { "title_sparse": {
 *     "query_tokens": { "patio": 1.8, "umbrella": 2.1, "ft.": 0.4 },
 *     "top_k": 16, "boost": 1.0, "_name": "q1" } } }
 * </pre>
 *
 * The query keeps the {@code top_k} largest weights (ties by term), divides them by their L2 norm
 * and sums, per document, query weight × stored feature value over the shared terms. Stored values
 * carry 9 significant bits (Lucene {@link FeatureField}), which bounds the score's relative error
 * at about 0.4 %.
 */
public final class ProsperSparseQueryBuilder
    extends AbstractQueryBuilder<ProsperSparseQueryBuilder> {

  public static final String NAME = "prosper_sparse";
  public static final ParseField QUERY_TOKENS_FIELD = new ParseField("query_tokens");
  public static final ParseField TOP_K_FIELD = new ParseField("top_k");

  static final String RANK_FEATURES_TYPE = "rank_features";
  static final String MAX_CLAUSE_COUNT_SETTING = "indices.query.bool.max_clause_count";

  private final String fieldName;

  /** Sorted by term so that serialisation, equality and XContent are independent of input order. */
  private final Map<String, Float> queryTokens;

  /** Number of terms to keep; {@code null} keeps all, up to the clause limit. */
  private final Integer topK;

  /**
   * @throws IllegalArgumentException if the field name is empty, there are no tokens, a weight is
   *     not a finite number greater than 0, or {@code topK} is below 1
   */
  public ProsperSparseQueryBuilder(String fieldName, Map<String, Float> queryTokens, Integer topK) {
    if (fieldName == null || fieldName.isEmpty()) {
      throw new IllegalArgumentException("[" + NAME + "] requires a field name");
    }
    if (queryTokens == null || queryTokens.isEmpty()) {
      throw new IllegalArgumentException(
          "[" + NAME + "] [" + QUERY_TOKENS_FIELD.getPreferredName() + "] must not be empty");
    }
    if (topK != null && topK < 1) {
      throw new IllegalArgumentException(
          "["
              + NAME
              + "] ["
              + TOP_K_FIELD.getPreferredName()
              + "] must be at least 1, got ["
              + topK
              + "]");
    }
    try {
      SparseVector.of(queryTokens);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "[" + NAME + "] [" + QUERY_TOKENS_FIELD.getPreferredName() + "]: " + e.getMessage(), e);
    }
    this.fieldName = fieldName;
    this.queryTokens = Collections.unmodifiableMap(new TreeMap<>(queryTokens));
    this.topK = topK;
  }

  public ProsperSparseQueryBuilder(StreamInput in) throws IOException {
    super(in);
    this.fieldName = in.readString();
    int size = in.readVInt();
    Map<String, Float> tokens = new TreeMap<>();
    for (int i = 0; i < size; i++) {
      tokens.put(in.readString(), in.readFloat());
    }
    this.queryTokens = Collections.unmodifiableMap(tokens);
    this.topK = in.readOptionalVInt();
  }

  @Override
  protected void doWriteTo(StreamOutput out) throws IOException {
    out.writeString(fieldName);
    out.writeVInt(queryTokens.size());
    for (Map.Entry<String, Float> token : queryTokens.entrySet()) {
      out.writeString(token.getKey());
      out.writeFloat(token.getValue());
    }
    out.writeOptionalVInt(topK);
  }

  public String fieldName() {
    return fieldName;
  }

  /** The query's term weights as given (before top-k and normalisation), sorted by term. */
  public Map<String, Float> queryTokens() {
    return queryTokens;
  }

  /** The requested top-k, or {@code null} when all tokens are kept. */
  public Integer topK() {
    return topK;
  }

  @Override
  public String getWriteableName() {
    return NAME;
  }

  @Override
  protected void doXContent(XContentBuilder builder, Params params) throws IOException {
    builder.startObject(NAME);
    builder.startObject(fieldName);
    builder.startObject(QUERY_TOKENS_FIELD.getPreferredName());
    for (Map.Entry<String, Float> token : queryTokens.entrySet()) {
      builder.field(token.getKey(), token.getValue());
    }
    builder.endObject();
    if (topK != null) {
      builder.field(TOP_K_FIELD.getPreferredName(), topK);
    }
    printBoostAndQueryName(builder);
    builder.endObject();
    builder.endObject();
  }

  /**
   * Parses {@code {"<field>": {"query_tokens": {...}, "top_k": n, "boost": b, "_name": s}}}, the
   * parser being positioned on the object that follows {@code "prosper_sparse"}.
   */
  public static ProsperSparseQueryBuilder fromXContent(XContentParser parser) throws IOException {
    String fieldName = null;
    Map<String, Float> queryTokens = null;
    Integer topK = null;
    float boost = DEFAULT_BOOST;
    String queryName = null;

    String currentName = null;
    XContentParser.Token token;
    while ((token = parser.nextToken()) != XContentParser.Token.END_OBJECT) {
      if (token == XContentParser.Token.FIELD_NAME) {
        currentName = parser.currentName();
        continue;
      }
      if (token != XContentParser.Token.START_OBJECT) {
        throw new ParsingException(
            parser.getTokenLocation(),
            "[{}] expects an object of parameters for field [{}], e.g. {\"query_tokens\": {\"umbrella\": 1.0}}, but found [{}]",
            NAME,
            currentName,
            token);
      }
      throwParsingExceptionOnMultipleFields(
          NAME, parser.getTokenLocation(), fieldName, currentName);
      fieldName = currentName;
      String parameter = null;
      while ((token = parser.nextToken()) != XContentParser.Token.END_OBJECT) {
        if (token == XContentParser.Token.FIELD_NAME) {
          parameter = parser.currentName();
        } else if (QUERY_TOKENS_FIELD.match(parameter, parser.getDeprecationHandler())) {
          queryTokens = parseQueryTokens(parser, token);
        } else if (TOP_K_FIELD.match(parameter, parser.getDeprecationHandler())) {
          topK = parseTopK(parser, token);
        } else if (BOOST_FIELD.match(parameter, parser.getDeprecationHandler())) {
          boost = parser.floatValue();
        } else if (NAME_FIELD.match(parameter, parser.getDeprecationHandler())) {
          queryName = parser.text();
        } else {
          throw new ParsingException(
              parser.getTokenLocation(), "[{}] query does not support [{}]", NAME, parameter);
        }
      }
    }
    if (fieldName == null) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] requires a field name, e.g. {\"title_sparse\": {\"query_tokens\": {...}}}",
          NAME);
    }
    if (queryTokens == null) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] requires [{}] for field [{}]",
          NAME,
          QUERY_TOKENS_FIELD.getPreferredName(),
          fieldName);
    }
    try {
      return new ProsperSparseQueryBuilder(fieldName, queryTokens, topK)
          .boost(boost)
          .queryName(queryName);
    } catch (IllegalArgumentException e) {
      throw new ParsingException(parser.getTokenLocation(), e.getMessage(), e);
    }
  }

  private static Map<String, Float> parseQueryTokens(
      XContentParser parser, XContentParser.Token token) throws IOException {
    if (token != XContentParser.Token.START_OBJECT) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] [{}] must be an object of term to weight, found [{}]",
          NAME,
          QUERY_TOKENS_FIELD.getPreferredName(),
          token);
    }
    Map<String, Float> tokens = new TreeMap<>();
    String term = null;
    while ((token = parser.nextToken()) != XContentParser.Token.END_OBJECT) {
      if (token == XContentParser.Token.FIELD_NAME) {
        term = parser.currentName();
        continue;
      }
      float weight = Float.NaN;
      String given;
      if (token == XContentParser.Token.VALUE_NUMBER
          || token == XContentParser.Token.VALUE_STRING) {
        given = parser.text();
        try {
          weight = parser.floatValue();
        } catch (IllegalArgumentException e) {
          // Not a number: reported below together with every other invalid weight.
        }
      } else {
        given = token == XContentParser.Token.VALUE_NULL ? "null" : token.name();
        parser.skipChildren();
      }
      if (!Float.isFinite(weight) || weight <= 0f) {
        throw new ParsingException(
            parser.getTokenLocation(),
            "[{}] weight of token [{}] must be a finite number greater than 0, got [{}]",
            NAME,
            term,
            given);
      }
      tokens.put(term, weight);
    }
    return tokens;
  }

  private static Integer parseTopK(XContentParser parser, XContentParser.Token token)
      throws IOException {
    boolean integral =
        token == XContentParser.Token.VALUE_NUMBER
            && (parser.numberType() == XContentParser.NumberType.INT
                || parser.numberType() == XContentParser.NumberType.LONG);
    if (!integral) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] [{}] must be an integer, found [{}]",
          NAME,
          TOP_K_FIELD.getPreferredName(),
          parser.text());
    }
    long value = parser.longValue();
    if (value < 1 || value > Integer.MAX_VALUE) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] [{}] must be at least 1, got [{}]",
          NAME,
          TOP_K_FIELD.getPreferredName(),
          value);
    }
    return (int) value;
  }

  @Override
  protected Query doToQuery(QueryShardContext context) throws IOException {
    MappedFieldType fieldType = context.fieldMapper(fieldName);
    if (fieldType == null) {
      throw new QueryShardException(
          context,
          "[{}] field [{}] is not mapped; map it as [{}]",
          NAME,
          fieldName,
          RANK_FEATURES_TYPE);
    }
    if (!RANK_FEATURES_TYPE.equals(fieldType.typeName())) {
      throw new QueryShardException(
          context,
          "[{}] only works on [{}] fields, but field [{}] is of type [{}]",
          NAME,
          RANK_FEATURES_TYPE,
          fieldName,
          fieldType.typeName());
    }
    SparseVector query =
        SparseVector.of(queryTokens)
            .topK(effectiveTopK(queryTokens.size(), topK, context))
            .l2Normalized();
    BooleanQuery.Builder builder = new BooleanQuery.Builder();
    for (Map.Entry<String, Float> term : query.weights().entrySet()) {
      builder.add(
          FeatureField.newLinearQuery(fieldName, term.getKey(), term.getValue()),
          BooleanClause.Occur.SHOULD);
    }
    return builder.build();
  }

  /**
   * The number of terms the query keeps: {@code top_k}, or all tokens, never over the clause limit.
   */
  static int effectiveTopK(int tokenCount, Integer requestedTopK, QueryShardContext context) {
    int clauseLimit = IndexSearcher.getMaxClauseCount();
    if (requestedTopK == null) {
      return Math.min(tokenCount, clauseLimit);
    }
    if (requestedTopK > clauseLimit) {
      throw new QueryShardException(
          context,
          "[{}] [{}] is [{}] but [{}] allows at most [{}] terms",
          NAME,
          TOP_K_FIELD.getPreferredName(),
          requestedTopK,
          MAX_CLAUSE_COUNT_SETTING,
          clauseLimit);
    }
    return requestedTopK;
  }

  @Override
  protected boolean doEquals(ProsperSparseQueryBuilder other) {
    return fieldName.equals(other.fieldName)
        && queryTokens.equals(other.queryTokens)
        && Objects.equals(topK, other.topK);
  }

  @Override
  protected int doHashCode() {
    return Objects.hash(fieldName, queryTokens, topK);
  }
}
