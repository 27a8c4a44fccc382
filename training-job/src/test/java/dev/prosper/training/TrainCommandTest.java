package dev.prosper.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prosper.training.train.TrainingOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The recipes' defaults and their precedence below explicit options. */
class TrainCommandTest {

  private static TrainingOptions parse(String... args) {
    TrainCommand command = new TrainCommand();
    String[] all = new String[args.length + 4];
    all[0] = "--data";
    all[1] = "data";
    all[2] = "--output";
    all[3] = "out";
    System.arraycopy(args, 0, all, 4, args.length);
    new CommandLine(command).parseArgs(all);
    return command.options();
  }

  @Test
  void theDefaultRecipeIsTheBestMeasuredOne() {
    TrainingOptions options = parse();
    assertEquals("bge-small-en", options.backbone());
    assertEquals(1e-4, options.learningRate());
    assertEquals(1, options.epochs());
    assertEquals(10_000, options.levers().pseudoQueries());
    assertEquals(8, options.levers().positivesPerQuery());
    assertEquals(256, options.head().documentTopK());
    assertEquals(64, options.documentMeanTerms());
    assertEquals(32, options.head().queryTopK());
    // Unchanged from the paper: batch, weight decay, warm-up, FLOPS weights, windows.
    assertEquals(64, options.batchSize());
    assertEquals(0.1, options.weightDecay());
    assertEquals(0.3, options.warmupEpochs());
    assertEquals(5e-3, options.lambdaQuery());
    assertEquals(1e-3, options.lambdaDocument());
    assertEquals(256, options.head().queryWindow());
    assertEquals(512, options.head().documentWindow());
  }

  @Test
  void thePaperRecipeRestoresAppendixC2() {
    TrainingOptions options = parse("--recipe", "paper");
    assertEquals("minilm-l6", options.backbone());
    assertEquals(3e-5, options.learningRate());
    assertEquals(5, options.epochs());
    assertEquals(0, options.levers().pseudoQueries());
    assertEquals(1, options.levers().positivesPerQuery());
    assertEquals(512, options.head().documentTopK(), "the whole window k_d");
    assertEquals(0, options.documentMeanTerms(), "no weight threshold");
    assertEquals(16, options.head().queryTopK());
  }

  @Test
  void explicitOptionsWinOverEitherRecipe() {
    TrainingOptions options =
        parse("--recipe", "paper", "--lr", "1e-4", "--epochs", "2", "--document-top-k", "32");
    assertEquals(1e-4, options.learningRate());
    assertEquals(2, options.epochs());
    assertEquals(32, options.head().documentTopK());
    assertEquals(16, options.head().queryTopK());
    TrainingOptions prosper = parse("--pseudo-queries", "0", "--positives-per-query", "1");
    assertEquals(0, prosper.levers().pseudoQueries());
    assertEquals(1, prosper.levers().positivesPerQuery());
    assertEquals(1e-4, prosper.learningRate());
    assertEquals("minilm-l6", parse("--backbone", "minilm-l6").backbone());
    assertEquals(0, parse("--document-mean-terms", "0").documentMeanTerms());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> parse("--document-mean-terms", "0.5"));
    assertEquals(
        "[--document-mean-terms] must be 0 (no threshold) or at least 1, got 0.5", e.getMessage());
    // The recipe's mean needs room below --document-top-k; an explicit one must have it.
    assertEquals(0, parse("--document-top-k", "32").documentMeanTerms());
    assertEquals(
        16, parse("--document-top-k", "32", "--document-mean-terms", "16").documentMeanTerms());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("--document-top-k", "32", "--document-mean-terms", "64"));
    assertEquals(
        "[--document-mean-terms] must be below the terms a document keeps at most (32,"
            + " --document-top-k), got 64.0",
        e.getMessage());
  }

  @Test
  void recipeSizesNeverExceedSmallerWindows() {
    TrainingOptions options = parse("--k-d", "48", "--k-q", "24");
    assertEquals(48, options.head().documentTopK());
    assertEquals(24, options.head().queryTopK());
  }

  @Test
  void anUnknownRecipeIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> parse("--recipe", "splade"));
    assertEquals("[--recipe] must be prosper or paper, got [splade]", e.getMessage());
  }
}
