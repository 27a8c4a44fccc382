package dev.prosper.training;

import dev.prosper.training.data.SampleCatalogue;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sample-data}: writes the seeded sample catalogue in the uniform TSV layout. */
@Command(
    name = "sample-data",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description =
        "Writes a seeded, licence-clean sample catalogue (products.tsv, queries.tsv, qrels.tsv with grades 1-3): brand + type, model-number, attribute + type, misspelled and synonym queries.")
public final class SampleDataCommand implements Callable<Integer> {

  @Option(names = "--output", required = true, description = "Directory to write.")
  Path output;

  @Option(names = "--products", description = "Number of products.")
  int products = 20000;

  @Option(names = "--queries", description = "Number of queries.")
  int queries = 5000;

  @Option(names = "--seed", description = "Random seed.")
  long seed = 1;

  @Override
  public Integer call() throws Exception {
    SampleCatalogue.generate(products, queries, seed).toDataset().writeTsv(output);
    System.out.printf("wrote %d products and %d queries to %s%n", products, queries, output);
    return 0;
  }
}
