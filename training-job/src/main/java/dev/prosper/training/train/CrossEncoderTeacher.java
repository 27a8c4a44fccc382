package dev.prosper.training.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.prosper.encoder.backbone.BertBackbone;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.ops.Ops;
import dev.prosper.encoder.ops.Scalars;
import dev.prosper.encoder.tokenizer.TokenBatch;
import dev.prosper.encoder.weights.FloatTensor;
import dev.prosper.training.Progress;
import dev.prosper.training.data.Dataset;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import me.tongfei.progressbar.ProgressBar;

/**
 * A cross-encoder relevance model, the teacher whose scores {@code train --distill} distils into
 * PROSPER: a BERT backbone reads a query and a title together ({@code [CLS] query [SEP] title
 * [SEP]}) and a linear layer on the last hidden state of {@code [CLS]} gives one score. Unlike
 * PROSPER's two independent encodings, every query token attends to every title token, which makes
 * it a stronger ranker and far too slow to search a catalogue with: it only rescores candidates.
 *
 * <p>Trained with a listwise softmax cross-entropy: per query, one positive against negatives drawn
 * from products judged below the positive grade and BM25's unjudged top results.
 */
public final class CrossEncoderTeacher {

  static final String WEIGHT = "teacher.score.weight";
  static final String BIAS = "teacher.score.bias";

  /** The shortest pair length the teacher accepts. */
  public static final int MIN_LENGTH = 8;

  /** Pairs per forward pass when scoring. */
  static final int SCORE_BATCH = 64;

  private final ProsperModel model;
  private final int maxLength;

  /**
   * @param model a freshly loaded BERT-family model: its backbone and tokenizer are used, a score
   *     layer is added to its weights (the PROSPER head stays untouched)
   * @param maxLength tokens of a query and title pair, longer titles are cut
   */
  public CrossEncoderTeacher(ProsperModel model, int maxLength, long seed) {
    if (!(model.backbone() instanceof BertBackbone)) {
      throw new IllegalArgumentException(
          "[--backbone] the cross-encoder teacher needs a BERT-family backbone ([CLS] pooling),"
              + " not a "
              + model.config().getClass().getSimpleName().replace("Config", "")
              + " one");
    }
    if (maxLength < MIN_LENGTH) {
      throw new IllegalArgumentException(
          "[--max-length] must be at least " + MIN_LENGTH + ", got " + maxLength);
    }
    this.model = model;
    this.maxLength = maxLength;
    int hidden = model.config().hiddenSize();
    Random random = new Random(seed);
    float[] weight = new float[hidden];
    for (int i = 0; i < hidden; i++) {
      weight[i] = (float) (random.nextGaussian() * 0.02);
    }
    model.parameters().put(WEIGHT, new FloatTensor(new long[] {1, hidden}, weight));
    model.parameters().put(BIAS, new FloatTensor(new long[] {1}, new float[1]));
  }

  /** The weights the teacher trains: the transformer and its score layer, not the LM head. */
  static boolean trainable(String name) {
    return name.startsWith("embeddings.")
        || name.startsWith("encoder.")
        || name.startsWith("teacher.");
  }

  /**
   * Query and title pairs as one token sequence each: the query's tokens with its {@code [CLS]} and
   * {@code [SEP]}, then the title's without its {@code [CLS]}; a title that does not fit in {@code
   * maxLength} is cut and keeps its closing {@code [SEP]}.
   */
  TokenBatch pairs(List<String> queries, List<String> titles) {
    if (queries.size() != titles.size()) {
      throw new IllegalArgumentException(
          queries.size() + " queries for " + titles.size() + " titles");
    }
    TokenBatch q = model.tokenize(queries);
    TokenBatch t = model.tokenize(titles);
    long[][] rows = new long[queries.size()][];
    int longest = 0;
    for (int i = 0; i < rows.length; i++) {
      long[] query = Arrays.copyOf(q.ids()[i], q.length(i));
      // A query longer than half the budget is cut too, keeping its [SEP]: the title needs room.
      if (query.length > maxLength / 2) {
        long sep = query[query.length - 1];
        query = Arrays.copyOf(query, maxLength / 2);
        query[query.length - 1] = sep;
      }
      int titleLength = t.length(i) - 1;
      int room = Math.min(titleLength, maxLength - query.length);
      long[] row = new long[query.length + room];
      System.arraycopy(query, 0, row, 0, query.length);
      System.arraycopy(t.ids()[i], 1, row, query.length, room);
      row[row.length - 1] = t.ids()[i][t.length(i) - 1];
      rows[i] = row;
      longest = Math.max(longest, row.length);
    }
    long pad = model.tokenizer().padId();
    long[][] ids = new long[rows.length][longest];
    long[][] mask = new long[rows.length][longest];
    for (int i = 0; i < rows.length; i++) {
      Arrays.fill(ids[i], pad);
      System.arraycopy(rows[i], 0, ids[i], 0, rows[i].length);
      Arrays.fill(mask[i], 0, rows[i].length, 1L);
    }
    return new TokenBatch(ids, mask);
  }

  /** The scores of a batch of pairs, {@code [pairs]}, differentiable. */
  NDArray scores(NDManager manager, TokenBatch batch) {
    NDArray[] in = ProsperModel.inputs(manager, batch);
    NDArray hidden = model.backbone().hiddenStates(model.parameters(), in[0], in[1]);
    NDArray cls = hidden.get(":, 0, :");
    return Ops.linear(cls, model.parameters().get(WEIGHT), model.parameters().get(BIAS))
        .reshape(-1);
  }

  /** The scores of query and title pairs (no gradient). */
  public float[] score(List<String> queries, List<String> titles) {
    float[] out = new float[queries.size()];
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int start = 0; start < out.length; start += SCORE_BATCH) {
        int end = Math.min(out.length, start + SCORE_BATCH);
        try (NDManager manager = model.parameters().manager().newSubManager()) {
          float[] batch =
              scores(manager, pairs(queries.subList(start, end), titles.subList(start, end)))
                  .toFloatArray();
          System.arraycopy(batch, 0, out, start, batch.length);
        }
      }
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    return out;
  }

  /** One training group: a query, its positive title first, then its negatives' titles. */
  record Group(String query, List<String> titles) {}

  /**
   * The loss of a batch of groups of equal size: the mean over groups of the softmax cross-entropy
   * of the positive (the first title) against the others.
   */
  NDArray loss(NDManager manager, List<Group> groups) {
    int size = groups.get(0).titles().size();
    List<String> queries = new ArrayList<>();
    List<String> titles = new ArrayList<>();
    for (Group group : groups) {
      if (group.titles().size() != size) {
        throw new IllegalArgumentException("groups of different sizes in one batch");
      }
      for (String title : group.titles()) {
        queries.add(group.query());
        titles.add(title);
      }
    }
    NDArray logits = scores(manager, pairs(queries, titles)).reshape(groups.size(), size);
    return Scalars.dividedBy(logits.logSoftmax(1).get(":, 0").sum(), -groups.size());
  }

  /** Training hyper-parameters. */
  public record Schedule(
      int epochs,
      int queriesPerBatch,
      int negatives,
      double learningRate,
      double warmupFraction,
      int maxSteps) {}

  /** Throughput of a training run. */
  public record Trained(long steps, double seconds, double pairsPerSecond, double lastLoss) {}

  /**
   * Trains on the groups of {@code queries}: one positive of grade ≥ {@code minGrade} drawn per
   * query and epoch, and {@code negatives} drawn from its pool (filled up with random products
   * whose title is no positive's when the pool is short).
   */
  public Trained train(
      Dataset data,
      List<String> queries,
      java.util.Map<String, List<String>> pools,
      double minGrade,
      Schedule schedule,
      long seed,
      PrintStream log) {
    model.parameters().forEach((name, array) -> array.setRequiresGradient(trainable(name)));
    try {
      return trainTransformer(data, queries, pools, minGrade, schedule, seed, log);
    } finally {
      model.parameters().forEach((name, array) -> array.setRequiresGradient(false));
    }
  }

  private Trained trainTransformer(
      Dataset data,
      List<String> queries,
      java.util.Map<String, List<String>> pools,
      double minGrade,
      Schedule schedule,
      long seed,
      PrintStream log) {
    AdamW optimizer = new AdamW(model.parameters(), CrossEncoderTeacher::trainable);
    List<String> productIds = new ArrayList<>(data.products().keySet());
    int perEpoch = (queries.size() + schedule.queriesPerBatch() - 1) / schedule.queriesPerBatch();
    if (schedule.maxSteps() > 0) {
      perEpoch = Math.min(perEpoch, schedule.maxSteps());
    }
    long total = (long) perEpoch * schedule.epochs();
    long warmup = Math.max(1, Math.round(schedule.warmupFraction() * total));
    long step = 0;
    long pairs = 0;
    double lastLoss = Double.NaN;
    long started = System.nanoTime();
    for (int epoch = 0; epoch < schedule.epochs(); epoch++) {
      Random random = new Random(seed * 1_000_003L + epoch);
      List<String> order = new ArrayList<>(queries);
      Collections.shuffle(order, random);
      try (ProgressBar bar =
          Progress.bar("teacher " + (epoch + 1) + "/" + schedule.epochs(), perEpoch, log)) {
        for (int b = 0; b < perEpoch; b++) {
          List<Group> groups = new ArrayList<>();
          int end = Math.min(order.size(), (b + 1) * schedule.queriesPerBatch());
          for (String q : order.subList(b * schedule.queriesPerBatch(), end)) {
            groups.add(
                group(
                    data,
                    q,
                    pools.getOrDefault(q, List.of()),
                    minGrade,
                    schedule,
                    productIds,
                    random));
          }
          double lr = Schedules.learningRate(schedule.learningRate(), step, warmup, total);
          try (NDManager manager = model.parameters().manager().newSubManager();
              GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray loss = loss(manager, groups);
            collector.backward(loss);
            lastLoss = loss.getFloat();
          }
          optimizer.step(lr, 0.01, 1.0);
          step++;
          pairs += (long) groups.size() * (schedule.negatives() + 1);
          bar.step();
          bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f lr %.2e", lastLoss, lr));
        }
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    return new Trained(step, seconds, pairs / seconds, lastLoss);
  }

  private static Group group(
      Dataset data,
      String q,
      List<String> pool,
      double minGrade,
      Schedule schedule,
      List<String> productIds,
      Random random) {
    List<String> positives = data.positives(q, minGrade);
    Set<String> positiveTitles = data.titlesOf(positives);
    List<String> titles = new ArrayList<>();
    titles.add(data.products().get(positives.get(random.nextInt(positives.size()))));
    for (String id :
        Batches.drawNegatives(data, pool, positiveTitles, schedule.negatives(), random)) {
      titles.add(data.products().get(id));
    }
    for (int attempt = 0; titles.size() <= schedule.negatives(); attempt++) {
      if (attempt > 100 * (schedule.negatives() + 1)) {
        throw new IllegalArgumentException(
            "[--negatives] query "
                + q
                + ": too few products whose title is not a positive's to draw "
                + schedule.negatives()
                + " negatives");
      }
      String title = data.products().get(productIds.get(random.nextInt(productIds.size())));
      if (!positiveTitles.contains(title) && !titles.contains(title)) {
        titles.add(title);
      }
    }
    return new Group(data.queries().get(q), titles);
  }
}
