package dev.prosper.training.train;

import dev.prosper.encoder.model.HeadConfig;
import java.nio.file.Path;

/**
 * Everything a training run depends on; the paper's defaults unless overridden (DESIGN.md, §7).
 *
 * @param maxStepsPerEpoch 0 for whole epochs; otherwise a cap (short runs and tests)
 * @param validationCorpus products in the validation corpus: every product judged for a validation
 *     query plus random others up to this size (0: all products)
 */
public record TrainingOptions(
    Path data,
    String split,
    double minGrade,
    int holdoutPercent,
    String backbone,
    HeadConfig head,
    Path output,
    int epochs,
    int batchSize,
    double learningRate,
    double weightDecay,
    double warmupEpochs,
    double lambdaQuery,
    double lambdaDocument,
    double lambdaRampEpochs,
    double clipNorm,
    int validationQueries,
    int validationCorpus,
    int maxStepsPerEpoch,
    long seed,
    String device,
    boolean resume) {

  public TrainingOptions {
    require(epochs >= 1, "--epochs", "must be at least 1, got " + epochs);
    require(
        batchSize >= 2,
        "--batch-size",
        "must be at least 2 (in-batch negatives), got " + batchSize);
    require(learningRate > 0, "--lr", "must be positive, got " + learningRate);
    require(weightDecay >= 0, "--weight-decay", "must not be negative, got " + weightDecay);
    require(warmupEpochs >= 0, "--warmup-epochs", "must not be negative, got " + warmupEpochs);
    require(lambdaQuery >= 0, "--lambda-q", "must not be negative, got " + lambdaQuery);
    require(lambdaDocument >= 0, "--lambda-d", "must not be negative, got " + lambdaDocument);
    require(
        lambdaRampEpochs >= 0,
        "--lambda-ramp-epochs",
        "must not be negative, got " + lambdaRampEpochs);
    require(clipNorm >= 0, "--clip-norm", "must not be negative, got " + clipNorm);
    require(
        validationQueries >= 1,
        "--validation-queries",
        "must be at least 1, got " + validationQueries);
    require(
        validationCorpus >= 0,
        "--validation-corpus",
        "must not be negative, got " + validationCorpus);
    require(
        maxStepsPerEpoch >= 0,
        "--max-steps-per-epoch",
        "must not be negative, got " + maxStepsPerEpoch);
    require(
        holdoutPercent >= 0 && holdoutPercent < 100,
        "--holdout-percent",
        "must be in 0..99, got " + holdoutPercent);
    require(Double.isFinite(minGrade), "--min-grade", "must be a number, got " + minGrade);
  }

  private static void require(boolean condition, String option, String problem) {
    if (!condition) {
      throw new IllegalArgumentException("[" + option + "] " + problem);
    }
  }
}
