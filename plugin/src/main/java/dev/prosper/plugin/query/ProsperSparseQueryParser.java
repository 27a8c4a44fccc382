package dev.prosper.plugin.query;

import static dev.prosper.plugin.query.ProsperSparseQueryBuilder.MODEL_ID_FIELD;
import static dev.prosper.plugin.query.ProsperSparseQueryBuilder.NAME;
import static dev.prosper.plugin.query.ProsperSparseQueryBuilder.QUERY_TEXT_FIELD;
import static dev.prosper.plugin.query.ProsperSparseQueryBuilder.QUERY_TOKENS_FIELD;
import static dev.prosper.plugin.query.ProsperSparseQueryBuilder.TOP_K_FIELD;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.opensearch.core.ParseField;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.query.AbstractQueryBuilder;

/**
 * Parses the {@code prosper_sparse} query DSL:
 *
 * <pre>
 * {"&lt;field&gt;": {"query_tokens": {...} | "query_text": "...", "model_id": "...",
 *                 "top_k": n, "boost": b, "_name": s}}
 * </pre>
 *
 * Every malformed request gets a {@link ParsingException} (400) that names the parameter and the
 * problem.
 */
final class ProsperSparseQueryParser {

  private ProsperSparseQueryParser() {}

  /** Parses the object that follows {@code "prosper_sparse"}. */
  static ProsperSparseQueryBuilder parse(XContentParser parser) throws IOException {
    String fieldName = null;
    Map<String, Float> queryTokens = null;
    Integer topK = null;
    String queryText = null;
    String modelId = null;
    float boost = AbstractQueryBuilder.DEFAULT_BOOST;
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
            "[{}] expects an object of parameters for field [{}], e.g. {\"query_tokens\":"
                + " {\"umbrella\": 1.0}}, but found [{}]",
            NAME,
            currentName,
            token);
      }
      if (fieldName != null) {
        throw new ParsingException(
            parser.getTokenLocation(),
            "[{}] query doesn't support multiple fields, found [{}] and [{}]",
            NAME,
            fieldName,
            currentName);
      }
      fieldName = currentName;
      String parameter = null;
      while ((token = parser.nextToken()) != XContentParser.Token.END_OBJECT) {
        if (token == XContentParser.Token.FIELD_NAME) {
          parameter = parser.currentName();
        } else if (QUERY_TOKENS_FIELD.match(parameter, parser.getDeprecationHandler())) {
          queryTokens = queryTokens(parser, token);
        } else if (TOP_K_FIELD.match(parameter, parser.getDeprecationHandler())) {
          topK = topK(parser, token);
        } else if (QUERY_TEXT_FIELD.match(parameter, parser.getDeprecationHandler())) {
          queryText = string(parser, token, QUERY_TEXT_FIELD);
        } else if (MODEL_ID_FIELD.match(parameter, parser.getDeprecationHandler())) {
          modelId = string(parser, token, MODEL_ID_FIELD);
        } else if (AbstractQueryBuilder.BOOST_FIELD.match(
            parameter, parser.getDeprecationHandler())) {
          boost = parser.floatValue();
        } else if (AbstractQueryBuilder.NAME_FIELD.match(
            parameter, parser.getDeprecationHandler())) {
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
    try {
      ProsperSparseQueryBuilder builder =
          queryText != null
              ? new ProsperSparseQueryBuilder(fieldName, queryText, modelId, topK)
              : new ProsperSparseQueryBuilder(fieldName, queryTokens, topK);
      return builder.boost(boost).queryName(queryName);
    } catch (IllegalArgumentException e) {
      throw new ParsingException(parser.getTokenLocation(), e.getMessage(), e);
    }
  }

  /**
   * Most terms a {@code query_tokens} map may carry; every request holds all of them in memory
   * before the top {@code top_k} are kept.
   */
  public static final int MAX_QUERY_TOKENS = 10_000;

  private static Map<String, Float> queryTokens(XContentParser parser, XContentParser.Token token)
      throws IOException {
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
      if (tokens.size() > MAX_QUERY_TOKENS) {
        throw new ParsingException(
            parser.getTokenLocation(),
            "[{}] [{}] has more than [{}] terms; send the largest ones (only the top [top_k], at"
                + " most the clause limit, are scored)",
            NAME,
            QUERY_TOKENS_FIELD.getPreferredName(),
            MAX_QUERY_TOKENS);
      }
    }
    return tokens;
  }

  private static String string(XContentParser parser, XContentParser.Token token, ParseField field)
      throws IOException {
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

  private static Integer topK(XContentParser parser, XContentParser.Token token)
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
    if (value < 1) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] [{}] must be at least 1, got [{}]",
          NAME,
          TOP_K_FIELD.getPreferredName(),
          value);
    }
    if (value > Integer.MAX_VALUE) {
      throw new ParsingException(
          parser.getTokenLocation(),
          "[{}] [{}] must be at most [{}], got [{}]",
          NAME,
          TOP_K_FIELD.getPreferredName(),
          Integer.MAX_VALUE,
          value);
    }
    return (int) value;
  }
}
