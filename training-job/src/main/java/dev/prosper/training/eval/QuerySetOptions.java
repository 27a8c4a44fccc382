package dev.prosper.training.eval;

import dev.prosper.training.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Which queries and products an evaluation uses (shared by evaluate and benchmark-node). */
public final class QuerySetOptions {

  @Option(names = "--data", required = true, description = "Dataset directory (TSV or Multi-CPR).")
  Path data;

  @Option(names = "--split", description = "Query split.")
  String split = "train";

  @Option(names = "--min-grade", description = "Judgements at or above this grade are positives.")
  public double minGrade = 1;

  @Option(
      names = "--holdout-percent",
      description = "Use only the queries `train --holdout-percent` held out (0: all queries).")
  int holdoutPercent = 0;

  @Option(names = "--max-queries", description = "Use at most this many queries (0: all).")
  int maxQueries = 0;

  @Option(
      names = "--corpus-sample",
      description =
          "Use only the products judged for the queries plus random others up to this many (0:"
              + " every product). For quick comparisons; say so when reporting.")
  int corpusSample = 0;

  /** The queries with a positive (ids, texts, judgements), and the products to search. */
  public record QuerySet(
      Dataset dataset,
      List<String> ids,
      List<String> texts,
      List<Map<String, Double>> judgements) {}

  /**
   * The queries of a held-out evaluation's other side (what {@code train --holdout-percent} trained
   * and validated on), over the given products.
   *
   * @param queryIds ids among the training side's queries
   * @throws IllegalArgumentException without a hold-out (the two sides would be the same queries)
   */
  public QuerySet trainingSide(
      java.util.function.Function<Dataset, List<String>> queryIds, Map<String, String> products)
      throws IOException {
    if (holdoutPercent <= 0) {
      throw new IllegalArgumentException(
          "[--holdout-percent] is needed: a setting is chosen on queries outside the evaluated"
              + " ones");
    }
    Dataset training = Dataset.read(data, split).trainingSplit(holdoutPercent);
    List<String> ids = queryIds.apply(training);
    Dataset dataset =
        new Dataset(products, training.queries(), training.qrels(), training.description());
    return new QuerySet(
        dataset,
        List.copyOf(ids),
        ids.stream().map(dataset.queries()::get).toList(),
        ids.stream().map(q -> dataset.qrels().get(q)).toList());
  }

  public QuerySet load() throws IOException {
    Dataset full = Dataset.read(data, split).heldOutSplit(holdoutPercent);
    List<String> queryIds = new ArrayList<>(full.queriesWithPositives(minGrade));
    if (maxQueries > 0 && queryIds.size() > maxQueries) {
      queryIds = queryIds.subList(0, maxQueries);
    }
    Dataset dataset = corpusSample > 0 ? full.sampleProducts(queryIds, corpusSample, 7) : full;
    return new QuerySet(
        dataset,
        List.copyOf(queryIds),
        queryIds.stream().map(dataset.queries()::get).toList(),
        queryIds.stream().map(q -> dataset.qrels().get(q)).toList());
  }
}
