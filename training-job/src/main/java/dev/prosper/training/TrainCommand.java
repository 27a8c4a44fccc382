package dev.prosper.training;

import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.Mode;
import dev.prosper.training.train.Trainer;
import dev.prosper.training.train.TrainingOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train}: trains a PROSPER model and writes the artefact. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description =
        "Trains PROSPER on click logs or judgements with the paper's objective (in-batch InfoNCE on the windowed asymmetric score + FLOPS regularisation) and writes OUTPUT/artefact, the directory the OpenSearch plugin loads, with metrics.csv, validation.json and PNG charts. Data layouts: products.tsv + queries[-SPLIT].tsv + qrels[-SPLIT].tsv, or Multi-CPR (corpus.tsv, SPLIT.query.txt, qrels.SPLIT.tsv).")
public final class TrainCommand implements Callable<Integer> {

  @Mixin DataOptions dataOptions = new DataOptions();

  @Option(
      names = "--backbone",
      description =
          "minilm-l6, bge-small-en, bge-small-zh or a Hugging Face checkpoint directory (default:"
              + " the recipe's).",
      showDefaultValue = Visibility.NEVER)
  String backbone;

  @Option(names = "--output", required = true, description = "Output directory.")
  Path output;

  /** The defaults of the options that differ between this project's best recipe and the paper's. */
  enum Recipe {
    /**
     * The best recipe measured on Home Depot's held-out queries (README, "Model quality"): the
     * 12-layer bge-small-en backbone, lr 1e-4 for one epoch, 10,000 pseudo-queries, up to 8
     * positives per query, documents served with the terms above one weight threshold, 64 on
     * average and at most 256, and queries with 32.
     */
    PROSPER("bge-small-en", 1e-4, 1, 10_000, 8, 256, 64, 32),
    /**
     * The paper's appendix C.2 on this project's smallest backbone: lr 3e-5, 5 epochs, logged
     * queries only, the windows, 16 terms.
     */
    PAPER("minilm-l6", 3e-5, 5, 0, 1, 0, 0, 16);

    final String backbone;
    final double learningRate;
    final int epochs;
    final int pseudoQueries;
    final int positivesPerQuery;
    final int documentTopK;
    final double documentMeanTerms;
    final int queryTopK;

    Recipe(
        String backbone,
        double learningRate,
        int epochs,
        int pseudoQueries,
        int positivesPerQuery,
        int documentTopK,
        double documentMeanTerms,
        int queryTopK) {
      this.backbone = backbone;
      this.learningRate = learningRate;
      this.epochs = epochs;
      this.pseudoQueries = pseudoQueries;
      this.positivesPerQuery = positivesPerQuery;
      this.documentTopK = documentTopK;
      this.documentMeanTerms = documentMeanTerms;
      this.queryTopK = queryTopK;
    }

    String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The recipe a lower-case name names, else an error listing them. */
    static Recipe of(String value) {
      for (Recipe candidate : values()) {
        if (candidate.id().equals(value)) {
          return candidate;
        }
      }
      throw new IllegalArgumentException(
          "[--recipe] must be "
              + java.util.Arrays.stream(values())
                  .map(Recipe::id)
                  .collect(java.util.stream.Collectors.joining(" or "))
              + ", got ["
              + value
              + "]");
    }
  }

  @Option(
      names = "--recipe",
      description =
          "Defaults of --backbone, --lr, --epochs, --pseudo-queries, --positives-per-query,"
              + " --document-top-k, --document-mean-terms and --query-top-k: prosper (the best"
              + " measured on Home Depot: bge-small-en, 1e-4, 1, 10000, 8, 256, 64, 32) or paper"
              + " (the paper's appendix C.2: minilm-l6, 3e-5, 5, 0, 1, 0, 0, 16). Options given"
              + " explicitly win.")
  String recipe = "prosper";

  @Mixin HeadOptions head = new HeadOptions();

  @Option(
      names = "--epochs",
      description = "Epochs (default: the recipe's).",
      showDefaultValue = Visibility.NEVER)
  Integer epochs;

  @Option(names = "--batch-size", description = "Pairs per batch (in-batch negatives).")
  int batchSize = 64;

  @Option(
      names = "--lr",
      description = "Peak learning rate (default: the recipe's).",
      showDefaultValue = Visibility.NEVER)
  Double learningRate;

  @Option(names = "--weight-decay", description = "AdamW weight decay (not on biases and norms).")
  double weightDecay = 0.1;

  @Option(names = "--warmup-epochs", description = "Linear warm-up length, then linear decay.")
  double warmupEpochs = 0.3;

  @Option(names = "--lambda-q", description = "FLOPS weight for queries (target).")
  double lambdaQ = 5e-3;

  @Option(names = "--lambda-d", description = "FLOPS weight for documents (target).")
  double lambdaD = 1e-3;

  @Option(names = "--lambda-ramp-epochs", description = "Quadratic ramp of both FLOPS weights.")
  double lambdaRampEpochs = 1.5;

  @Option(names = "--clip-norm", description = "Global gradient norm clipping (0: off).")
  double clipNorm = 1.0;

  @Option(
      names = "--validation-queries",
      description =
          "Training queries held out for validation (MRR@10 after every epoch, queries pruned to"
              + " --query-top-k terms as served; the best epoch is the artefact).")
  int validationQueries = 500;

  @Option(
      names = "--validation-corpus",
      description = "Products searched in validation: all judged ones plus random others (0: all).")
  int validationCorpus = 10000;

  @Option(names = "--max-steps-per-epoch", description = "Cap on steps per epoch (0: no cap).")
  int maxStepsPerEpoch = 0;

  @Option(names = "--seed", description = "Random seed (same seed, same result).")
  long seed = 42;

  @Option(
      names = "--device",
      description = "auto, cpu or gpu (a CUDA libtorch must be configured).")
  String device = "auto";

  @Option(names = "--resume", description = "Continue from the last checkpoint in OUTPUT.")
  boolean resume;

  @Option(
      names = "--hard-negatives",
      description =
          "Hard negatives per query in the InfoNCE denominator beside the in-batch ones, drawn"
              + " each epoch from products judged below --min-grade and the top"
              + " --hard-negative-depth BM25 results that are not positives (0: in-batch only).")
  int hardNegatives = 0;

  @Option(
      names = "--hard-negative-depth",
      description =
          "BM25 (english analyzer) results mined per logged query for hard negatives (0: judged"
              + " negatives only).")
  int hardNegativeDepth = 50;

  @Option(
      names = "--mlm-steps",
      description =
          "Vocabulary-head warm-up: batches of masked-token prediction on the product titles"
              + " (no labels) before the contrastive stage, training the backbone and its tied"
              + " head (the LRN layer stays as initialised); writes OUTPUT/warmup/artefact (0:"
              + " none).")
  int mlmSteps = 0;

  @Option(names = "--mlm-lr", description = "Peak learning rate of the warm-up.")
  double mlmLr = 5e-5;

  @Option(
      names = "--initial-active-terms",
      description =
          "Sparse start: shift the LM-head bias so that a title's basic representation starts"
              + " with about this many non-zero terms (0: no shift; BERT-family backbones).")
  int initialActiveTerms = 0;

  @Option(
      names = "--pseudo-queries",
      description =
          "Synthetic training queries made from product titles (brand + type, attribute + type,"
              + " model number, dropped words, misspellings), one per product drawn, at most one per"
              + " product (0: none; default: the recipe's).",
      showDefaultValue = Visibility.NEVER)
  Integer pseudoQueries;

  @Option(
      names = "--l1-q",
      description =
          "Weight of an L1 term on the queries' basic representations (mean over the batch of the"
              + " sum of the weights), constant from the first step, beside FLOPS: its gradient"
              + " does not fade as weights shrink, so small weights reach zero (0: none).")
  double l1Q = 0;

  @Option(names = "--l1-d", description = "The same L1 term for the titles (0: none).")
  double l1D = 0;

  @Option(
      names = "--positives-per-query",
      description =
          "Training pairs per query and epoch, each with a different positive of grade >="
              + " --min-grade (fewer when a query has fewer; 1: one positive drawn per epoch;"
              + " default: the recipe's).",
      showDefaultValue = Visibility.NEVER)
  Integer positivesPerQuery;

  @Option(
      names = "--bm25-residual",
      description =
          "Train a model for hybrid serving, BM25 + w * PROSPER (a `bool` of a `match` clause and"
              + " a prosper_sparse clause of boost w): BM25 (english analyzer) / w is added to every"
              + " InfoNCE logit, so the model learns what BM25 misses instead of what it already"
              + " finds. Validation still measures PROSPER alone (0: none).")
  double bm25Residual = 0;

  @Option(
      names = "--title-to-query",
      description =
          "Weight of a second InfoNCE term on the same batch scores read the other way: each"
              + " positive title picks its own query among the batch's queries (a symmetric"
              + " contrastive loss), added to the paper's query-to-title term, eq. 2 (0: none).")
  double titleToQuery = 0;

  @Option(
      names = "--distill",
      description =
          "A cross-encoder teacher's scores (OUTPUT/teacher-scores.tsv of the `teacher` command):"
              + " hard negatives are drawn from the products it scored for a query, and a KL term"
              + " pulls PROSPER's softmax over each pair's positive and hard negatives towards the"
              + " teacher's (needs --hard-negatives of at least 1; none by default).")
  Path distill;

  @Option(names = "--distill-weight", description = "Weight of the distillation term.")
  double distillWeight = 1;

  @Option(
      names = "--distill-temperature",
      description = "The teacher's scores are divided by this before their softmax.")
  double distillTemperature = 1;

  @Option(
      names = "--typo-rate",
      description =
          "Typo-aware training: this share of the training pairs (0 to 1) gets its query with one"
              + " typing mistake (a letter dropped, swapped, doubled or replaced by a neighbouring"
              + " key, or two words run together), drawn anew every epoch, so that misspelled"
              + " queries reach the products their correct spelling finds. Validation queries stay"
              + " as typed (0: none).")
  double typoRate = 0;

  @Override
  public Integer call() throws Exception {
    new Trainer(options(), System.err).run();
    return 0;
  }

  /** The run the options describe, with the recipe's defaults where an option was not given. */
  TrainingOptions options() {
    Recipe defaults = Recipe.of(recipe);
    HeadConfig headConfig = head.toHeadConfig(defaults.documentTopK, defaults.queryTopK);
    return new TrainingOptions(
        dataOptions.data,
        dataOptions.split,
        dataOptions.minGrade,
        dataOptions.holdoutPercent,
        backbone != null ? backbone : defaults.backbone,
        headConfig,
        head.documentMeanTerms(defaults.documentMeanTerms, headConfig.servedTopK(Mode.DOCUMENT)),
        output,
        epochs != null ? epochs : defaults.epochs,
        batchSize,
        learningRate != null ? learningRate : defaults.learningRate,
        weightDecay,
        warmupEpochs,
        lambdaQ,
        lambdaD,
        lambdaRampEpochs,
        clipNorm,
        validationQueries,
        validationCorpus,
        maxStepsPerEpoch,
        seed,
        device,
        resume,
        new TrainingOptions.Levers(
            hardNegatives,
            hardNegativeDepth,
            mlmSteps,
            mlmLr,
            initialActiveTerms,
            pseudoQueries != null ? pseudoQueries : defaults.pseudoQueries,
            l1Q,
            l1D,
            positivesPerQuery != null ? positivesPerQuery : defaults.positivesPerQuery,
            bm25Residual,
            titleToQuery,
            distill,
            distillWeight,
            distillTemperature,
            typoRate));
  }
}
