package dev.prosper.training;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options that choose a run's queries: the dataset, its split, the positive grade and the
 * held-out share. {@code train} and {@code teacher} share them, so that a teacher given the same
 * values trains on exactly the queries the student does.
 */
public final class DataOptions {

  @Option(names = "--data", required = true, description = "Dataset directory.")
  Path data;

  @Option(names = "--split", description = "Query split to train on.")
  String split = "train";

  @Option(names = "--min-grade", description = "Judgements at or above this grade are positives.")
  double minGrade = 1;

  @Option(
      names = "--holdout-percent",
      description =
          "Exclude this percent of queries (by a hash of their text) from training; evaluate"
              + " --holdout-percent uses exactly them.")
  int holdoutPercent = 0;
}
