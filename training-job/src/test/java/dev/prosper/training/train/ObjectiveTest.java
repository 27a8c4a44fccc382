package dev.prosper.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.testing.TinyCheckpoints;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training objective against a hand computation and its gradient against finite differences.
 */
class ObjectiveTest {

  private static final List<String> QUERIES =
      List.of("patio umbrella", "cordless drill", "white steel");
  private static final List<String> TITLES =
      List.of("9 ft. patio umbrella white", "18v lithium-ion cordless drill", "black steel café ä");

  private static final String NEGATIVE = "white patio chair";

  /**
   * The three pairs with a hard negative for the first query (a fourth document column, {@link
   * #NEGATIVE}) and a false negative: the first title is also a positive of the third query.
   */
  private static List<Batches.Pair> withANegativeAndAFalseNegative() {
    return List.of(
        new Batches.Pair(
            "q0",
            QUERIES.get(0),
            "p0",
            TITLES.get(0),
            List.of(NEGATIVE),
            java.util.Set.of(TITLES.get(0))),
        new Batches.Pair("q1", QUERIES.get(1), "p1", TITLES.get(1)),
        new Batches.Pair(
            "q2",
            QUERIES.get(2),
            "p2",
            TITLES.get(2),
            List.of(),
            java.util.Set.of(TITLES.get(2), TITLES.get(0))));
  }

  @TempDir Path directory;

  private ProsperModel tinyModel(HeadConfig head) throws Exception {
    Path checkpoint = TinyCheckpoints.writeBert(directory.resolve("bert"), 200, 3);
    return Backbones.load(checkpoint.toString(), head, Device.cpu(), 9);
  }

  @Test
  void lossMatchesAHandComputation() throws Exception {
    HeadConfig head = HeadConfig.DEFAULT.withWindows(5, 7);
    try (ProsperModel model = tinyModel(head);
        NDManager manager = model.parameters().manager().newSubManager()) {
      double lambdaQ = 0.3;
      double lambdaD = 0.2;
      Objective.Losses losses =
          Objective.losses(
              model, manager, QUERIES, TITLES, 5, 7, Objective.Weights.flops(lambdaQ, lambdaD));
      ProsperModel.Representation q = model.represent(manager, model.tokenize(QUERIES));
      ProsperModel.Representation d = model.represent(manager, model.tokenize(TITLES));
      int vocab = model.config().vocabSize();
      int n = QUERIES.size();
      double rank = handRankLoss(q, d, vocab, new double[n][n]);
      double flopsQ = flops(q.basic().toFloatArray(), vocab, n);
      double flopsD = flops(d.basic().toFloatArray(), vocab, n);
      assertEquals(rank, losses.rank().getFloat(), 1e-4);
      assertEquals(flopsQ, losses.flopsQuery().getFloat(), 1e-3 * Math.max(1, flopsQ));
      assertEquals(
          rank + lambdaQ * flopsQ + lambdaD * flopsD,
          losses.total().getFloat(),
          1e-3 * Math.max(1, flopsQ));
      for (double active : losses.queryActive()) {
        assertTrue(active <= 5, "query window keeps at most 5 terms, got " + active);
      }
    }
  }

  @Test
  void theTitleToQueryTermReadsTheScoresByColumn() throws Exception {
    HeadConfig head = HeadConfig.DEFAULT.withWindows(5, 7);
    // A hard negative (a fourth column, never a target) and a false negative: the first title is
    // also a positive of the third query, so the third query leaves the first title's column.
    List<Batches.Pair> batch = withANegativeAndAFalseNegative();
    try (ProsperModel model = tinyModel(head);
        NDManager manager = model.parameters().manager().newSubManager()) {
      List<String> documents = Batches.documents(batch);
      int n = QUERIES.size();
      double[][] offsets = new double[n][documents.size()];
      offsets[2][0] = Double.NEGATIVE_INFINITY;
      double[][] scores =
          handScores(
              model.represent(manager, model.tokenize(QUERIES)),
              model.represent(manager, model.tokenize(documents)),
              model.config().vocabSize(),
              offsets);
      double queryToTitle = handQueryToTitleLoss(scores);
      double titleToQuery = handTitleToQueryLoss(scores);
      assertTrue(titleToQuery > 0.01, "title-to-query loss " + titleToQuery);
      Objective.Losses plain =
          Objective.losses(model, manager, batch, 5, 7, Objective.Weights.flops(0, 0), null);
      Objective.Losses symmetric =
          Objective.losses(
              model, manager, batch, 5, 7, new Objective.Weights(0, 0, 0, 0, 0.7), null);
      assertEquals(queryToTitle, plain.rank().getFloat(), 1e-4);
      assertEquals(queryToTitle + 0.7 * titleToQuery, symmetric.rank().getFloat(), 1e-4);
      assertEquals(symmetric.rank().getFloat(), symmetric.total().getFloat(), 1e-6);
      // With a BM25 residual: BM25 / w joins each query's row, not the title's column (a column
      // compares queries, whose BM25 scores are not on one scale).
      LexicalResidual lexical = new LexicalResidual(List.of(TITLES.get(0), NEGATIVE), 0.5);
      double[][] withBm25 = new double[n][documents.size()];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < documents.size(); j++) {
          withBm25[i][j] = scores[i][j] + lexical.bm25(QUERIES.get(i), documents.get(j)) / 0.5;
        }
      }
      assertTrue(withBm25[0][0] > scores[0][0], "BM25 of the first query and its title");
      assertEquals(
          handQueryToTitleLoss(withBm25) + 0.7 * titleToQuery,
          Objective.losses(
                  model, manager, batch, 5, 7, new Objective.Weights(0, 0, 0, 0, 0.7), lexical)
              .rank()
              .getFloat(),
          1e-4);
    }
    assertTrue(
        org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () ->
                    new TrainingOptions.Levers(0, 0, 0, 5e-5, 0, 0, 0, 0, 1, 0, -1, null, 1, 1, 0))
            .getMessage()
            .contains("--title-to-query"));
  }

  @Test
  void aBm25ResidualAddsBm25OverWToEveryLogit() throws Exception {
    HeadConfig head = HeadConfig.DEFAULT.withWindows(5, 7);
    // The catalogue whose statistics BM25 uses: the titles and two more.
    List<String> catalogue = new java.util.ArrayList<>(TITLES);
    catalogue.addAll(List.of("white patio chair", "steel drill bit set"));
    double w = 0.5;
    LexicalResidual lexical = new LexicalResidual(catalogue, w);
    List<Batches.Pair> batch = new java.util.ArrayList<>();
    for (int i = 0; i < QUERIES.size(); i++) {
      batch.add(new Batches.Pair("q" + i, QUERIES.get(i), "p" + i, TITLES.get(i)));
    }
    try (ProsperModel model = tinyModel(head);
        NDManager manager = model.parameters().manager().newSubManager()) {
      Objective.Weights none = Objective.Weights.flops(0, 0);
      Objective.Losses plain = Objective.losses(model, manager, batch, 5, 7, none, null);
      Objective.Losses residual = Objective.losses(model, manager, batch, 5, 7, none, lexical);
      ProsperModel.Representation q = model.represent(manager, model.tokenize(QUERIES));
      ProsperModel.Representation d = model.represent(manager, model.tokenize(TITLES));
      int n = QUERIES.size();
      double[][] offsets = new double[n][n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          offsets[i][j] = lexical.bm25(QUERIES.get(i), TITLES.get(j)) / w;
        }
      }
      // Each query shares words with its own title: BM25 > 0 there ("white steel" also matches
      // the first title's "white"), so the residual lowers the rank loss.
      assertTrue(offsets[0][0] > 0 && offsets[1][1] > 0 && offsets[2][2] > 0);
      assertEquals(0, offsets[1][0]);
      int vocab = model.config().vocabSize();
      assertEquals(handRankLoss(q, d, vocab, offsets), residual.rank().getFloat(), 1e-4);
      assertTrue(
          residual.rank().getFloat() < plain.rank().getFloat(),
          residual.rank().getFloat() + " vs " + plain.rank().getFloat());
      // With a hard negative (a fourth document column) and a false negative (the first title is
      // also a positive of the third query): BM25 / w on every column, the false negative out.
      List<Batches.Pair> withNegatives = withANegativeAndAFalseNegative();
      List<String> documents = Batches.documents(withNegatives);
      assertEquals(List.of(TITLES.get(0), TITLES.get(1), TITLES.get(2), NEGATIVE), documents);
      double[][] full = new double[n][documents.size()];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < documents.size(); j++) {
          full[i][j] = lexical.bm25(QUERIES.get(i), documents.get(j)) / w;
        }
      }
      assertTrue(full[0][3] > 0 && full[2][3] > 0, "the negative shares words with q0 and q2");
      full[2][0] = Double.NEGATIVE_INFINITY;
      ProsperModel.Representation all = model.represent(manager, model.tokenize(documents));
      assertEquals(
          handRankLoss(q, all, vocab, full),
          Objective.losses(model, manager, withNegatives, 5, 7, none, lexical).rank().getFloat(),
          1e-4);
    }
    assertTrue(
        org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> new LexicalResidual(catalogue, 0))
            .getMessage()
            .contains("[--bm25-residual] must be a positive number"));
  }

  /**
   * The mean InfoNCE loss over windowed scores (windows 5 and 7) plus fixed logit offsets (query i,
   * document j; negative infinity leaves a document out of query i's denominator).
   */
  private static double handRankLoss(
      ProsperModel.Representation q, ProsperModel.Representation d, int vocab, double[][] offsets) {
    return handQueryToTitleLoss(handScores(q, d, vocab, offsets));
  }

  /** Eq. 2's InfoNCE: query i against every document, its own pair's title the target. */
  private static double handQueryToTitleLoss(double[][] scores) {
    double loss = 0;
    for (int i = 0; i < scores.length; i++) {
      loss += -logSoftmax(scores[i], i) / scores.length;
    }
    return loss;
  }

  /**
   * The title-to-query term: title j (a pair's positive, the first n columns) against every query,
   * its own query the target.
   */
  private static double handTitleToQueryLoss(double[][] scores) {
    int n = scores.length;
    double loss = 0;
    for (int j = 0; j < n; j++) {
      double[] column = new double[n];
      for (int i = 0; i < n; i++) {
        column[i] = scores[i][j];
      }
      loss += -logSoftmax(column, j) / n;
    }
    return loss;
  }

  private static double logSoftmax(double[] logits, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (double s : logits) {
      max = Math.max(max, s);
    }
    double sum = 0;
    for (double s : logits) {
      sum += Math.exp(s - max);
    }
    return logits[target] - max - Math.log(sum);
  }

  /** s(q_i, d_j) over windowed representations (windows 5 and 7), plus the offsets. */
  private static double[][] handScores(
      ProsperModel.Representation q, ProsperModel.Representation d, int vocab, double[][] offsets) {
    double[][] qw = window(q.full().toFloatArray(), vocab, 5);
    double[][] dw = window(d.full().toFloatArray(), vocab, 7);
    double[][] scores = new double[qw.length][dw.length];
    for (int i = 0; i < qw.length; i++) {
      double norm = 0;
      for (double v : qw[i]) {
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      for (int j = 0; j < dw.length; j++) {
        for (int t = 0; t < vocab; t++) {
          scores[i][j] += qw[i][t] / norm * dw[j][t];
        }
        scores[i][j] += offsets[i][j];
      }
    }
    return scores;
  }

  private static double[][] window(float[] flat, int vocab, int k) {
    int rows = flat.length / vocab;
    double[][] out = new double[rows][vocab];
    for (int r = 0; r < rows; r++) {
      float[] row = java.util.Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
      long nonZero = 0;
      for (float v : row) {
        nonZero += v != 0 ? 1 : 0;
      }
      float[] sorted = row.clone();
      java.util.Arrays.sort(sorted);
      float kth = sorted[vocab - k];
      for (int t = 0; t < vocab; t++) {
        out[r][t] = nonZero <= k || row[t] >= kth ? row[t] : 0;
      }
    }
    return out;
  }

  private static double flops(float[] flat, int vocab, int rows) {
    double total = 0;
    for (int t = 0; t < vocab; t++) {
      double mean = 0;
      for (int r = 0; r < rows; r++) {
        mean += flat[r * vocab + t] / rows;
      }
      total += mean * mean;
    }
    return total;
  }

  @Test
  void gradientMatchesFiniteDifferences() throws Exception {
    // The paper's objective, and with the title-to-query term (its column slice keeps the graph).
    for (Objective.Weights weights :
        List.of(
            Objective.Weights.flops(0.01, 0.01), new Objective.Weights(0.01, 0.01, 0, 0, 0.7))) {
      gradientMatchesFiniteDifferences(weights);
    }
  }

  private void gradientMatchesFiniteDifferences(Objective.Weights weights) throws Exception {
    // Windows wider than the vocabulary keep the loss smooth in every weight.
    HeadConfig head = HeadConfig.DEFAULT.withWindows(1000, 1000);
    try (ProsperModel model = tinyModel(head)) {
      List<Batches.Pair> batch =
          List.of(
              new Batches.Pair("1", QUERIES.get(0), "a", TITLES.get(0)),
              new Batches.Pair("2", QUERIES.get(1), "b", TITLES.get(1)),
              new Batches.Pair("3", QUERIES.get(2), "c", TITLES.get(2)));
      model.parameters().forEach((name, array) -> array.setRequiresGradient(true));
      Objective.forwardBackward(model, batch, 1000, 1000, weights);
      String[] names = {
        "prosper.lrn.bias",
        "encoder.layer.1.output.dense.weight",
        "cls.predictions.bias",
        "embeddings.word_embeddings.weight"
      };
      int checked = 0;
      for (String name : names) {
        NDArray parameter = model.parameters().get(name);
        float[] gradient = parameter.getGradient().toFloatArray();
        int index = argMaxAbs(gradient);
        double numeric = numericGradient(model, batch, weights, parameter, index, 1e-2f);
        assertEquals(
            gradient[index],
            numeric,
            0.05 * Math.abs(numeric) + 1e-4,
            name + "[" + index + "] with " + weights);
        checked++;
      }
      assertEquals(names.length, checked);
    }
  }

  private static AdamW trainable(ProsperModel model) {
    model.parameters().forEach((name, array) -> array.setRequiresGradient(true));
    return new AdamW(model.parameters());
  }

  private static List<Batches.Pair> twoPairs() {
    return List.of(
        new Batches.Pair("1", QUERIES.get(0), "a", TITLES.get(0)),
        new Batches.Pair("2", QUERIES.get(1), "b", TITLES.get(1)));
  }

  @Test
  void aNonFiniteGradientSkipsTheUpdate() throws Exception {
    try (ProsperModel model = tinyModel(HeadConfig.DEFAULT)) {
      AdamW optimizer = trainable(model);
      List<Batches.Pair> batch = twoPairs();
      Objective.forwardBackward(model, batch, 256, 512, Objective.Weights.flops(0, 0));
      NDArray bias = model.parameters().get("prosper.lrn.bias");
      float[] before = bias.toFloatArray();
      try (NDArray gradient = bias.getGradient()) {
        gradient.muli(Float.NaN); // in place: the parameter's gradient becomes NaN
      }
      double norm = optimizer.step(1e-3, 0.1, 1.0);
      assertTrue(Double.isNaN(norm));
      org.junit.jupiter.api.Assertions.assertArrayEquals(before, bias.toFloatArray());
      // The next step starts from clean (zeroed) gradients and updates again.
      Objective.forwardBackward(model, batch, 256, 512, Objective.Weights.flops(0, 0));
      assertTrue(Double.isFinite(optimizer.step(1e-3, 0.1, 1.0)));
      assertTrue(!java.util.Arrays.equals(before, bias.toFloatArray()));
    }
  }

  @Test
  void gradientsAfterASkippedUpdateAreTheModelsOwn() throws Exception {
    try (ProsperModel model = tinyModel(HeadConfig.DEFAULT)) {
      AdamW optimizer = trainable(model);
      List<Batches.Pair> batch = twoPairs();
      Objective.forwardBackward(model, batch, 256, 512, Objective.Weights.flops(0, 0));
      java.util.Map<String, float[]> expected = gradients(model);
      model.parameters().get("prosper.lrn.bias").getGradient().muli(Float.NaN);
      assertTrue(Double.isNaN(optimizer.step(1e-3, 0.1, 1.0)));
      // Once the skipped step's buffers are collected and their memory reused, the gradients of
      // the same batch on the same (unchanged) weights must be what they were: before the fix
      // they accumulated into freed memory (garbage values, or a crash).
      churnTheCollector();
      Objective.forwardBackward(model, batch, 256, 512, Objective.Weights.flops(0, 0));
      gradients(model)
          .forEach(
              (name, values) ->
                  org.junit.jupiter.api.Assertions.assertArrayEquals(
                      expected.get(name), values, 1e-6f, name));
    }
  }

  @Test
  void gradientsDoNotDependOnWhenTheCollectorRuns() throws Exception {
    try (ProsperModel model = tinyModel(HeadConfig.DEFAULT)) {
      AdamW optimizer = trainable(model);
      List<String> queries = List.of(QUERIES.get(0), QUERIES.get(1));
      List<String> titles = List.of(TITLES.get(0), TITLES.get(1));
      Objective.forwardBackward(model, twoPairs(), 256, 512, Objective.Weights.flops(5e-3, 1e-3));
      java.util.Map<String, float[]> expected = gradients(model);
      optimizer.step(0, 0, 0); // zeroes the gradients; a zero learning rate keeps the weights
      // The same forward and backward pass, with the collector run in between: before the fix,
      // the scalars autograd kept (attention scale, saturation, λ, 1/n) were Java buffers that
      // DJL had already released, so the backward pass read freed memory.
      try (NDManager manager = model.parameters().manager().newSubManager();
          ai.djl.training.GradientCollector collector =
              ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
        Objective.Losses losses =
            Objective.losses(
                model, manager, queries, titles, 256, 512, Objective.Weights.flops(5e-3, 1e-3));
        churnTheCollector();
        collector.backward(losses.total());
      }
      gradients(model)
          .forEach(
              (name, values) ->
                  org.junit.jupiter.api.Assertions.assertArrayEquals(
                      expected.get(name), values, 1e-6f, name));
    }
  }

  /** Runs the garbage collector and reuses the freed native memory for other buffers. */
  private static void churnTheCollector() throws InterruptedException {
    for (int round = 0; round < 5; round++) {
      System.gc();
      for (int i = 0; i < 500; i++) {
        java.nio.ByteBuffer.allocateDirect(64 + 64 * (i % 64)).put(0, (byte) 0x7f);
      }
      Thread.sleep(50);
    }
  }

  private static java.util.Map<String, float[]> gradients(ProsperModel model) {
    java.util.Map<String, float[]> gradients = new java.util.LinkedHashMap<>();
    model
        .parameters()
        .forEach(
            (name, array) -> {
              try (NDArray gradient = array.getGradient()) {
                gradients.put(name, gradient.toFloatArray());
              }
            });
    return gradients;
  }

  /** Writes values into a weight in place (its storage stays owned by PyTorch). */
  private static void overwrite(NDArray parameter, float[] values) {
    try (NDArray replacement = parameter.getManager().create(values, parameter.getShape())) {
      parameter.subi(parameter).addi(replacement);
    }
  }

  private static int argMaxAbs(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (Math.abs(values[i]) > Math.abs(values[best])) {
        best = i;
      }
    }
    return best;
  }

  private static double numericGradient(
      ProsperModel model,
      List<Batches.Pair> batch,
      Objective.Weights weights,
      NDArray parameter,
      int index,
      float epsilon) {
    float[] values = parameter.toFloatArray();
    float original = values[index];
    double[] losses = new double[2];
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int side = 0; side < 2; side++) {
        values[index] = original + (side == 0 ? epsilon : -epsilon);
        overwrite(parameter, values);
        try (NDManager manager = model.parameters().manager().newSubManager()) {
          losses[side] =
              Objective.losses(model, manager, batch, 1000, 1000, weights, null).total().getFloat();
        }
      }
      values[index] = original;
      overwrite(parameter, values);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    return (losses[0] - losses[1]) / (2 * epsilon);
  }
}
