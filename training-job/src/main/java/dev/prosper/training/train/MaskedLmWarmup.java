package dev.prosper.training.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.ops.Scalars;
import dev.prosper.encoder.tokenizer.ProsperTokenizer;
import dev.prosper.encoder.tokenizer.TokenBatch;
import dev.prosper.training.Progress;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import me.tongfei.progressbar.ProgressBar;

/**
 * Vocabulary-head warm-up on the catalogue (domain-adaptive pre-training): masked-token prediction
 * over product titles through the backbone and its tied LM head, the logits H that PROSPER's basic
 * representation saturates (paper eq. 5). The bundled sentence encoders have no trained MLM head;
 * this gives the head's logits a meaning before the contrastive stage, with no labels.
 *
 * <p>BERT's recipe: 15 % of a title's non-special tokens are predicted (at least one), of which 80
 * % are replaced by {@code [MASK]}, 10 % by a random vocabulary entry and 10 % kept. The loss is
 * the mean cross-entropy over the predicted positions. The LRN layer is not trained here.
 */
public final class MaskedLmWarmup {

  static final double MASK_PROBABILITY = 0.15;

  private final ProsperModel model;
  private final int maskId;
  private final int[] replacements;

  public MaskedLmWarmup(ProsperModel model) {
    this.model = model;
    ProsperTokenizer tokenizer = model.tokenizer();
    maskId = tokenizer.idOf("[MASK]");
    if (maskId < 0) {
      throw new IllegalArgumentException(
          "--mlm-steps needs a tokenizer with a [MASK] token (BERT family); this one has none");
    }
    if (!model.parameters().contains("embeddings.word_embeddings.weight")) {
      throw new IllegalArgumentException("--mlm-steps needs a BERT-family backbone");
    }
    List<Integer> ids = new ArrayList<>();
    for (int id = 0; id < model.config().vocabSize(); id++) {
      if (tokenizer.hasToken(id) && !tokenizer.isSpecial(id)) {
        ids.add(id);
      }
    }
    replacements = ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A batch with some tokens masked, and what the model has to predict at those positions. */
  record Masked(long[][] ids, long[][] attentionMask, boolean[] predicted, long[] targets) {}

  /** Masks a batch of titles (deterministic for the random's state). */
  Masked mask(List<String> titles, Random random) {
    TokenBatch batch = model.tokenize(titles);
    ProsperTokenizer tokenizer = model.tokenizer();
    int rows = batch.size();
    int length = rows == 0 ? 0 : batch.ids()[0].length;
    long[][] ids = new long[rows][];
    boolean[] predicted = new boolean[rows * length];
    List<Long> targets = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      ids[r] = batch.ids()[r].clone();
      List<Integer> candidates = new ArrayList<>();
      for (int t = 0; t < length; t++) {
        if (batch.attentionMask()[r][t] == 1 && !tokenizer.isSpecial((int) ids[r][t])) {
          candidates.add(t);
        }
      }
      List<Integer> chosen = new ArrayList<>();
      for (int t : candidates) {
        if (random.nextDouble() < MASK_PROBABILITY) {
          chosen.add(t);
        }
      }
      if (chosen.isEmpty() && !candidates.isEmpty()) {
        chosen.add(candidates.get(random.nextInt(candidates.size())));
      }
      for (int t : chosen) {
        predicted[r * length + t] = true;
        targets.add(ids[r][t]);
        double u = random.nextDouble();
        if (u < 0.8) {
          ids[r][t] = maskId;
        } else if (u < 0.9) {
          ids[r][t] = replacements[random.nextInt(replacements.length)];
        }
      }
    }
    // Chosen positions go in ascending order per row and rows in order: row-major, the order the
    // boolean mask selects them in.
    long[] ordered = targets.stream().mapToLong(Long::longValue).toArray();
    return new Masked(ids, batch.attentionMask(), predicted, ordered);
  }

  /** The mean cross-entropy of the masked positions, differentiable, on {@code manager}. */
  NDArray loss(NDManager manager, Masked masked) {
    TokenBatch input = new TokenBatch(masked.ids(), masked.attentionMask());
    NDArray[] in = ProsperModel.inputs(manager, input);
    NDArray hidden = model.backbone().hiddenStates(model.parameters(), in[0], in[1]);
    long rows = hidden.getShape().get(0) * hidden.getShape().get(1);
    NDArray flat = hidden.reshape(rows, hidden.getShape().get(2));
    NDArray selected = flat.get(manager.create(masked.predicted()));
    NDArray logits = model.backbone().logits(model.parameters(), selected);
    int vocab = (int) logits.getShape().get(1);
    NDArray oneHot =
        manager
            .create(masked.targets(), new Shape(masked.targets().length))
            .oneHot(vocab)
            .toType(DataType.FLOAT32, false);
    return Scalars.dividedBy(logits.logSoftmax(1).mul(oneHot).sum(), -masked.targets().length);
  }

  /** The masked-token loss of fixed titles with a fixed mask (no gradient): before and after. */
  public double evaluate(List<String> titles, long seed) {
    Random random = new Random(seed);
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    double sum = 0;
    int count = 0;
    try {
      for (int start = 0; start < titles.size(); start += 64) {
        Masked masked = mask(titles.subList(start, Math.min(titles.size(), start + 64)), random);
        if (masked.targets().length == 0) {
          continue;
        }
        try (NDManager manager = model.parameters().manager().newSubManager()) {
          sum += loss(manager, masked).getFloat() * masked.targets().length;
          count += masked.targets().length;
        }
      }
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    return count == 0 ? Double.NaN : sum / count;
  }

  /** Figures of a warm-up run. */
  public record Result(double lossBefore, double lossAfter, int steps, double seconds) {}

  /**
   * Trains for {@code steps} batches of titles drawn at random (seeded), AdamW with a 10 % linear
   * warm-up and linear decay, global-norm clipping 1.0, weight decay 0.01.
   *
   * @param heldOut titles the loss is measured on before and after (never trained on)
   */
  public Result run(
      List<String> titles,
      List<String> heldOut,
      int steps,
      int batchSize,
      double learningRate,
      long seed,
      PrintStream log) {
    double before = evaluate(heldOut, seed + 7);
    log.printf(
        Locale.ROOT,
        "vocabulary-head warm-up: masked-token loss %.4f on %d held-out titles before%n",
        before,
        heldOut.size());
    model.parameters().forEach((name, array) -> array.setRequiresGradient(true));
    AdamW optimizer =
        new AdamW(
            model.parameters(),
            name -> !name.equals(ProsperModel.LRN_WEIGHT) && !name.equals(ProsperModel.LRN_BIAS));
    Random random = new Random(seed * 31 + 11);
    long warmup = Math.max(1, steps / 10);
    long started = System.nanoTime();
    try (ProgressBar bar = Progress.bar("mlm warm-up", steps, log)) {
      for (int step = 0; step < steps; step++) {
        List<String> batch = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
          batch.add(titles.get(random.nextInt(titles.size())));
        }
        Masked masked = mask(batch, random);
        if (masked.targets().length == 0) {
          bar.step();
          continue; // no maskable token in the batch (titles of special tokens only)
        }
        double value;
        try (NDManager manager = model.parameters().manager().newSubManager();
            GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
          NDArray loss = loss(manager, masked);
          collector.backward(loss);
          value = loss.getFloat();
        }
        double lr = Schedules.learningRate(learningRate, step, warmup, steps);
        optimizer.step(lr, 0.01, 1.0);
        bar.step();
        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", value));
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    double after = evaluate(heldOut, seed + 7);
    log.printf(
        Locale.ROOT,
        "vocabulary-head warm-up: %d steps of %d titles in %.0f s; masked-token loss %.4f before,"
            + " %.4f after%n",
        steps,
        batchSize,
        seconds,
        before,
        after);
    return new Result(before, after, steps, seconds);
  }
}
