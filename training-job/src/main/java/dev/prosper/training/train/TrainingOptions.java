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
    boolean resume) {}
