package dev.prosper.training.bench;

import dev.prosper.training.data.Dataset;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Creates a products index with a prosper pipeline on a node and indexes a catalogue into it. */
@Command(
    name = "load-products",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    description = {
      "Creates (or recreates) an index whose pipeline encodes titles with a registered PROSPER"
          + " model, and indexes the products of a dataset (products.tsv or corpus.tsv) into it."
    })
public final class LoadProductsCommand implements Callable<Integer> {

  @Mixin NodeOptions node;

  @Spec CommandSpec spec;

  @Option(names = "--data", required = true, description = "Dataset directory.")
  Path data;

  @Option(names = "--index", description = "Index to create.")
  String index = "products";

  @Option(names = "--pipeline", description = "Ingest pipeline to create.")
  String pipeline = "prosper";

  @Option(names = "--batch-size", description = "The processor's batch_size.")
  int batchSize = 128;

  @Option(names = "--bulk-size", description = "Documents per _bulk request.")
  int bulkSize = 256;

  @Option(names = "--clients", description = "Concurrent _bulk connections.")
  int clients = 1;

  @Option(names = "--shards", description = "Primary shards of the index.")
  int shards = 1;

  @Option(
      names = "--replicas",
      description = "Replicas of each shard (0 on one node; 1 on a cluster with two data nodes).")
  int replicas = 0;

  @Option(
      names = "--limit",
      description = "Index only the first N products of the dataset (0: all of them).")
  int limit = 0;

  @Override
  public Integer call() throws Exception {
    Dataset dataset = Dataset.read(data, "train");
    if (clients < 1 || shards < 1 || replicas < 0 || limit < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--clients and --shards must be at least 1, --replicas and --limit at least 0");
    }
    Map<String, String> products = dataset.products();
    if (limit > 0 && limit < products.size()) {
      products = new LinkedHashMap<>();
      for (Map.Entry<String, String> product : dataset.products().entrySet()) {
        if (products.size() == limit) {
          break;
        }
        products.put(product.getKey(), product.getValue());
      }
    }
    NodeClient client = new NodeClient(node.url);
    client.createProductIndex(index, pipeline, node.modelId, batchSize, shards, replicas);
    long start = System.nanoTime();
    long failures = client.bulkIndex(index, products, bulkSize, clients);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.err.printf(
        Locale.ROOT,
        "indexed %d products into [%s] through pipeline [%s] in %.0f s (%.0f docs/s), %d failed%n",
        products.size() - failures,
        index,
        pipeline,
        seconds,
        (products.size() - failures) / seconds,
        failures);
    return failures == 0 ? 0 : 1;
  }
}
