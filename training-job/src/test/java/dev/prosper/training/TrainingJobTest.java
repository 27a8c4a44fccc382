package dev.prosper.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's answers to bad input: one line naming the option or file, exit code 1. */
class TrainingJobTest {

  @TempDir Path directory;

  private String run(int expectedExit, String... args) {
    StringWriter err = new StringWriter();
    var commandLine = TrainingJob.commandLine();
    commandLine.setErr(new PrintWriter(err, true));
    commandLine.setOut(new PrintWriter(new StringWriter(), true));
    assertEquals(expectedExit, commandLine.execute(args), err.toString());
    return err.toString();
  }

  @Test
  void invalidOptionValuesNameTheOption() throws Exception {
    Path data = directory.resolve("data");
    run(0, "sample-data", "--output", data.toString(), "--products", "50", "--queries", "20");
    String out = directory.resolve("out").toString();
    assertTrue(
        run(1, "train", "--data", data.toString(), "--output", out, "--epochs", "0")
            .contains("error: [--epochs] must be at least 1, got 0"));
    assertTrue(
        run(1, "train", "--data", data.toString(), "--output", out, "--pooling", "mean")
            .contains("error: [pooling] must be one of last, max, got [mean]"));
    assertTrue(
        run(1, "train", "--data", directory.resolve("nowhere").toString(), "--output", out)
            .contains("dataset directory not found"));
    assertTrue(
        run(1, "encode", "--model", directory.resolve("missing").toString(), "x")
            .contains("invalid PROSPER artefact"));
    assertTrue(
        run(1, "encode", "--model", out, "--mode", "passage", "x")
            .contains("error: [mode] must be query or document, got [passage]"));
    assertTrue(run(2, "train", "--data").contains("Missing required parameter"));
  }

  /**
   * The teacher's whole path on generated data: trained, validated, its scores written, and a
   * {@code train --distill} run that reads them; bad options name themselves.
   */
  @Test
  void teacherScoresFeedADistilledTrainingRun() throws Exception {
    Path data = directory.resolve("data");
    run(0, "sample-data", "--output", data.toString(), "--products", "200", "--queries", "60");
    Path teacher = directory.resolve("teacher");
    String[] common = {"--data", data.toString(), "--min-grade", "3", "--validation-queries", "8"};
    assertTrue(
        run(
                1,
                "teacher",
                "--data",
                data.toString(),
                "--output",
                teacher.toString(),
                "--negatives",
                "0")
            .contains("error: [--negatives] must be at least 1, got 0"));
    String[] teacherArgs = {
      "teacher",
      "--output",
      teacher.toString(),
      "--backbone",
      "minilm-l6",
      "--max-steps",
      "2",
      "--batch-queries",
      "4",
      "--candidates",
      "6",
      "--rerank-depth",
      "5"
    };
    run(0, concat(teacherArgs, common));
    Path scores = teacher.resolve("teacher-scores.tsv");
    java.util.List<String> lines = java.nio.file.Files.readAllLines(scores);
    assertTrue(lines.size() > 40, lines.size() + " scored pairs");
    for (String line : lines) {
      String[] fields = line.split("\t");
      assertEquals(3, fields.length, line);
      assertTrue(Double.isFinite(Double.parseDouble(fields[2])), line);
    }
    var report =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(teacher.resolve("teacher.json").toFile());
    assertEquals(lines.size(), report.get("scored_pairs").asInt());
    assertTrue(report.get("validation_mrr10_teacher").asDouble() >= 0);
    String out = directory.resolve("student").toString();
    assertTrue(
        run(
                1,
                concat(
                    new String[] {"train", "--output", out, "--distill", scores.toString()},
                    common))
            .contains("error: [--distill] needs --hard-negatives of at least 1"));
    assertTrue(
        run(
                1,
                concat(
                    new String[] {
                      "train",
                      "--output",
                      out,
                      "--hard-negatives",
                      "1",
                      "--distill",
                      directory.resolve("none.tsv").toString()
                    },
                    common))
            .contains("error: [--distill] " + directory.resolve("none.tsv") + ": no such file"));
    assertTrue(
        run(
                1,
                "train",
                "--output",
                out,
                "--hard-negatives",
                "1",
                "--distill",
                teacher.toString(),
                "--data",
                data.toString(),
                "--min-grade",
                "3",
                "--validation-queries",
                "8",
                "--seed",
                "5")
            .contains("scores validation queries of this run"));
    run(
        0,
        concat(
            new String[] {
              "train",
              "--output",
              out,
              "--backbone",
              "minilm-l6",
              "--hard-negatives",
              "2",
              "--distill",
              scores.toString(),
              "--distill-weight",
              "0.5",
              "--max-steps-per-epoch",
              "2",
              "--pseudo-queries",
              "0",
              "--validation-corpus",
              "0"
            },
            common));
    java.util.List<String> metrics = java.nio.file.Files.readAllLines(Path.of(out, "metrics.csv"));
    assertTrue(metrics.get(0).endsWith(",distill_loss"), metrics.get(0));
    double kl = Double.parseDouble(metrics.get(1).substring(metrics.get(1).lastIndexOf(',') + 1));
    assertTrue(kl > 0, "distill_loss " + kl);
    assertTrue(
        java.nio.file.Files.readString(Path.of(out, "artefact", "prosper.json"))
            .contains("teacher-scores.tsv"));
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  @Test
  void workbenchRefusesBadOptionsBeforeListening() throws Exception {
    assertTrue(
        run(2, "workbench", "--model-id", "m", "--judgements", "qrels.tsv")
            .contains("--judgements and --queries go together"));
    assertTrue(
        run(2, "workbench", "--model-id", "m", "--size", "0").contains("--size must be 1 to 100"));
    assertTrue(
        run(2, "workbench", "--model-id", "m", "--hybrid-weight", "-1")
            .contains("--hybrid-weight must be a positive number"));
    String missing = directory.resolve("missing.tsv").toString();
    assertTrue(
        run(1, "workbench", "--model-id", "m", "--judgements", missing, "--queries", missing)
            .contains("missing.tsv: file not found"));
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertTrue(
          run(1, "workbench", "--model-id", "m", "--port", String.valueOf(taken.getLocalPort()))
              .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()));
    }
  }
}
