package dev.prosper.plugin.query;

import dev.prosper.encoder.SparseVector;
import dev.prosper.ingest.Texts;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.SetOnce;
import org.opensearch.core.ParseField;
import org.opensearch.core.action.ActionListener;
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
 * With {@code query_text}, the text is encoded by the registered model during rewrite
 * (asynchronously, on the {@code prosper_encode} pool) into its served vector ({@code
 * ProsperModel.encode}: {@code top_k} terms, default the artefact's {@code query_top_k}, normalised
 * as the artefact says); the rewritten query carries that vector, literal flags included (for
 * {@code explain}), and {@link #doToQuery} only emits its clauses. With {@code query_tokens}, the
 * served vector is the {@code top_k} largest weights (ties by term) divided by their L2 norm (eq.
 * 11).
 *
 * <p>The score sums, per document, query weight × stored feature value over the shared terms.
 * Stored values carry 9 significant bits (Lucene {@link org.apache.lucene.document.FeatureField}),
 * which bounds the score's relative error at about 0.4 %. Parsing: {@link
 * ProsperSparseQueryParser}.
 */
public final class ProsperSparseQueryBuilder
    extends AbstractQueryBuilder<ProsperSparseQueryBuilder> {

  public static final String NAME = "prosper_sparse";
  public static final ParseField QUERY_TOKENS_FIELD = new ParseField("query_tokens");
  public static final ParseField TOP_K_FIELD = new ParseField("top_k");
  public static final ParseField QUERY_TEXT_FIELD = new ParseField("query_text");
  public static final ParseField MODEL_ID_FIELD = new ParseField("model_id");

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

  /** The served vector of {@link #queryText} once rewrite has encoded it, else {@code null}. */
  private final SparseVector served;

  /** The encoding under way for {@link #queryText} (coordinating node only; not serialised). */
  private final SetOnce<SparseVector> pending;

  /**
   * @throws IllegalArgumentException if the field name is empty, there are no tokens, a weight is
   *     not a finite number greater than 0, or {@code topK} is below 1
   */
  public ProsperSparseQueryBuilder(String fieldName, Map<String, Float> queryTokens, Integer topK) {
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
    this.served = null;
    this.pending = null;
  }

  /** The rewritten form of a query text: its served vector. */
  ProsperSparseQueryBuilder(ProsperSparseQueryBuilder text, SparseVector served) {
    this.fieldName = text.fieldName;
    this.queryTokens = null;
    this.topK = text.topK;
    this.queryText = text.queryText;
    this.modelId = text.modelId;
    this.served = served;
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
      SetOnce<SparseVector> pending) {
    requireFieldAndTopK(fieldName, topK);
    if (Texts.isBlank(queryText)) {
      throw new IllegalArgumentException(
          "["
              + NAME
              + "] ["
              + QUERY_TEXT_FIELD.getPreferredName()
              + "] must not be empty or only invisible characters");
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
    this.served = null;
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
    if (in.readBoolean()) {
      int size = in.readVInt();
      List<SparseVector.Term> terms = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        terms.add(
            new SparseVector.Term(in.readString(), in.readInt(), in.readFloat(), in.readBoolean()));
      }
      this.served = SparseVector.ofTerms(terms);
    } else {
      this.served = null;
    }
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
    out.writeBoolean(served != null);
    if (served != null) {
      out.writeVInt(served.size());
      for (SparseVector.Term term : served.terms()) {
        out.writeString(term.term());
        out.writeInt(term.id());
        out.writeFloat(term.weight());
        out.writeBoolean(term.literal());
      }
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

  /** The served vector of the query text after rewrite, or {@code null}. */
  public SparseVector served() {
    return served;
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
    if (queryTokens != null || served != null) {
      // A rewritten query text shows the weights it scores with.
      Map<String, Float> weights =
          queryTokens != null ? queryTokens : new TreeMap<>(served.weights());
      builder.startObject(QUERY_TOKENS_FIELD.getPreferredName());
      for (Map.Entry<String, Float> token : weights.entrySet()) {
        builder.field(token.getKey(), token.getValue());
      }
      builder.endObject();
    } else {
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

  /** Parses the object that follows {@code "prosper_sparse"} ({@link ProsperSparseQueryParser}). */
  public static ProsperSparseQueryBuilder fromXContent(XContentParser parser) throws IOException {
    return ProsperSparseQueryParser.parse(parser);
  }

  @Override
  protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
    if (queryTokens != null || served != null) {
      return this;
    }
    if (pending != null) {
      SparseVector encoded = pending.get();
      if (encoded == null) {
        return this;
      }
      if (encoded.size() == 0) {
        return new MatchNoneQueryBuilder();
      }
      return new ProsperSparseQueryBuilder(this, encoded);
    }
    checkClauseLimit(topK);
    QueryEncoder encoder = queryEncoder;
    if (encoder == null) {
      throw new IllegalStateException(
          "["
              + NAME
              + "] ["
              + QUERY_TEXT_FIELD.getPreferredName()
              + "] needs the PROSPER plugin's model runtime, which is not started");
    }
    SetOnce<SparseVector> holder = new SetOnce<>();
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

  /**
   * The clause limit, checked in this one place: a requested {@code top_k} above {@code
   * indices.query.bool.max_clause_count} is refused (without one, the served size is capped by it).
   *
   * @throws IllegalArgumentException naming the setting
   */
  static void checkClauseLimit(Integer requested) {
    int clauseLimit = IndexSearcher.getMaxClauseCount();
    if (requested != null && requested > clauseLimit) {
      throw new IllegalArgumentException(
          String.format(
              java.util.Locale.ROOT,
              "[%s] [%s] is [%d] but [%s] allows at most [%d] terms",
              NAME,
              TOP_K_FIELD.getPreferredName(),
              requested,
              MAX_CLAUSE_COUNT_SETTING,
              clauseLimit));
    }
  }

  @Override
  protected Query doToQuery(QueryShardContext context) throws IOException {
    if (queryTokens == null && served == null) {
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
    SparseVector query = served != null ? served : servedTokens(context);
    BooleanQuery.Builder builder = new BooleanQuery.Builder();
    for (SparseVector.Term term : query.terms()) {
      builder.add(
          new ProsperTermQuery(
              fieldName, term.term(), term.weight(), served != null ? term.literal() : null),
          BooleanClause.Occur.SHOULD);
    }
    return builder.build();
  }

  /**
   * The served vector of {@code query_tokens}: the {@code top_k} largest weights (all of them
   * without {@code top_k}, up to the clause limit), L2-normalised (eq. 11).
   */
  private SparseVector servedTokens(QueryShardContext context) {
    try {
      checkClauseLimit(topK);
    } catch (IllegalArgumentException e) {
      throw new QueryShardException(context, e.getMessage());
    }
    int k = topK != null ? topK : Math.min(queryTokens.size(), IndexSearcher.getMaxClauseCount());
    return SparseVector.of(queryTokens).topK(k).l2Normalized();
  }

  @Override
  protected boolean doEquals(ProsperSparseQueryBuilder other) {
    return fieldName.equals(other.fieldName)
        && Objects.equals(queryTokens, other.queryTokens)
        && Objects.equals(topK, other.topK)
        && Objects.equals(queryText, other.queryText)
        && Objects.equals(modelId, other.modelId)
        && Objects.equals(served, other.served);
  }

  @Override
  protected int doHashCode() {
    return Objects.hash(fieldName, queryTokens, topK, queryText, modelId, served);
  }
}
