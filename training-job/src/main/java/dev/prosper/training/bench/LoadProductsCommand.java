package dev.prosper.training.bench;

import dev.prosper.training.data.Dataset;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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

  @Override
  public Integer call() throws Exception {
    Dataset dataset = Dataset.read(data, "train");
    NodeClient client = new NodeClient(node.url);
    client.createProductIndex(index, pipeline, node.modelId, batchSize);
    long start = System.nanoTime();
    long failures = client.bulkIndex(index, dataset.products(), bulkSize, 1);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.err.printf(
        Locale.ROOT,
        "indexed %d products into [%s] through pipeline [%s] in %.0f s (%.0f docs/s), %d failed%n",
        dataset.products().size() - failures,
        index,
        pipeline,
        seconds,
        (dataset.products().size() - failures) / seconds,
        failures);
    return failures == 0 ? 0 : 1;
  }
}
