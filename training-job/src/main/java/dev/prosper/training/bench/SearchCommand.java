package dev.prosper.training.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs prosper_sparse searches against a node and prints the query's terms and the top hits. */
@Command(
    name = "search",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    description = {
      "Searches an index with prosper_sparse query_text and prints, per query, its weighted terms"
          + " (* = literal) and the top hits with their scores."
    })
public final class SearchCommand implements Callable<Integer> {

  @Mixin NodeOptions node;

  @Option(names = "--index", description = "Index to search.")
  String index = "products";

  @Option(names = "--field", description = "The rank_features field.")
  String field = "title_sparse";

  @Option(names = "--size", description = "Hits to print.")
  int size = 5;

  @Option(names = "--terms", description = "Query terms to print.")
  int terms = 8;

  @Parameters(arity = "1..*", paramLabel = "QUERY", description = "Query texts.")
  List<String> queries;

  @Override
  public Integer call() throws Exception {
    NodeClient client = new NodeClient(node.url);
    for (String query : queries) {
      String text = NodeClient.JSON.writeValueAsString(query);
      JsonNode encoded =
          client.call(
              "POST",
              "/_plugins/prosper/models/" + node.modelId + "/_encode",
              "{\"mode\":\"query\",\"texts\":[" + text + "]}");
      StringBuilder line = new StringBuilder();
      int shown = 0;
      for (JsonNode term : encoded.path("results").path(0).path("terms")) {
        if (shown++ == terms) {
          break;
        }
        line.append(
            String.format(
                Locale.ROOT,
                "%s%s %.2f  ",
                term.path("literal").asBoolean() ? "*" : "",
                term.path("term").asText(),
                term.path("weight").asDouble()));
      }
      JsonNode hits =
          client
              .call(
                  "POST",
                  "/" + index + "/_search?size=" + size,
                  "{\"_source\":[\"title\"],\"query\":{\"prosper_sparse\":{\""
                      + field
                      + "\":{\"query_text\":"
                      + text
                      + ",\"model_id\":"
                      + NodeClient.JSON.writeValueAsString(node.modelId)
                      + "}}}}")
              .path("hits");
      System.out.printf(Locale.ROOT, "%nquery: %s%n  terms: %s%n", query, line.toString().trim());
      for (JsonNode hit : hits.path("hits")) {
        System.out.printf(
            Locale.ROOT,
            "  %7.3f  %s%n",
            hit.path("_score").asDouble(),
            hit.path("_source").path("title").asText());
      }
    }
    return 0;
  }
}
