package dev.prosper.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.head.ProsperHead;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.testing.TinyCheckpoints;
import dev.prosper.training.data.Dataset;
import dev.prosper.training.data.SampleCatalogue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The quality levers of {@code train}: hard negatives, the warm-up and the sparse start. */
class LeversTest {

  @TempDir Path directory;

  @Test
  void hardNegativesJoinTheDenominatorAndFalseNegativesLeaveIt() throws Exception {
    Path checkpoint = TinyCheckpoints.writeBert(directory.resolve("bert"), 200, 3);
    HeadConfig head = HeadConfig.DEFAULT.withWindows(1000, 1000);
    List<Batches.Pair> batch =
        List.of(
            new Batches.Pair(
                "1",
                "patio umbrella",
                "a",
                "9 ft. patio umbrella white",
                List.of("black steel café ä", "umbrella base"),
                Set.of("9 ft. patio umbrella white", "umbrella base")),
            new Batches.Pair(
                "2",
                "cordless drill",
                "b",
                "18v lithium-ion cordless drill",
                List.of("white steel"),
                Set.of("18v lithium-ion cordless drill")));
    List<String> documents = Batches.documents(batch);
    assertEquals(
        List.of(
            "9 ft. patio umbrella white",
            "18v lithium-ion cordless drill",
            "black steel café ä",
            "umbrella base",
            "white steel"),
        documents);
    boolean[][] excluded = Batches.falseNegatives(batch, documents);
    // "umbrella base" is a positive of query 1: not a negative for it, but one for query 2.
    assertTrue(excluded[0][3]);
    assertFalse(excluded[1][3]);
    assertFalse(excluded[0][0]);
    try (ProsperModel model = Backbones.load(checkpoint.toString(), head, Device.cpu(), 9);
        NDManager manager = model.parameters().manager().newSubManager()) {
      Objective.Losses losses =
          Objective.losses(model, manager, batch, 1000, 1000, Objective.Weights.flops(0, 0), null);
      int vocab = model.config().vocabSize();
      float[] q =
          model
              .represent(manager, model.tokenize(List.of("patio umbrella", "cordless drill")))
              .full()
              .toFloatArray();
      float[] d = model.represent(manager, model.tokenize(documents)).full().toFloatArray();
      double rank = 0;
      for (int i = 0; i < 2; i++) {
        double norm = 0;
        for (int t = 0; t < vocab; t++) {
          norm += q[i * vocab + t] * q[i * vocab + t];
        }
        norm = Math.sqrt(norm);
        double[] scores = new double[documents.size()];
        for (int j = 0; j < documents.size(); j++) {
          for (int t = 0; t < vocab; t++) {
            scores[j] += q[i * vocab + t] / norm * d[j * vocab + t];
          }
        }
        double sum = 0;
        for (int j = 0; j < documents.size(); j++) {
          if (!excluded[i][j]) {
            sum += Math.exp(scores[j]);
          }
        }
        rank += -(scores[i] - Math.log(sum)) / 2;
      }
      assertEquals(rank, losses.rank().getFloat(), 1e-4);
      // Without the hard negatives the loss differs: they are in the denominator.
      Objective.Losses inBatch =
          Objective.losses(
              model,
              manager,
              List.of("patio umbrella", "cordless drill"),
              List.of("9 ft. patio umbrella white", "18v lithium-ion cordless drill"),
              1000,
              1000,
              Objective.Weights.flops(0, 0));
      assertTrue(Math.abs(inBatch.rank().getFloat() - losses.rank().getFloat()) > 1e-6);
    }
  }

  @Test
  void minedNegativesAreDrawnFromThePoolAndAreNeverAPositive() throws Exception {
    Dataset data = SampleCatalogue.generate(300, 120, 4).toDataset();
    List<String> queries = data.queriesWithPositives(3);
    HardNegatives.Pools pools = HardNegatives.mine(data, queries, 3, 20);
    assertTrue(pools.mined() > 0, "BM25 mined some negatives");
    assertTrue(pools.pools().size() > queries.size() / 2);
    List<List<Batches.Pair>> batches = Batches.epoch(data, queries, 3, 16, 2, 0, pools.pools(), 2);
    int withNegatives = 0;
    for (List<Batches.Pair> batch : batches) {
      for (Batches.Pair pair : batch) {
        assertTrue(pair.negatives().size() <= 2);
        Set<String> poolTitles = new HashSet<>();
        for (String id : pools.pools().getOrDefault(pair.queryId(), List.of())) {
          poolTitles.add(data.products().get(id));
        }
        for (String negative : pair.negatives()) {
          assertTrue(poolTitles.contains(negative), "from the pool: " + negative);
          for (String positive : data.positives(pair.queryId(), 3)) {
            assertFalse(negative.equals(data.products().get(positive)), "a positive: " + negative);
          }
        }
        withNegatives += pair.negatives().isEmpty() ? 0 : 1;
      }
    }
    assertTrue(withNegatives > queries.size() / 2, "pairs with negatives: " + withNegatives);
    assertEquals(
        batches,
        Batches.epoch(data, queries, 3, 16, 2, 0, pools.pools(), 2),
        "same seed, same negatives");
  }

  @Test
  void warmUpLowersTheMaskedTokenLoss() throws Exception {
    Dataset data = SampleCatalogue.generate(300, 10, 8).toDataset();
    List<String> titles = new ArrayList<>(data.products().values());
    List<String> heldOut = titles.subList(0, 48);
    List<String> train = titles.subList(48, titles.size());
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 1)) {
      MaskedLmWarmup warmup = new MaskedLmWarmup(model);
      MaskedLmWarmup.Result result =
          warmup.run(
              train,
              heldOut,
              12,
              16,
              2e-4,
              3,
              new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
      assertTrue(
          result.lossAfter() < result.lossBefore() - 0.5,
          "masked-token loss " + result.lossBefore() + " -> " + result.lossAfter());
      assertEquals(result.lossAfter(), warmup.evaluate(heldOut, 3 + 7), 1e-4, "fixed mask");
    }
  }

  @Test
  void sparseStartGivesRealZeros() throws Exception {
    Dataset data = SampleCatalogue.generate(400, 10, 9).toDataset();
    List<String> titles = new ArrayList<>(data.products().values());
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 1)) {
      List<String> probe = titles.subList(0, 32);
      double before = meanBasicTerms(model, probe);
      assertTrue(before > 5000, "the untrained head activates most of the vocabulary: " + before);
      double estimated = HeadBias.sparsify(model, titles.subList(32, titles.size()), 40);
      assertEquals(40, estimated, 8);
      double after = meanBasicTerms(model, probe);
      assertTrue(after > 5 && after < 200, "basic terms per unseen title: " + after);
      // Served documents: the literal terms plus the few expansions left.
      int served =
          model.encode(probe, Mode.DOCUMENT).stream()
              .mapToInt(t -> t.terms().size())
              .max()
              .orElseThrow();
      assertTrue(served < 512, "fewer terms than the window: " + served);
    }
  }

  private static double meanBasicTerms(ProsperModel model, List<String> texts) {
    try (NDManager manager = model.parameters().manager().newSubManager()) {
      float[] counts =
          ProsperHead.activeTerms(model.represent(manager, model.tokenize(texts)).basic())
              .toFloatArray();
      double sum = 0;
      for (float c : counts) {
        sum += c;
      }
      return sum / counts.length;
    }
  }

  @Test
  void morePositivesPerQueryGiveEachQueryDistinctPositivesInDifferentBatches() {
    Dataset data = SampleCatalogue.generate(300, 40, 5).toDataset();
    List<String> queries = data.queriesWithPositives(1);
    List<List<Batches.Pair>> one = Batches.epoch(data, queries, 1, 16, 2, 0, java.util.Map.of(), 0);
    List<List<Batches.Pair>> three =
        Batches.epoch(data, queries, 1, 16, 2, 0, java.util.Map.of(), 0, 3);
    // One positive per query keeps the earlier draw exactly (same seed, same pairs).
    assertEquals(one, Batches.epoch(data, queries, 1, 16, 2, 0, java.util.Map.of(), 0, 1));
    assertEquals(three, Batches.epoch(data, queries, 1, 16, 2, 0, java.util.Map.of(), 0, 3));
    int expected = 0;
    for (String q : queries) {
      expected += Math.min(3, data.positives(q, 1).size());
    }
    java.util.Map<String, Set<String>> seen = new java.util.HashMap<>();
    int pairs = 0;
    for (List<Batches.Pair> batch : three) {
      Set<String> inBatch = new HashSet<>();
      for (Batches.Pair pair : batch) {
        assertTrue(inBatch.add(pair.queryId()), "query twice in one batch: " + pair.queryId());
        assertTrue(data.positives(pair.queryId(), 1).contains(pair.productId()));
        assertTrue(
            seen.computeIfAbsent(pair.queryId(), k -> new HashSet<>()).add(pair.productId()),
            "positive twice for one query: " + pair.queryId());
        pairs++;
      }
    }
    int onePairs = one.stream().mapToInt(List::size).sum();
    assertTrue(expected > onePairs, "the sample data has queries with several positives");
    // Every pair is batched except at most a tail that only one query's pairs are left for.
    assertTrue(pairs > expected - 3 && pairs <= expected, pairs + " of " + expected);
    assertThrows(
        IllegalArgumentException.class,
        () -> Batches.epoch(data, queries, 1, 16, 2, 0, java.util.Map.of(), 0, 0));
  }

  @Test
  void leverOptionsAreValidated() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TrainingOptions.Levers(-1, 50, 0, 5e-5, 0, 0, 0, 0, 1, 0, 0, null, 1, 1, 0));
    assertEquals("[--hard-negatives] must not be negative, got -1", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TrainingOptions.Levers(0, 50, 0, 0, 0, 0, 0, 0, 1, 0, 0, null, 1, 1, 0));
    assertEquals("[--mlm-lr] must be positive, got 0.0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new TrainingOptions.Levers(0, 50, 0, 5e-5, 0, 0, 0, -0.1, 1, 0, 0, null, 1, 1, 0));
    assertEquals("[--l1-d] must be a non-negative number, got -0.1", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TrainingOptions.Levers(0, 50, 0, 5e-5, 0, 0, 0, 0, 0, 0, 0, null, 1, 1, 0));
    assertEquals("[--positives-per-query] must be at least 1, got 0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TrainingOptions.Levers(0, 50, 0, 5e-5, 0, 0, 0, 0, 1, 0, 0, null, 1, 1, 1.5));
    assertEquals("[--typo-rate] must be a share between 0 and 1, got 1.5", e.getMessage());
  }

  @Test
  void l1TermAddsTheMeanWeightSumAndSwitchesTermsOff() throws Exception {
    Dataset data = SampleCatalogue.generate(300, 40, 5).toDataset();
    List<String> queries = data.queriesWithPositives(3);
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 1)) {
      List<Batches.Pair> batch =
          Batches.epoch(data, queries, 3, 16, 7, 0, java.util.Map.of(), 0).get(0);
      List<String> titles = Batches.documents(batch);
      try (NDManager manager = model.parameters().manager().newSubManager()) {
        Objective.Losses plain =
            Objective.losses(model, manager, batch, 256, 512, Objective.Weights.flops(0, 0), null);
        Objective.Losses l1 =
            Objective.losses(
                model, manager, batch, 256, 512, new Objective.Weights(0, 0, 0.5, 0.25, 0), null);
        float[] w = model.represent(manager, model.tokenize(titles)).basic().toFloatArray();
        double sum = 0;
        for (float v : w) {
          sum += v;
        }
        double meanL1 = sum / titles.size();
        assertEquals(meanL1, l1.l1Document().getFloat(), 1e-3 * meanL1);
        double expected =
            plain.rank().getFloat()
                + 0.5 * l1.l1Query().getFloat()
                + 0.25 * l1.l1Document().getFloat();
        assertEquals(expected, l1.total().getFloat(), 1e-3 * expected);
      }
      // A few updates with only the L1 term on the titles: weights go through zero, where the
      // saturation's ReLU switches them off (FLOPS alone only shrinks them).
      List<String> probe = titles.subList(0, 8);
      double before = meanBasicTerms(model, probe);
      model.parameters().forEach((name, array) -> array.setRequiresGradient(true));
      AdamW optimizer = new AdamW(model.parameters());
      for (int step = 0; step < 6; step++) {
        Objective.forwardBackward(model, batch, 256, 512, new Objective.Weights(0, 0, 0, 1.0, 0));
        optimizer.step(1e-3, 0, 0);
      }
      double after = meanBasicTerms(model, probe);
      assertTrue(after < 0.75 * before, "basic terms per title " + before + " -> " + after);
    }
  }
}
