package dev.prosper.training.workbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JudgementsTest {

  @Test
  void metricsOfOneQueryMatchAHandComputation(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("queries.tsv"), "q1\tCordless  Drill\nq2\tpatio umbrella\n");
    Files.writeString(dir.resolve("qrels.tsv"), "q1\tp2\t3\nq1\tp3\t1\nq1\tp9\t3\nq2\tp5\t1\n");
    Judgements judgements =
        Judgements.read(dir.resolve("queries.tsv"), dir.resolve("qrels.tsv"), 3, 1);

    // Case and spacing do not matter; q2 has no positive, so only q1 is offered at random.
    Map<String, Double> judged = judgements.of("cordless drill ");
    assertEquals(Map.of("p2", 3.0, "p3", 1.0, "p9", 3.0), judged);
    assertNull(judgements.of("hammer"));
    assertEquals(1, judgements.judgedQueries());
    assertEquals("Cordless  Drill", judgements.randomQuery());

    // Ranking p1, p2, p3: the first positive at rank 2, so MRR@10 = 1/2. Gains 2^(g - 1) - 1
    // (floor 1, the lowest grade of the set): p2 3, p3 0, p9 3.
    // DCG = 3 / log2(3); ideal = 3 / log2(2) + 3 / log2(3).
    Map<String, Double> metrics = judgements.metrics(List.of("p1", "p2", "p3"), judged);
    assertEquals(0.5, metrics.get("MRR@10"), 1e-12);
    double dcg = 3 / (Math.log(3) / Math.log(2));
    assertEquals(dcg / (3 + dcg), metrics.get("nDCG@10"), 1e-12);
    assertEquals(0.0, judgements.metrics(List.of("p1"), judged).get("MRR@10"));
  }

  @Test
  void randomQueriesAreDrawnFromEveryJudgedQuery(@TempDir Path dir) throws Exception {
    StringBuilder queries = new StringBuilder();
    StringBuilder qrels = new StringBuilder();
    for (int q = 0; q < 5; q++) {
      queries.append("q").append(q).append("\tquery ").append(q).append('\n');
      qrels.append("q").append(q).append("\tp").append(q).append("\t2\n");
    }
    Files.writeString(dir.resolve("queries.tsv"), queries);
    Files.writeString(dir.resolve("qrels.tsv"), qrels);
    Judgements judgements =
        Judgements.read(dir.resolve("queries.tsv"), dir.resolve("qrels.tsv"), 1, 7);
    Set<String> drawn = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      drawn.add(judgements.randomQuery());
    }
    assertEquals(5, drawn.size());
    assertTrue(drawn.contains("query 4"));
  }
}
