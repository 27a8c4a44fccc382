package dev.prosper.training.train;

import dev.prosper.encoder.head.HeadConfig;
import java.nio.file.Path;

/**
 * Everything a training run depends on; the paper's defaults (its appendix C.2: AdamW, lr 3e-5,
 * weight decay 0.1, warm-up 0.3 epoch, batch 64, 5 epochs) unless overridden.
 *
 * @param documentMeanTerms served documents keep the terms that reach one weight threshold, chosen
 *     after each epoch on the validation products so that they keep this many on average (0: no
 *     threshold)
 * @param maxStepsPerEpoch 0 for whole epochs; otherwise a cap (short runs and tests)
 * @param validationCorpus products in the validation corpus: every product judged for a validation
 *     query plus random others up to this size (0: all products)
 * @param levers the quality levers beyond the paper's recipe (all off: {@link Levers#NONE})
 */
public record TrainingOptions(
    Path data,
    String split,
    double minGrade,
    int holdoutPercent,
    String backbone,
    HeadConfig head,
    double documentMeanTerms,
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
    boolean resume,
    Levers levers) {

  /**
   * @param hardNegatives hard negatives per query in the InfoNCE denominator (0: in-batch only)
   * @param hardNegativeDepth BM25 results mined per query for hard negatives (0: judged only)
   * @param mlmSteps vocabulary-head warm-up steps (masked-token prediction on the titles) before
   *     the contrastive stage (0: none)
   * @param mlmLearningRate peak learning rate of the warm-up
   * @param initialActiveTerms shift the LM-head bias so that titles start with about this many
   *     basic terms (0: no shift)
   * @param pseudoQueries synthetic queries made from product titles added to the training pairs
   * @param l1Query weight of the mean L1 norm of the queries' basic representations, constant from
   *     the first step (0: none)
   * @param l1Document the same for the titles
   * @param positivesPerQuery training pairs per logged query and epoch, each with a different
   *     positive (1: one positive drawn per epoch)
   * @param bm25Residual w: BM25 / w is added to every training logit, for a model served as BM25 +
   *     w · PROSPER (0: none; see {@link LexicalResidual})
   * @param titleToQuery σ: weight of the title-to-query InfoNCE term beside eq. 2 (0: none; see
   *     {@link Objective})
   * @param distill a cross-encoder teacher's scores ({@link TeacherScores}): hard negatives are
   *     drawn from the products it scored, and a KL term pulls the student's distribution over each
   *     pair's positive and hard negatives towards the teacher's (null: none)
   * @param distillWeight α, the weight of that KL term
   * @param distillTemperature τ: the teacher's scores are divided by it before the softmax
   * @param typoRate share of the training pairs whose query gets one typing mistake, drawn anew
   *     every epoch ({@link dev.prosper.training.data.Typos}; 0: none)
   */
  public record Levers(
      int hardNegatives,
      int hardNegativeDepth,
      int mlmSteps,
      double mlmLearningRate,
      int initialActiveTerms,
      int pseudoQueries,
      double l1Query,
      double l1Document,
      int positivesPerQuery,
      double bm25Residual,
      double titleToQuery,
      Path distill,
      double distillWeight,
      double distillTemperature,
      double typoRate) {

    public static final Levers NONE = new Levers(0, 0, 0, 5e-5, 0, 0, 0, 0, 1, 0, 0, null, 1, 1, 0);

    public Levers {
      require(hardNegatives >= 0, "--hard-negatives", "must not be negative, got " + hardNegatives);
      require(
          hardNegativeDepth >= 0,
          "--hard-negative-depth",
          "must not be negative, got " + hardNegativeDepth);
      require(mlmSteps >= 0, "--mlm-steps", "must not be negative, got " + mlmSteps);
      require(mlmLearningRate > 0, "--mlm-lr", "must be positive, got " + mlmLearningRate);
      require(
          initialActiveTerms >= 0,
          "--initial-active-terms",
          "must not be negative, got " + initialActiveTerms);
      require(pseudoQueries >= 0, "--pseudo-queries", "must not be negative, got " + pseudoQueries);
      require(
          l1Query >= 0 && Double.isFinite(l1Query),
          "--l1-q",
          "must be a non-negative number, got " + l1Query);
      require(
          l1Document >= 0 && Double.isFinite(l1Document),
          "--l1-d",
          "must be a non-negative number, got " + l1Document);
      require(
          positivesPerQuery >= 1,
          "--positives-per-query",
          "must be at least 1, got " + positivesPerQuery);
      require(
          bm25Residual >= 0 && Double.isFinite(bm25Residual),
          "--bm25-residual",
          "must be a non-negative number, got " + bm25Residual);
      require(
          titleToQuery >= 0 && Double.isFinite(titleToQuery),
          "--title-to-query",
          "must be a non-negative number, got " + titleToQuery);
      require(
          distillWeight >= 0 && Double.isFinite(distillWeight),
          "--distill-weight",
          "must be a non-negative number, got " + distillWeight);
      require(
          distillTemperature > 0 && Double.isFinite(distillTemperature),
          "--distill-temperature",
          "must be a positive number, got " + distillTemperature);
      require(
          typoRate >= 0 && typoRate <= 1,
          "--typo-rate",
          "must be a share between 0 and 1, got " + typoRate);
      require(
          distill == null || hardNegatives >= 1,
          "--distill",
          "needs --hard-negatives of at least 1: the teacher's distribution is over a pair's"
              + " positive and its hard negatives");
    }
  }

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
    if (levers == null) {
      levers = Levers.NONE;
    }
  }

  /**
   * @throws IllegalArgumentException {@code [option] problem} unless {@code condition}
   */
  public static void require(boolean condition, String option, String problem) {
    if (!condition) {
      throw new IllegalArgumentException("[" + option + "] " + problem);
    }
  }
}
