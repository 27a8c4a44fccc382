package dev.prosper.training.workbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.training.bench.NodeClient;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the workbench page asks of the cluster: one query text searched three ways (PROSPER's {@code
 * prosper_sparse} with {@code query_text}, BM25's {@code match}, and their linear fusion as a
 * {@code bool} of both with the PROSPER clause boosted), the query's weighted terms from {@code
 * _encode}, and a hit's per-term contributions from {@code _explain}. Every failure becomes a
 * {@link Problem} with the status and a sentence for the page.
 */
final class Workbench {

  static final ObjectMapper JSON = new ObjectMapper();

  /** The node's explanation of one PROSPER term (ProsperTermQuery's wording). */
  private static final Pattern TERM =
      Pattern.compile(
          "term \\[(.*)\\](?: \\((literal|expansion)\\))?: query weight (\\S+) × document weight"
              + " (\\S+).*",
          Pattern.DOTALL);

  /** Where the products are and how to search them. */
  record Target(
      String index,
      String modelId,
      String textField,
      String sparseField,
      int size,
      double hybridWeight) {}

  /** A failure the page shows as is: an HTTP status and one sentence. */
  static final class Problem extends Exception {
    final int status;

    Problem(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private final NodeClient client;
  private final Target target;
  private final Judgements judgements;

  Workbench(NodeClient client, Target target, Judgements judgements) {
    this.client = client;
    this.target = target;
    this.judgements = judgements;
  }

  /** What the page needs to draw itself. */
  ObjectNode config() {
    ObjectNode config = JSON.createObjectNode();
    config.put("url", client.url());
    config.put("index", target.index());
    config.put("modelId", target.modelId());
    config.put("size", target.size());
    config.put("hybridWeight", target.hybridWeight());
    config.put("judgedQueries", judgements == null ? 0 : judgements.judgedQueries());
    if (judgements != null) {
      config.put("minGrade", judgements.minGrade());
    }
    return config;
  }

  /** A judged query text, at random. */
  ObjectNode randomQuery() throws Problem {
    if (judgements == null || judgements.judgedQueries() == 0) {
      throw new Problem(
          404, "no judgements were loaded: start the workbench with --judgements and --queries");
    }
    return JSON.createObjectNode().put("query", judgements.randomQuery());
  }

  /** The query's terms and the three result columns, graded when the query is judged. */
  ObjectNode search(String text) throws Problem {
    String query = requireText(text, "q");
    checkModel();
    ObjectNode result = JSON.createObjectNode();
    result.put("query", query);
    result.set("terms", queryTerms(query));
    Map<String, Double> judged = judged(query);
    result.put("judged", judged != null);
    ArrayNode columns = result.putArray("columns");
    columns.add(column("PROSPER", "prosper_sparse, query_text", prosper(query, 1.0), judged));
    columns.add(column("BM25", "match on " + target.textField(), match(query), judged));
    ObjectNode hybrid = JSON.createObjectNode();
    ArrayNode should = hybrid.putObject("bool").putArray("should");
    should.add(match(query));
    should.add(prosper(query, target.hybridWeight()));
    columns.add(
        column(
            "Hybrid",
            "bool: match + " + target.hybridWeight() + " × prosper_sparse",
            hybrid,
            judged));
    return result;
  }

  /** One hit's score, term by term: query weight × document weight, literal or expansion. */
  ObjectNode explain(String text, String id) throws Problem {
    String query = requireText(text, "q");
    String product = requireText(id, "id");
    checkModel();
    ObjectNode body = JSON.createObjectNode();
    body.set("query", prosper(query, 1.0));
    String path =
        "/"
            + encode(target.index())
            + "/_explain/"
            + encode(product)
            + "?_source_includes="
            + encode(target.textField());
    JsonNode explained = send("POST", path, body.toString());
    ObjectNode result = JSON.createObjectNode();
    result.put("id", product);
    result.put("matched", explained.path("matched").asBoolean());
    JsonNode explanation = explained.path("explanation");
    result.put("score", explanation.path("value").asDouble());
    // The title comes with the explanation (the explain API's _source), not in a second request.
    result.put("title", explained.path("get").path("_source").path(target.textField()).asText(""));
    List<ObjectNode> terms = new ArrayList<>();
    collectTerms(explanation, terms);
    terms.sort(
        (a, b) ->
            Double.compare(b.get("contribution").asDouble(), a.get("contribution").asDouble()));
    result.putArray("terms").addAll(terms);
    Map<String, Double> judged = judged(query);
    if (judged != null && judged.containsKey(product)) {
      result.put("grade", judged.get(product));
    }
    return result;
  }

  /** The query text's judgements, or null when none were loaded or the text is unjudged. */
  private Map<String, Double> judged(String query) {
    return judgements == null ? null : judgements.of(query);
  }

  private static void collectTerms(JsonNode explanation, List<ObjectNode> terms) {
    Matcher matcher = TERM.matcher(explanation.path("description").asText(""));
    if (matcher.matches()) {
      ObjectNode term = JSON.createObjectNode();
      term.put("term", matcher.group(1));
      term.put("literal", "literal".equals(matcher.group(2)));
      term.put("queryWeight", Double.parseDouble(matcher.group(3)));
      term.put("documentWeight", Double.parseDouble(matcher.group(4)));
      term.put("contribution", explanation.path("value").asDouble());
      terms.add(term);
      return;
    }
    for (JsonNode detail : explanation.path("details")) {
      collectTerms(detail, terms);
    }
  }

  private ArrayNode queryTerms(String query) throws Problem {
    ObjectNode body = JSON.createObjectNode().put("mode", "query");
    body.putArray("texts").add(query);
    JsonNode encoded =
        send(
            "POST",
            "/_plugins/prosper/models/" + encode(target.modelId()) + "/_encode",
            body.toString());
    ArrayNode terms = JSON.createArrayNode();
    for (JsonNode term : encoded.path("results").path(0).path("terms")) {
      terms.add(
          JSON.createObjectNode()
              .put("term", term.path("term").asText())
              .put("weight", term.path("weight").asDouble())
              .put("literal", term.path("literal").asBoolean()));
    }
    return terms;
  }

  private ObjectNode column(
      String name, String description, ObjectNode query, Map<String, Double> judged)
      throws Problem {
    ObjectNode body = JSON.createObjectNode();
    body.put("size", target.size());
    body.putArray("_source").add(target.textField());
    body.set("query", query);
    JsonNode hits =
        send("POST", "/" + encode(target.index()) + "/_search", body.toString()).path("hits");
    ObjectNode column = JSON.createObjectNode();
    column.put("name", name);
    column.put("description", description);
    ArrayNode rows = column.putArray("hits");
    List<String> ranking = new ArrayList<>();
    for (JsonNode hit : hits.path("hits")) {
      String id = hit.path("_id").asText();
      ranking.add(id);
      ObjectNode row = rows.addObject();
      row.put("id", id);
      row.put("title", hit.path("_source").path(target.textField()).asText(""));
      row.put("score", hit.path("_score").asDouble());
      if (judged != null && judged.containsKey(id)) {
        row.put("grade", judged.get(id));
      }
    }
    column.put("total", hits.path("total").path("value").asLong());
    if (judged != null) {
      ObjectNode metrics = column.putObject("metrics");
      judgements.metrics(ranking, judged).forEach(metrics::put);
    }
    return column;
  }

  private ObjectNode prosper(String query, double boost) {
    ObjectNode clause = JSON.createObjectNode();
    ObjectNode field = clause.putObject("prosper_sparse").putObject(target.sparseField());
    field.put("query_text", query);
    field.put("model_id", target.modelId());
    if (boost != 1.0) {
      field.put("boost", boost);
    }
    return clause;
  }

  private ObjectNode match(String query) {
    ObjectNode clause = JSON.createObjectNode();
    clause.putObject("match").put(target.textField(), query);
    return clause;
  }

  /** The model must be registered before anything is searched: the page says so plainly. */
  private void checkModel() throws Problem {
    try {
      client.call("GET", "/_plugins/prosper/models/" + encode(target.modelId()), null);
    } catch (NodeClient.Failure e) {
      if (e.status() == 404) {
        throw new Problem(
            404,
            "model ["
                + target.modelId()
                + "] is not registered on the cluster at "
                + client.url()
                + ": register it with PUT _plugins/prosper/models/"
                + target.modelId()
                + ", or start the workbench with the right --model-id");
      }
      throw problem(e);
    } catch (IOException e) {
      throw new Problem(502, e.getMessage());
    }
  }

  private JsonNode send(String method, String path, String body) throws Problem {
    try {
      return client.call(method, path, body);
    } catch (NodeClient.Failure e) {
      throw problem(e);
    } catch (IOException e) {
      throw new Problem(502, e.getMessage());
    }
  }

  private Problem problem(NodeClient.Failure e) {
    if (e.status() == 0) {
      return new Problem(
          502,
          "OpenSearch is not reachable at "
              + client.url()
              + " (is the node running? start it, or give the workbench the right --url)");
    }
    if (e.status() == 404 && e.reason().contains("no such index")) {
      return new Problem(
          404, "index [" + target.index() + "] does not exist on " + client.url() + " (--index)");
    }
    return new Problem(
        e.status() >= 500 ? 502 : e.status(),
        "OpenSearch answered " + e.status() + ": " + e.reason());
  }

  private static String requireText(String value, String parameter) throws Problem {
    if (value == null || value.isBlank()) {
      throw new Problem(400, "parameter [" + parameter + "] is missing or empty");
    }
    return value.strip();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
