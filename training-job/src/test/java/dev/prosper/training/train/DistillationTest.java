package dev.prosper.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.tokenizer.TokenBatch;
import dev.prosper.training.data.DataFormatException;
import dev.prosper.training.data.Dataset;
import dev.prosper.training.data.SampleCatalogue;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distillation from a cross-encoder teacher: the teacher itself (its pair layout, its training),
 * its scores file, the batches that carry its scores and the KL term of the objective.
 */
class DistillationTest {

  @TempDir Path directory;

  @Test
  void scoresFileRoundTripsAndNamesTheLineOfABadOne() throws Exception {
    Path file = directory.resolve(TeacherScores.FILE);
    TeacherScores.write(
        file,
        List.of(
            new TeacherScores.Entry("q1", "p1", 2.5f),
            new TeacherScores.Entry("q1", "p2", -1.25f),
            new TeacherScores.Entry("q2", "p1", 0.5f)));
    Map<String, Map<String, Float>> read = TeacherScores.read(file);
    assertEquals(Map.of("p1", 2.5f, "p2", -1.25f), read.get("q1"));
    assertEquals(Map.of("p1", 0.5f), read.get("q2"));

    Files.writeString(file, "q1\tp1\t1.0\nq1\tp2\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> TeacherScores.read(file));
    assertEquals(
        file + ":2: expected query id, product id and score separated by tabs", e.getMessage());
    Files.writeString(file, "q1\tp1\tNaN\n");
    e = assertThrows(DataFormatException.class, () -> TeacherScores.read(file));
    assertEquals(file + ":1: score [NaN] is not a finite number", e.getMessage());
    Files.writeString(file, "q1\tp1\thigh\n");
    e = assertThrows(DataFormatException.class, () -> TeacherScores.read(file));
    assertEquals(file + ":1: score [high] is not a finite number", e.getMessage());
    Files.writeString(file, "\n");
    e = assertThrows(DataFormatException.class, () -> TeacherScores.read(file));
    assertEquals(file + ": no teacher scores", e.getMessage());
  }

  /** Pools never hold a positive, nor a product with a positive's title; batches carry scores. */
  @Test
  void poolsLeavePositivesOutAndPairsCarryTheTeachersScores() {
    Dataset data = SampleCatalogue.generate(300, 40, 5).toDataset();
    List<String> queries = data.queriesWithPositives(3);
    Map<String, Map<String, Float>> scores = new HashMap<>();
    Random random = new Random(3);
    List<String> products = new ArrayList<>(data.products().keySet());
    for (String q : queries) {
      Map<String, Float> scored = new HashMap<>();
      for (String p : data.positives(q, 3)) {
        scored.put(p, 5 + random.nextFloat());
      }
      for (int i = 0; i < 6; i++) {
        scored.put(products.get(random.nextInt(products.size())), random.nextFloat());
      }
      scores.put(q, scored);
    }
    Map<String, List<String>> pools = TeacherScores.pools(data, scores, queries, 3);
    assertFalse(pools.isEmpty());
    for (Map.Entry<String, List<String>> pool : pools.entrySet()) {
      Set<String> positiveTitles = new HashSet<>();
      data.positives(pool.getKey(), 3).forEach(p -> positiveTitles.add(data.products().get(p)));
      for (String id : pool.getValue()) {
        assertTrue(scores.get(pool.getKey()).containsKey(id));
        assertFalse(positiveTitles.contains(data.products().get(id)), id);
      }
    }
    List<List<Batches.Pair>> batches =
        Batches.epoch(data, queries, 3, 8, 7, 0, pools, 2, 1, scores);
    int withNegatives = 0;
    for (List<Batches.Pair> batch : batches) {
      for (Batches.Pair pair : batch) {
        Map<String, Float> expected = new HashMap<>();
        Map<String, Float> byTitle = new HashMap<>();
        scores.get(pair.queryId()).forEach((id, s) -> byTitle.put(data.products().get(id), s));
        expected.put(pair.title(), scores.get(pair.queryId()).get(pair.productId()));
        for (String negative : pair.negatives()) {
          assertFalse(pair.positiveTitles().contains(negative));
          expected.put(negative, byTitle.get(negative));
        }
        assertEquals(expected, pair.teacher());
        withNegatives += pair.negatives().isEmpty() ? 0 : 1;
      }
    }
    assertTrue(withNegatives > 10, withNegatives + " pairs with scored negatives");
  }

  /** The KL term against a hand computation, with a pair the teacher did not score. */
  @Test
  void klTermMatchesAHandComputation() {
    List<Batches.Pair> batch =
        List.of(
            pair(
                "a",
                "title a",
                List.of("neg x", "title b"),
                Map.of("title a", 3f, "neg x", 1f, "title b", 2f)),
            pair("b", "title b", List.of("neg y"), Map.of()),
            pair("c", "title c", List.of("neg x"), Map.of("title c", 0.5f, "neg x", 1.5f)));
    List<String> documents = Batches.documents(batch);
    assertEquals(List.of("title a", "title b", "title c", "neg x", "neg y"), documents);
    float[][] s = {
      {2.0f, 0.5f, -1f, 1.0f, 0.3f},
      {0.1f, 1.5f, 0.2f, 0.4f, 0.9f},
      {0.3f, -0.2f, 0.8f, 1.1f, 0f}
    };
    double temperature = 2;
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      NDArray scores = manager.create(s);
      NDArray kl = Objective.distillation(manager, batch, documents, scores, temperature);
      double row0 = kl(new double[] {3, 1, 2}, new double[] {s[0][0], s[0][3], s[0][1]}, 2);
      double row2 = kl(new double[] {0.5, 1.5}, new double[] {s[2][2], s[2][3]}, 2);
      assertEquals((row0 + row2) / 2, kl.getFloat(), 1e-5);
      assertTrue(kl.getFloat() > 0);
      // Nothing scored: no term.
      List<Batches.Pair> unscored =
          List.of(batch.get(1), pair("d", "title d", List.of(), Map.of()));
      assertNull(
          Objective.distillation(
              manager, unscored, Batches.documents(unscored), manager.zeros(new Shape(2, 3)), 1));
    }
  }

  private static Batches.Pair pair(
      String id, String title, List<String> negatives, Map<String, Float> teacher) {
    return new Batches.Pair(id, "query " + id, "p-" + id, title, negatives, Set.of(title), teacher);
  }

  private static double kl(double[] teacher, double[] student, double temperature) {
    double[] p = softmax(teacher, temperature);
    double[] q = softmax(student, 1);
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      sum += p[i] * (Math.log(p[i]) - Math.log(q[i]));
    }
    return sum;
  }

  private static double[] softmax(double[] x, double temperature) {
    double total = 0;
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = Math.exp(x[i] / temperature);
      total += out[i];
    }
    for (int i = 0; i < x.length; i++) {
      out[i] /= total;
    }
    return out;
  }

  /** The objective adds α · KL to the total, and the step figures report the KL. */
  @Test
  void objectiveAddsTheWeightedKlTerm() throws Exception {
    Dataset data = SampleCatalogue.generate(300, 40, 5).toDataset();
    List<String> queries = data.queriesWithPositives(3);
    Map<String, Map<String, Float>> scores = new HashMap<>();
    List<String> products = new ArrayList<>(data.products().keySet());
    Random random = new Random(4);
    for (String q : queries) {
      Map<String, Float> scored = new HashMap<>();
      data.positives(q, 3).forEach(p -> scored.put(p, 4f));
      for (int i = 0; i < 4; i++) {
        scored.put(products.get(random.nextInt(products.size())), random.nextFloat() * 4);
      }
      scores.put(q, scored);
    }
    Map<String, List<String>> pools = TeacherScores.pools(data, scores, queries, 3);
    List<Batches.Pair> batch =
        Batches.epoch(data, queries, 3, 16, 7, 0, pools, 1, 1, scores).get(0);
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 1);
        NDManager manager = model.parameters().manager().newSubManager()) {
      Objective.Losses plain =
          Objective.losses(model, manager, batch, 256, 512, Objective.Weights.flops(0, 0), null);
      assertNull(plain.distill());
      Objective.Losses distilled =
          Objective.losses(
              model, manager, batch, 256, 512, new Objective.Weights(0, 0, 0, 0, 0, 0.5, 1), null);
      double kl = distilled.distill().getFloat();
      assertTrue(kl > 0, "KL " + kl);
      // Each pair's own scored hard negatives leave its InfoNCE row, as its false negatives do.
      List<Batches.Pair> withoutOwnNegatives = new ArrayList<>();
      int scoredNegatives = 0;
      for (Batches.Pair pair : batch) {
        Set<String> left = new HashSet<>(pair.positiveTitles());
        left.addAll(pair.negatives());
        scoredNegatives += pair.negatives().size();
        withoutOwnNegatives.add(
            new Batches.Pair(
                pair.queryId(),
                pair.query(),
                pair.productId(),
                pair.title(),
                pair.negatives(),
                left));
      }
      assertTrue(scoredNegatives > 4, scoredNegatives + " hard negatives");
      Objective.Losses expected =
          Objective.losses(
              model, manager, withoutOwnNegatives, 256, 512, Objective.Weights.flops(0, 0), null);
      assertEquals(expected.rank().getFloat(), distilled.rank().getFloat(), 1e-5);
      assertTrue(Math.abs(plain.rank().getFloat() - distilled.rank().getFloat()) > 1e-4);
      assertEquals(expected.total().getFloat() + 0.5 * kl, distilled.total().getFloat(), 1e-4);
    }
  }

  @Test
  void distillationNeedsHardNegativesAndValidWeights() {
    Path file = directory.resolve("scores.tsv");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TrainingOptions.Levers(0, 50, 0, 5e-5, 0, 0, 0, 0, 1, 0, 0, file, 1, 1, 0));
    assertTrue(e.getMessage().startsWith("[--distill] needs --hard-negatives"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TrainingOptions.Levers(1, 50, 0, 5e-5, 0, 0, 0, 0, 1, 0, 0, file, -1, 1, 0));
    assertEquals("[--distill-weight] must be a non-negative number, got -1.0", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new TrainingOptions.Levers(1, 50, 0, 5e-5, 0, 0, 0, 0, 1, 0, 0, file, 1, 0, 0));
    assertEquals("[--distill-temperature] must be a positive number, got 0.0", e.getMessage());
  }

  /** [CLS] query [SEP] title [SEP]; a long title is cut and keeps its closing [SEP]. */
  @Test
  void teacherReadsQueryAndTitleAsOneSequence() throws Exception {
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 1)) {
      CrossEncoderTeacher teacher = new CrossEncoderTeacher(model, 12, 1);
      String longTitle = "cordless drill with two batteries charger case and a long manual";
      TokenBatch pairs = teacher.pairs(List.of("drill", "drill"), List.of("red drill", longTitle));
      TokenBatch query = model.tokenize(List.of("drill"));
      TokenBatch title = model.tokenize(List.of("red drill"));
      long cls = query.ids()[0][0];
      long sep = query.ids()[0][query.length(0) - 1];
      long[] expected = new long[query.length(0) + title.length(0) - 1];
      System.arraycopy(query.ids()[0], 0, expected, 0, query.length(0));
      System.arraycopy(title.ids()[0], 1, expected, query.length(0), title.length(0) - 1);
      assertArrayEquals(expected, java.util.Arrays.copyOf(pairs.ids()[0], pairs.length(0)));
      assertEquals(12, pairs.length(1));
      assertEquals(cls, pairs.ids()[1][0]);
      assertEquals(sep, pairs.ids()[1][11]);
      assertEquals(sep, pairs.ids()[1][query.length(0) - 1]);
      // A query longer than half the budget is cut to half, keeping its [SEP].
      String longQuery = "red cordless drill with two batteries and a charger in a case";
      TokenBatch cut = teacher.pairs(List.of(longQuery), List.of("red drill"));
      assertEquals(6 + title.length(0) - 1, cut.length(0));
      assertEquals(sep, cut.ids()[0][5]);
      assertEquals(model.tokenize(List.of(longQuery)).ids()[0][4], cut.ids()[0][4]);
      assertArrayEquals(
          java.util.Arrays.copyOfRange(title.ids()[0], 1, title.length(0)),
          java.util.Arrays.copyOfRange(cut.ids()[0], 6, 6 + title.length(0) - 1));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> new CrossEncoderTeacher(model, 4, 1));
      assertEquals("[--max-length] must be at least 8, got 4", e.getMessage());
    }
  }

  /** A few updates on generated judgements lower the listwise loss on the same groups. */
  @Test
  void teacherTrainingLowersItsLoss() throws Exception {
    Dataset data = SampleCatalogue.generate(300, 40, 5).toDataset();
    List<String> queries = data.queriesWithPositives(3);
    Map<String, List<String>> pools = HardNegatives.mine(data, queries, 3, 10).pools();
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 1)) {
      CrossEncoderTeacher teacher = new CrossEncoderTeacher(model, 48, 1);
      List<CrossEncoderTeacher.Group> probe = new ArrayList<>();
      for (String q : queries.subList(0, 12)) {
        List<String> titles = new ArrayList<>();
        titles.add(data.products().get(data.positives(q, 3).get(0)));
        for (String id : pools.getOrDefault(q, List.of())) {
          if (titles.size() < 4 && !titles.contains(data.products().get(id))) {
            titles.add(data.products().get(id));
          }
        }
        if (titles.size() == 4) {
          probe.add(new CrossEncoderTeacher.Group(data.queries().get(q), titles));
        }
      }
      assertTrue(probe.size() >= 8, probe.size() + " probe groups");
      double before = loss(teacher, model, probe);
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      CrossEncoderTeacher.Trained trained =
          teacher.train(
              data,
              queries,
              pools,
              3,
              new CrossEncoderTeacher.Schedule(3, 8, 3, 1e-4, 0.1, 0),
              5,
              new PrintStream(log, true));
      assertTrue(trained.steps() >= 3 * ((queries.size() + 7) / 8) - 3, trained.toString());
      double after = loss(teacher, model, probe);
      assertTrue(after < before - 0.1, "loss " + before + " -> " + after);
      float[] scores =
          teacher.score(
              List.of(probe.get(0).query(), probe.get(0).query()),
              List.of(probe.get(0).titles().get(0), probe.get(0).titles().get(1)));
      assertEquals(2, scores.length);
      assertTrue(Float.isFinite(scores[0]) && Float.isFinite(scores[1]));
    }
  }

  private static double loss(
      CrossEncoderTeacher teacher, ProsperModel model, List<CrossEncoderTeacher.Group> groups) {
    try (NDManager manager = model.parameters().manager().newSubManager()) {
      return teacher.loss(manager, groups).getFloat();
    }
  }
}
