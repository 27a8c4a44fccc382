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
