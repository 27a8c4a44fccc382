package dev.prosper.training.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.ProsperHead;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.ops.Scalars;
import java.util.ArrayList;
import java.util.List;

/**
 * The training objective: InfoNCE over the windowed asymmetric scores (eq. 11; the paper's eqs. 2,
 * 12, 13), the FLOPS regulariser of the basic representations (eq. 3) with the trainer's schedule,
 * an optional L1 term, and the dynamic lexical focusing window (eq. 10) that shrinks during
 * training.
 *
 * <p>L = InfoNCE(s(TopK_kq(W_q), TopK_kd(W_d))) + σ InfoNCEᵀ + α KL + λ_q FLOPS(w_q) + λ_d
 * FLOPS(w_d) + μ_q L1(w_q) + μ_d L1(w_d), where InfoNCEᵀ (weight σ, 0 in the paper) is the same
 * scores read the other way: each positive title picks its own query among the batch's queries, and
 * KL (weight α, 0 in the paper) is the distillation term: for each pair with a cross-encoder
 * teacher's scores, KL(softmax(t / τ) ‖ softmax(s)) over its positive and hard negatives.
 */
public final class Objective {

  /** Window sizes the dynamic query window steps through (k_q). */
  static final int[] QUERY_WINDOWS = {256, 128, 64};

  /** Window sizes the dynamic document window steps through (k_d). */
  static final int[] DOCUMENT_WINDOWS = {512, 256, 128};

  private Objective() {}

  /**
   * The regularisers' weights at one step.
   *
   * @param flopsQuery λ_q, FLOPS weight of the queries' basic representations
   * @param flopsDocument λ_d, FLOPS weight of the titles' basic representations
   * @param l1Query μ_q, weight of the mean L1 norm of the queries' basic representations
   * @param l1Document μ_d, weight of the mean L1 norm of the titles' basic representations
   * @param titleToQuery σ, weight of the title-to-query InfoNCE term (0: the paper's eq. 2 alone)
   * @param distill α, weight of the distillation term (0: none)
   * @param distillTemperature τ, the teacher's scores are divided by it before their softmax
   */
  public record Weights(
      double flopsQuery,
      double flopsDocument,
      double l1Query,
      double l1Document,
      double titleToQuery,
      double distill,
      double distillTemperature) {

    /** Weights without distillation. */
    public Weights(
        double flopsQuery,
        double flopsDocument,
        double l1Query,
        double l1Document,
        double titleToQuery) {
      this(flopsQuery, flopsDocument, l1Query, l1Document, titleToQuery, 0, 1);
    }

    /** FLOPS only (the paper's objective). */
    public static Weights flops(double flopsQuery, double flopsDocument) {
      return new Weights(flopsQuery, flopsDocument, 0, 0, 0);
    }
  }

  /** Step-level figures of one update (for metrics.csv and tests). */
  public record StepFigures(
      double loss,
      double rankLoss,
      double flopsQuery,
      double flopsDocument,
      double activeQuery,
      double activeDocument,
      double[] queryNonZeros,
      double[] documentNonZeros,
      double distillLoss) {}

  /** The parts of the loss of a batch, as arrays on the manager they were computed on. */
  public record Losses(
      NDArray total,
      NDArray rank,
      NDArray flopsQuery,
      NDArray flopsDocument,
      NDArray l1Query,
      NDArray l1Document,
      double[] queryActive,
      double[] documentActive,
      double[] queryNonZeros,
      double[] documentNonZeros,
      NDArray distill) {}

  /** The loss of one batch and its gradients (left on the parameters). */
  public static StepFigures forwardBackward(
      ProsperModel model,
      List<Batches.Pair> batch,
      int queryWindow,
      int documentWindow,
      Weights weights) {
    return forwardBackward(model, batch, queryWindow, documentWindow, weights, null);
  }

  /**
   * The loss of one batch and its gradients (left on the parameters).
   *
   * @param lexical BM25 / w added to every logit (a residual over BM25), or null
   */
  public static StepFigures forwardBackward(
      ProsperModel model,
      List<Batches.Pair> batch,
      int queryWindow,
      int documentWindow,
      Weights weights,
      LexicalResidual lexical) {
    try (NDManager manager = model.parameters().manager().newSubManager();
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      Losses losses = losses(model, manager, batch, queryWindow, documentWindow, weights, lexical);
      collector.backward(losses.total());
      return new StepFigures(
          losses.total().getFloat(),
          losses.rank().getFloat(),
          losses.flopsQuery().getFloat(),
          losses.flopsDocument().getFloat(),
          mean(losses.queryActive()),
          mean(losses.documentActive()),
          losses.queryNonZeros(),
          losses.documentNonZeros(),
          losses.distill() == null ? 0 : losses.distill().getFloat());
    }
  }

  /** The losses of pairs given as parallel lists (pair i: query i, positive title i). */
  public static Losses losses(
      ProsperModel model,
      NDManager manager,
      List<String> queries,
      List<String> titles,
      int queryWindow,
      int documentWindow,
      Weights weights) {
    List<Batches.Pair> batch = new ArrayList<>();
    for (int i = 0; i < queries.size(); i++) {
      batch.add(new Batches.Pair("q" + i, queries.get(i), "p" + i, titles.get(i)));
    }
    return losses(model, manager, batch, queryWindow, documentWindow, weights, null);
  }

  /**
   * The loss of a batch (eqs. 2, 12, 13): for query i the InfoNCE denominator holds its positive,
   * the other pairs' positives and every pair's hard negatives, except documents whose title is one
   * of query i's positives (false negatives).
   *
   * @param lexical BM25 / w added to every logit, a fixed part without gradient (see {@link
   *     LexicalResidual}), or null
   */
  public static Losses losses(
      ProsperModel model,
      NDManager manager,
      List<Batches.Pair> batch,
      int queryWindow,
      int documentWindow,
      Weights weights,
      LexicalResidual lexical) {
    HeadConfig head = model.head();
    List<String> queries = batch.stream().map(Batches.Pair::query).toList();
    List<String> documents = Batches.documents(batch);
    ProsperModel.Representation q = model.represent(manager, model.tokenize(queries));
    ProsperModel.Representation d = model.represent(manager, model.tokenize(documents));
    NDArray qWindowed =
        head.lfw() == HeadConfig.Lfw.NONE ? q.full() : ProsperHead.window(q.full(), queryWindow);
    NDArray dWindowed =
        head.lfw() == HeadConfig.Lfw.NONE ? d.full() : ProsperHead.window(d.full(), documentWindow);
    NDArray scores = ProsperHead.score(qWindowed, dWindowed, head.normalization());
    int n = queries.size();
    int m = documents.size();
    boolean[][] excluded = Batches.falseNegatives(batch, documents);
    if (weights.distill() > 0) {
      // A pair's own hard negatives that the teacher scored leave its InfoNCE row: as a hard
      // "negative" is often partly relevant, the KL term alone sets how far below the positive
      // it goes, as far as the teacher puts it. They stay in the other rows as in-batch negatives.
      java.util.Map<String, Integer> column = columns(documents);
      for (int i = 0; i < batch.size(); i++) {
        for (int j : scoredNegatives(batch.get(i), column)) {
          excluded[i][j] = true;
        }
      }
    }
    float[] target = new float[n * m];
    float[] offsets = lexical == null ? new float[n * m] : lexical.offsets(queries, documents);
    // The false negatives' offsets alone: the offsets themselves without BM25 / w.
    float[] exclusions = lexical == null ? offsets : new float[n * m];
    boolean anyExcluded = false;
    for (int i = 0; i < n; i++) {
      target[i * m + i] = 1f;
      for (int j = 0; j < m; j++) {
        if (excluded[i][j]) {
          offsets[i * m + j] = -1e4f;
          exclusions[i * m + j] = -1e4f;
          anyExcluded = true;
        }
      }
    }
    NDArray logits =
        lexical != null || anyExcluded
            ? scores.add(manager.create(offsets, new Shape(n, m)))
            : scores;
    NDArray positive = manager.create(target, new Shape(n, m));
    // Scalars: DJL's Number overloads hand autograd a buffer the collector may free before
    // backward.
    NDArray rank = Scalars.dividedBy(logits.logSoftmax(1).mul(positive).sum(), -n);
    if (weights.titleToQuery() > 0) {
      // The first n titles are the pairs' positives: title j against every query of the batch,
      // the queries it is also a positive of left out. Without BM25 / w: a column compares
      // different queries, whose BM25 scores are not on one scale (a shift per query cancels in
      // a row's softmax, not in a column's), and no served ranking compares queries.
      NDArray columnLogits = logits;
      if (lexical != null) {
        columnLogits =
            anyExcluded ? scores.add(manager.create(exclusions, new Shape(n, m))) : scores;
      }
      NDArray positives = columnLogits.get(":, :" + n);
      NDArray reverse =
          Scalars.dividedBy(positives.logSoftmax(0).mul(positive.get(":, :" + n)).sum(), -n);
      rank = rank.add(Scalars.times(reverse, weights.titleToQuery()));
    }
    NDArray distill = null;
    if (weights.distill() > 0) {
      distill = distillation(manager, batch, documents, scores, weights.distillTemperature());
    }
    NDArray flopsQ = ProsperHead.flops(q.basic());
    NDArray flopsD = ProsperHead.flops(d.basic());
    NDArray l1Q = meanL1(q.basic());
    NDArray l1D = meanL1(d.basic());
    NDArray total =
        rank.add(Scalars.times(flopsQ, weights.flopsQuery()))
            .add(Scalars.times(flopsD, weights.flopsDocument()));
    if (distill != null) {
      total = total.add(Scalars.times(distill, weights.distill()));
    }
    if (weights.l1Query() > 0) {
      total = total.add(Scalars.times(l1Q, weights.l1Query()));
    }
    if (weights.l1Document() > 0) {
      total = total.add(Scalars.times(l1D, weights.l1Document()));
    }
    return new Losses(
        total,
        rank,
        flopsQ,
        flopsD,
        l1Q,
        l1D,
        toDoubles(ProsperHead.activeTerms(qWindowed).toFloatArray()),
        toDoubles(ProsperHead.activeTerms(dWindowed).toFloatArray()),
        toDoubles(ProsperHead.activeTerms(q.full()).toFloatArray()),
        toDoubles(ProsperHead.activeTerms(d.full()).toFloatArray()),
        distill);
  }

  /**
   * The distillation term: the mean, over the pairs whose teacher scored their positive and at
   * least one of their hard negatives (which {@link #losses} leaves out of the pair's InfoNCE row),
   * of KL(p_t ‖ p_s), with p_t = softmax(t / τ) of the teacher's scores and p_s = softmax of the
   * student's scores (eq. 11's, without BM25 / w), both over those documents alone. Null when no
   * pair of the batch has such scores.
   */
  static NDArray distillation(
      NDManager manager,
      List<Batches.Pair> batch,
      List<String> documents,
      NDArray scores,
      double temperature) {
    int n = batch.size();
    int m = documents.size();
    java.util.Map<String, Integer> column = columns(documents);
    // Rows without teacher scores keep 0 everywhere: a uniform softmax, times a 0 target.
    float[] outside = new float[n * m];
    float[] target = new float[n * m];
    double entropy = 0;
    int rows = 0;
    for (int i = 0; i < n; i++) {
      Batches.Pair pair = batch.get(i);
      List<Integer> negatives = scoredNegatives(pair, column);
      if (negatives.isEmpty()) {
        continue;
      }
      List<Integer> columns = new ArrayList<>();
      List<Float> teacher = new ArrayList<>();
      // The pair's own positive is column i even when another column holds the same title.
      columns.add(i);
      teacher.add(pair.teacher().get(pair.title()));
      for (int j : negatives) {
        columns.add(j);
        teacher.add(pair.teacher().get(documents.get(j)));
      }
      java.util.Arrays.fill(outside, i * m, (i + 1) * m, -1e4f);
      double max = Double.NEGATIVE_INFINITY;
      for (float t : teacher) {
        max = Math.max(max, t / temperature);
      }
      double sum = 0;
      for (float t : teacher) {
        sum += Math.exp(t / temperature - max);
      }
      for (int c = 0; c < columns.size(); c++) {
        double p = Math.exp(teacher.get(c) / temperature - max) / sum;
        target[i * m + columns.get(c)] = (float) p;
        outside[i * m + columns.get(c)] = 0f;
        if (p > 0) {
          entropy += p * Math.log(p);
        }
      }
      rows++;
    }
    if (rows == 0) {
      return null;
    }
    NDArray student = scores.add(manager.create(outside, new Shape(n, m))).logSoftmax(1);
    NDArray crossEntropy = student.mul(manager.create(target, new Shape(n, m))).sum();
    // KL = Σ p_t log p_t − Σ p_t log p_s, averaged over the rows with scores.
    return Scalars.dividedBy(
        Scalars.times(crossEntropy, -1).add(Scalars.of(crossEntropy, entropy)), rows);
  }

  /**
   * The columns of the hard negatives a pair's teacher scored, when it also scored the pair's
   * positive (otherwise none): the documents the KL term compares the positive with, and that leave
   * the pair's InfoNCE row.
   */
  private static List<Integer> scoredNegatives(
      Batches.Pair pair, java.util.Map<String, Integer> column) {
    List<Integer> columns = new ArrayList<>();
    if (pair.teacher().containsKey(pair.title())) {
      for (String negative : pair.negatives()) {
        if (pair.teacher().containsKey(negative)) {
          columns.add(column.get(negative));
        }
      }
    }
    return columns;
  }

  /** The score-matrix column of each document title (the first, should a title repeat). */
  private static java.util.Map<String, Integer> columns(List<String> documents) {
    java.util.Map<String, Integer> column = new java.util.HashMap<>();
    for (int j = documents.size() - 1; j >= 0; j--) {
      column.put(documents.get(j), j);
    }
    return column;
  }

  /**
   * The mean over the batch of Σ_j w_ij (the weights are non-negative). Unlike FLOPS, whose
   * gradient on a weight shrinks with the term's mean weight, its gradient is the same for every
   * positive weight, so small weights are pushed through zero (where the saturation's ReLU switches
   * them off) instead of only towards it.
   */
  static NDArray meanL1(NDArray w) {
    return w.sum(new int[] {1}).mean();
  }

  /** The dynamic query window's next size (eq. 10's schedule). */
  static int shrinkQueryWindow(int current, double[] nonZeros) {
    return shrink(current, QUERY_WINDOWS, nonZeros);
  }

  /** The dynamic document window's next size (eq. 10's schedule). */
  static int shrinkDocumentWindow(int current, double[] nonZeros) {
    return shrink(current, DOCUMENT_WINDOWS, nonZeros);
  }

  /** The next smaller window once more than 90 % of the batch is already below the current one. */
  static int shrink(int current, int[] windows, double[] nonZeros) {
    int below = 0;
    for (double n : nonZeros) {
      if (n < current) {
        below++;
      }
    }
    if (below > 0.9 * nonZeros.length) {
      for (int window : windows) {
        if (window < current) {
          return window;
        }
      }
    }
    return current;
  }

  static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return values.length == 0 ? 0 : sum / values.length;
  }

  private static double[] toDoubles(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
