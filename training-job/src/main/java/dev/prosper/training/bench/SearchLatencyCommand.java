package dev.prosper.training.bench;

import dev.prosper.training.data.Dataset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Search latency through each node of a cluster: the same distinct queries as {@code
 * prosper_sparse} {@code query_text} (encoded on the node the search is sent to) and as BM25, one
 * at a time, side by side.
 */
@Command(
    name = "benchmark-search",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    description = {
      "Measures search latency through each given node: prosper_sparse query_text (the query is"
          + " encoded on that node) and BM25 match on the same distinct queries, one request at a"
          + " time; prints p50/p99 per node and the ratio to BM25 as a Markdown table."
    })
public final class SearchLatencyCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--url",
      required = true,
      description = "A node to search through; repeat for each node.")
  List<String> urls;

  @Option(names = "--model-id", required = true, description = "Registered PROSPER model.")
  String modelId;

  @Option(names = "--index", description = "Index to search (title, title_sparse).")
  String index = "products";

  @Option(names = "--data", required = true, description = "Dataset directory (its queries).")
  Path data;

  @Option(names = "--queries", description = "Distinct queries measured per node and system.")
  int queries = 200;

  @Option(names = "--warmup", description = "Queries sent first to each node, not measured.")
  int warmup = 20;

  @Override
  public Integer call() throws Exception {
    if (queries < 1 || warmup < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--queries must be at least 1 and --warmup at least 0");
    }
    List<String> texts = new ArrayList<>(Dataset.read(data, "train").queries().values());
    if (texts.size() < queries + warmup) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "the dataset has "
              + texts.size()
              + " queries; --queries + --warmup must not exceed that");
    }
    System.out.println(
        "| node | query_text p50 ms | query_text p99 ms | BM25 p50 ms | BM25 p99 ms |"
            + " p50 ratio |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    for (String url : urls) {
      NodeClient client = new NodeClient(url);
      String name = client.call("GET", "/", null).path("name").asText(url);
      String search = "/" + index + "/_search?size=10&_source=false";
      for (String text : texts.subList(0, warmup)) {
        client.call("POST", search, NodeClient.prosperQuery(modelId, text, 0));
      }
      // Queries after the warm-up, the same for every node: each is new to that node's cache.
      List<Double> prosper = new ArrayList<>();
      List<Double> bm25 = new ArrayList<>();
      for (String text : texts.subList(warmup, warmup + queries)) {
        prosper.add(client.timedMillis(search, NodeClient.prosperQuery(modelId, text, 0)));
        bm25.add(client.timedMillis(search, NodeClient.bm25Query(text)));
      }
      double p50 = NodeBenchmark.percentile(prosper, 50);
      double bm25p50 = NodeBenchmark.percentile(bm25, 50);
      System.out.printf(
          Locale.ROOT,
          "| %s (%s) | %.1f | %.1f | %.1f | %.1f | %.2fx |%n",
          name,
          url,
          p50,
          NodeBenchmark.percentile(prosper, 99),
          bm25p50,
          NodeBenchmark.percentile(bm25, 99),
          p50 / bm25p50);
    }
    return 0;
  }
}
