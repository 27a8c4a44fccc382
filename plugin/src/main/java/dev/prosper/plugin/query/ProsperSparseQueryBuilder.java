package dev.prosper.plugin.query;

import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.model.EncodedText;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.SetOnce;
import org.opensearch.core.ParseField;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.MatchNoneQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryRewriteContext;
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
 *
 * { "prosper_sparse": { "title_sparse": {
 *     "query_text": "9 ft patio umbrella", "model_id": "prosper-en", "top_k": 16 } } }
 * </pre>
 *
 * With {@code query_text}, the text is encoded in query mode by the registered model during rewrite
 * (asynchronously, on the {@code prosper_encode} pool), keeping {@code top_k} terms (default: the
 * artefact's {@code query_top_k}); the rewritten query carries the weights and which terms are
 * literal, for {@code explain}.
 *
 * <p>The query keeps the {@code top_k} largest weights (ties by term), divides them by their L2
 * norm and sums, per document, query weight × stored feature value over the shared terms. Stored
 * values carry 9 significant bits (Lucene {@link org.apache.lucene.document.FeatureField}), which
 * bounds the score's relative error at about 0.4 %.
 */
public final class ProsperSparseQueryBuilder
    extends AbstractQueryBuilder<ProsperSparseQueryBuilder> {

  public static final String NAME = "prosper_sparse";
  public static final ParseField QUERY_TOKENS_FIELD = new ParseField("query_tokens");
  public static final ParseField TOP_K_FIELD = new ParseField("top_k");
  public static final ParseField QUERY_TEXT_FIELD = new ParseField("query_text");
  public static final ParseField MODEL_ID_FIELD = new ParseField("model_id");
  public static final ParseField LITERAL_TERMS_FIELD = new ParseField("literal_terms");

  private static volatile QueryEncoder queryEncoder;

  /** Installed by the plugin when the node starts. */
  public static void setQueryEncoder(QueryEncoder encoder) {
    queryEncoder = encoder;
  }

  static final String RANK_FEATURES_TYPE = "rank_features";
  static final String MAX_CLAUSE_COUNT_SETTING = "indices.query.bool.max_clause_count";

  private final String fieldName;

  /** Sorted by term so that serialisation, equality and XContent are independent of input order. */
  private final Map<String, Float> queryTokens;

  /** Number of terms to keep; {@code null} keeps all, up to the clause limit. */
  private final Integer topK;

  /** Text to encode with {@link #modelId}, until rewrite replaces it with weights. */
  private final String queryText;

  private final String modelId;

  /** Terms of {@link #queryTokens} that are in the query text; {@code null} when unknown. */
  private final Set<String> literalTerms;

  /** The encoding under way for {@link #queryText} (coordinating node only; not serialised). */
  private final SetOnce<EncodedText> pending;

  /**
   * @throws IllegalArgumentException if the field name is empty, there are no tokens, a weight is
   *     not a finite number greater than 0, or {@code topK} is below 1
   */
  public ProsperSparseQueryBuilder(String fieldName, Map<String, Float> queryTokens, Integer topK) {
    this(fieldName, queryTokens, topK, null);
  }

  /**
   * @param literalTerms the terms of {@code queryTokens} that occur in the query text (shown by
   *     explain), or {@code null} when unknown
   */
  public ProsperSparseQueryBuilder(
      String fieldName, Map<String, Float> queryTokens, Integer topK, Set<String> literalTerms) {
    requireFieldAndTopK(fieldName, topK);
    if (queryTokens == null || queryTokens.isEmpty()) {
      throw new IllegalArgumentException(
          "[" + NAME + "] [" + QUERY_TOKENS_FIELD.getPreferredName() + "] must not be empty");
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
    this.queryText = null;
    this.modelId = null;
    this.literalTerms =
        literalTerms == null ? null : Collections.unmodifiableSet(new TreeSet<>(literalTerms));
    this.pending = null;
  }

  /**
   * A query to encode: {@code queryText} with the registered model {@code modelId}.
   *
   * @throws IllegalArgumentException if the field, text or model id is empty or {@code topK} < 1
   */
  public ProsperSparseQueryBuilder(
      String fieldName, String queryText, String modelId, Integer topK) {
    this(fieldName, queryText, modelId, topK, null);
  }

  private ProsperSparseQueryBuilder(
      String fieldName,
      String queryText,
      String modelId,
      Integer topK,
      SetOnce<EncodedText> pending) {
    requireFieldAndTopK(fieldName, topK);
    if (queryText == null || queryText.isBlank()) {
      throw new IllegalArgumentException(
          "[" + NAME + "] [" + QUERY_TEXT_FIELD.getPreferredName() + "] must not be empty");
    }
    if (modelId == null || modelId.isBlank()) {
      throw new IllegalArgumentException(
          "["
              + NAME
              + "] ["
              + QUERY_TEXT_FIELD.getPreferredName()
              + "] requires ["
              + MODEL_ID_FIELD.getPreferredName()
              + "], the registered model that encodes it");
    }
    this.fieldName = fieldName;
    this.queryTokens = null;
    this.topK = topK;
    this.queryText = queryText;
    this.modelId = modelId;
    this.literalTerms = null;
    this.pending = pending;
  }

  private static void requireFieldAndTopK(String fieldName, Integer topK) {
    if (fieldName == null || fieldName.isEmpty()) {
      throw new IllegalArgumentException("[" + NAME + "] requires a field name");
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
  }

  public ProsperSparseQueryBuilder(StreamInput in) throws IOException {
    super(in);
    this.fieldName = in.readString();
    if (in.readBoolean()) {
      int size = in.readVInt();
      Map<String, Float> tokens = new TreeMap<>();
      for (int i = 0; i < size; i++) {
        tokens.put(in.readString(), in.readFloat());
      }
      this.queryTokens = Collections.unmodifiableMap(tokens);
    } else {
      this.queryTokens = null;
    }
    this.topK = in.readOptionalVInt();
    this.queryText = in.readOptionalString();
    this.modelId = in.readOptionalString();
    this.literalTerms =
        in.readBoolean() ? Collections.unmodifiableSet(new TreeSet<>(in.readStringList())) : null;
    this.pending = null;
  }

  @Override
  protected void doWriteTo(StreamOutput out) throws IOException {
    out.writeString(fieldName);
    out.writeBoolean(queryTokens != null);
    if (queryTokens != null) {
      out.writeVInt(queryTokens.size());
      for (Map.Entry<String, Float> token : queryTokens.entrySet()) {
        out.writeString(token.getKey());
        out.writeFloat(token.getValue());
      }
    }
    out.writeOptionalVInt(topK);
    out.writeOptionalString(queryText);
    out.writeOptionalString(modelId);
    out.writeBoolean(literalTerms != null);
    if (literalTerms != null) {
      out.writeStringCollection(literalTerms);
    }
  }

  public String fieldName() {
    return fieldName;
  }

  /** The text to encode, or {@code null} for explicit weights. */
  public String queryText() {
    return queryText;
  }

  public String modelId() {
    return modelId;
  }

  /** The terms marked literal (from query text encoding), or {@code null} when unknown. */
  public Set<String> literalTerms() {
    return literalTerms;
  }

  /**
   * The query's term weights as given (before top-k and normalisation), sorted by term; {@code
   * null} for query text that is not rewritten yet.
   */
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
    if (queryTokens != null) {
      builder.startObject(QUERY_TOKENS_FIELD.getPreferredName());
      for (Map.Entry<String, Float> token : queryTokens.entrySet()) {
        builder.field(token.getKey(), token.getValue());
      }
      builder.endObject();
    }
    if (literalTerms != null) {
      builder.array(LITERAL_TERMS_FIELD.getPreferredName(), literalTerms.toArray(new String[0]));
    }
    if (queryText != null) {
      builder.field(QUERY_TEXT_FIELD.getPreferredName(), queryText);
      builder.field(MODEL_ID_FIELD.getPreferredName(), modelId);
    }
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
    String queryText = null;
    String modelId = null;
    List<String> literalTerms = null;
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
        } else if (QUERY_TEXT_FIELD.match(parameter, parser.getDeprecationHandler())) {
          queryText = parseString(parser, token, QUERY_TEXT_FIELD);
        } else if (MODEL_ID_FIELD.match(parameter, parser.getDeprecationHandler())) {
          modelId = parseString(parser, token, MODEL_ID_FIELD);
        } else if (LITERAL_TERMS_FIELD.match(parameter, parser.getDeprecationHandler())) {
          if (token != XContentParser.Token.START_ARRAY) {
            throw new ParsingException(
                parser.getTokenLocation(),
                "[{}] [{}] must be an array of terms",
                NAME,
                LITERAL_TERMS_FIELD.getPreferredName());
          }
          literalTerms = parser.list().stream().map(String::valueOf).toList();
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
    if ((queryTokens == null) == (queryText == null)) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] requires exactly one of [{}] or [{}] for field [{}]",
          NAME,
          QUERY_TOKENS_FIELD.getPreferredName(),
          QUERY_TEXT_FIELD.getPreferredName(),
          fieldName);
    }
    if (queryTokens != null && modelId != null) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] [{}] goes with [{}], not with [{}]",
          NAME,
          MODEL_ID_FIELD.getPreferredName(),
          QUERY_TEXT_FIELD.getPreferredName(),
          QUERY_TOKENS_FIELD.getPreferredName());
    }
    if (queryText != null && literalTerms != null) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] [{}] goes with [{}]",
          NAME,
          LITERAL_TERMS_FIELD.getPreferredName(),
          QUERY_TOKENS_FIELD.getPreferredName());
    }
    try {
      ProsperSparseQueryBuilder builder =
          queryText != null
              ? new ProsperSparseQueryBuilder(fieldName, queryText, modelId, topK)
              : new ProsperSparseQueryBuilder(
                  fieldName,
                  queryTokens,
                  topK,
                  literalTerms == null ? null : new TreeSet<>(literalTerms));
      return builder.boost(boost).queryName(queryName);
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

  private static String parseString(
      XContentParser parser, XContentParser.Token token, ParseField field) throws IOException {
    if (token != XContentParser.Token.VALUE_STRING) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] [{}] must be a string, found [{}]",
          NAME,
          field.getPreferredName(),
          token);
    }
    return parser.text();
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
  protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
    if (queryTokens != null) {
      return this;
    }
    if (pending != null) {
      EncodedText encoded = pending.get();
      if (encoded == null) {
        return this;
      }
      if (encoded.terms().isEmpty()) {
        return new MatchNoneQueryBuilder();
      }
      Set<String> literal = new TreeSet<>();
      for (EncodedText.Term term : encoded.terms()) {
        if (term.literal()) {
          literal.add(term.term());
        }
      }
      return new ProsperSparseQueryBuilder(fieldName, encoded.weights(), topK, literal);
    }
    int clauseLimit = IndexSearcher.getMaxClauseCount();
    if (topK != null && topK > clauseLimit) {
      throw new IllegalArgumentException(tooManyTerms(topK, clauseLimit));
    }
    QueryEncoder encoder = queryEncoder;
    if (encoder == null) {
      throw new IllegalStateException(
          "["
              + NAME
              + "] ["
              + QUERY_TEXT_FIELD.getPreferredName()
              + "] needs the PROSPER plugin's model runtime, which is not started");
    }
    SetOnce<EncodedText> holder = new SetOnce<>();
    context.registerAsyncAction(
        (client, listener) ->
            encoder.encodeQuery(
                modelId,
                queryText,
                topK,
                ActionListener.wrap(
                    encoded -> {
                      holder.set(encoded);
                      listener.onResponse(null);
                    },
                    listener::onFailure)));
    return new ProsperSparseQueryBuilder(fieldName, queryText, modelId, topK, holder);
  }

  private static String tooManyTerms(int requested, int clauseLimit) {
    return String.format(
        java.util.Locale.ROOT,
        "[%s] [%s] is [%d] but [%s] allows at most [%d] terms",
        NAME,
        TOP_K_FIELD.getPreferredName(),
        requested,
        MAX_CLAUSE_COUNT_SETTING,
        clauseLimit);
  }

  @Override
  protected Query doToQuery(QueryShardContext context) throws IOException {
    if (queryTokens == null) {
      throw new IllegalStateException(
          "["
              + NAME
              + "] query text ["
              + queryText
              + "] was not encoded: the query must be rewritten first");
    }
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
      Boolean literal = literalTerms == null ? null : literalTerms.contains(term.getKey());
      builder.add(
          new ProsperTermQuery(fieldName, term.getKey(), term.getValue(), literal),
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
      throw new QueryShardException(context, tooManyTerms(requestedTopK, clauseLimit));
    }
    return requestedTopK;
  }

  @Override
  protected boolean doEquals(ProsperSparseQueryBuilder other) {
    return fieldName.equals(other.fieldName)
        && Objects.equals(queryTokens, other.queryTokens)
        && Objects.equals(topK, other.topK)
        && Objects.equals(queryText, other.queryText)
        && Objects.equals(modelId, other.modelId)
        && Objects.equals(literalTerms, other.literalTerms);
  }

  @Override
  protected int doHashCode() {
    return Objects.hash(fieldName, queryTokens, topK, queryText, modelId, literalTerms);
  }
}
