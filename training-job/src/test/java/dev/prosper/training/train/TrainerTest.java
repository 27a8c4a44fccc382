package dev.prosper.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.training.data.Dataset;
import dev.prosper.training.data.SampleCatalogue;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end training runs on a generated catalogue with the pretrained MiniLM backbone. */
class TrainerTest {

  @TempDir Path directory;

  private Path sampleData() throws Exception {
    Path data = directory.resolve("data");
    SampleCatalogue.generate(400, 150, 3).toDataset().writeTsv(data);
    return data;
  }

  private TrainingOptions options(Path data, Path output, boolean resume) {
    return new TrainingOptions(
        data,
        "train",
        3,
        0,
        "minilm-l6",
        HeadConfig.DEFAULT,
        20,
        output,
        2,
        8,
        1e-4,
        0.1,
        0.3,
        5e-3,
        1e-3,
        1.5,
        1.0,
        20,
        300,
        3,
        7,
        "cpu",
        resume,
        // Typo-aware training, so that resuming is shown to draw the same typos.
        new TrainingOptions.Levers(0, 0, 0, 5e-5, 0, 0, 0, 0, 1, 0, 0, null, 1, 1, 0.3));
  }

  @Test
  void trainsValidatesWritesALoadableArtefactAndResumesToTheSameWeights() throws Exception {
    Path data = sampleData();
    Path full = directory.resolve("full");
    ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    Trainer.Result result =
        new Trainer(
                options(data, full, false), new PrintStream(logBytes, true, StandardCharsets.UTF_8))
            .run();
    String log = logBytes.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains("validation MRR@10"), log);
    assertTrue(log.contains("typo-aware training: a share 0.3 of the pairs' queries"), log);
    assertTrue(log.matches("(?s).*peak resident memory so far: [0-9,]+ MiB.*"), log);
    assertEquals(2, result.validation().size());
    assertTrue(result.bestMrr10() > 0, "validation found positives: " + result.bestMrr10());
    List<String> metrics = Files.readAllLines(full.resolve("metrics.csv"));
    assertEquals(MetricsLog.HEADER, metrics.get(0));
    assertEquals(1 + 2 * 3, metrics.size());
    assertTrue(Files.readString(full.resolve("validation.json")).contains("\"best_epoch\""));
    for (String chart : List.of("loss.png", "sparsity.png", "validation.png")) {
      assertTrue(Files.size(full.resolve(chart)) > 1000, chart);
    }
    assertEquals(
        0.3,
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(result.artefact().resolve("prosper.json").toFile())
            .path("training")
            .path("options")
            .path("typo_rate")
            .asDouble());
    try (ProsperModel model = Artefact.load(result.artefact(), Device.cpu())) {
      SparseVector encoded = model.encode(List.of("patio umbrella"), Mode.QUERY, 256).get(0);
      assertTrue(encoded.size() > 0);
      assertTrue(encoded.terms().stream().anyMatch(t -> t.literal() && t.term().equals("patio")));
      // Documents keep the terms above the threshold validation chose for 20 terms on average.
      float threshold = model.head().documentMinWeight();
      assertTrue(threshold > 0, "document_min_weight " + threshold);
      assertTrue(log.contains(String.format(java.util.Locale.ROOT, ">= %.4f: 20 on", threshold)));
      List<SparseVector> documents =
          model.encode(
              List.of("9 ft. patio umbrella in red", "cordless drill 18v", "oak bath vanity"),
              Mode.DOCUMENT);
      double terms = 0;
      for (SparseVector document : documents) {
        terms += document.size();
        for (SparseVector.Term term : document.terms().subList(1, document.size())) {
          assertTrue(term.weight() >= threshold, term + " below " + threshold);
        }
      }
      assertTrue(terms / documents.size() < 60, "kept " + terms + " terms of 3 x 512");
    }
    // An interrupted run: epoch 1's checkpoint and metrics only, then --resume.
    Path resumed = directory.resolve("resumed");
    Files.createDirectories(resumed.resolve("checkpoints"));
    copyTree(full.resolve("checkpoints/epoch-1"), resumed.resolve("checkpoints/epoch-1"));
    Files.write(resumed.resolve("metrics.csv"), metrics);
    new Trainer(
            options(data, resumed, true),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
        .run();
    assertArrayEquals(
        Files.readAllBytes(full.resolve("checkpoints/epoch-2/model.safetensors")),
        Files.readAllBytes(resumed.resolve("checkpoints/epoch-2/model.safetensors")),
        "resuming after epoch 1 gives the weights of the uninterrupted run");
    List<String> resumedMetrics = Files.readAllLines(resumed.resolve("metrics.csv"));
    assertEquals(metrics.size(), resumedMetrics.size());
    for (int i = 0; i < metrics.size(); i++) {
      // The same losses; the timing columns differ.
      assertEquals(
          List.of(metrics.get(i).split(",")).subList(0, 14),
          List.of(resumedMetrics.get(i).split(",")).subList(0, 14));
    }
    // The artefact evaluated against both BM25 baselines, with the significance test.
    Path report = directory.resolve("eval");
    evaluate(
        data,
        result.artefact(),
        report,
        "--query-top-k",
        "4,8",
        "--baselines",
        "bm25-standard,bm25-english",
        "--permutations",
        "500");
    String md = Files.readString(report.resolve("report.md"));
    assertTrue(md.contains("| trained (query top-k 4) | 0."), md);
    assertTrue(md.contains("| trained (query top-k 8) | 0."), md);
    assertTrue(md.contains("| BM25 (standard analyzer) | 0."), md);
    assertTrue(
        md.contains("p-values against BM25 (english analyzer) (paired randomisation test"), md);
    var json =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(report.resolve("report.json").toFile());
    var pValues = json.path("significance").path("p_values");
    assertEquals("BM25 (english analyzer)", json.path("significance").path("against").asText());
    List<String> rows = new java.util.ArrayList<>();
    pValues.fieldNames().forEachRemaining(rows::add);
    assertEquals(
        List.of("trained (query top-k 4)", "trained (query top-k 8)", "BM25 (standard analyzer)"),
        rows);
    for (var row : pValues) {
      for (var p : row) {
        assertTrue(p.asDouble() >= 1.0 / 501 && p.asDouble() <= 1.0, row.toString());
      }
    }
    // The unknown-word breakdown splits the same queries: its two means, weighted by their
    // query counts, are each row's overall mean.
    assertTrue(md.contains("queries with a word no product title contains"), md);
    var byWords = json.path("by_catalogue_words");
    for (String row : List.of("trained (query top-k 4)", "BM25 (english analyzer)")) {
      var unknown = byWords.path("unknown_word").path(row);
      var known = byWords.path("known_words").path(row);
      double total = json.path("results").path(row).path("queries").asDouble();
      assertEquals(total, unknown.path("queries").asDouble() + known.path("queries").asDouble());
      assertTrue(unknown.path("queries").asDouble() > 0, "sample queries with misspellings");
      for (String metric : List.of("MRR@10", "Recall@1000")) {
        assertEquals(
            json.path("results").path(row).path(metric).asDouble() * total,
            unknown.path(metric).asDouble() * unknown.path("queries").asDouble()
                + known.path(metric).asDouble() * known.path("queries").asDouble(),
            1e-9,
            row + " " + metric);
      }
    }
    // Hybrid rows and index-time pruning of one encoding (Figure 4 charts).
    Path hybrid = directory.resolve("eval-hybrid");
    evaluate(
        data,
        result.artefact(),
        hybrid,
        "--holdout-percent",
        "30",
        "--hybrid",
        "--document-top-k",
        "0,8,4",
        "--document-mean-terms",
        "6",
        "--baselines",
        "bm25-english",
        "--permutations",
        "0",
        "--run-depth",
        "3");
    var hybridRows =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(hybrid.resolve("report.json").toFile())
            .path("results");
    List<String> names = new java.util.ArrayList<>();
    hybridRows.fieldNames().forEachRemaining(names::add);
    assertTrue(
        names.contains("hybrid: reciprocal rank fusion of BM25 and trained"), names.toString());
    assertTrue(names.stream().anyMatch(n -> n.startsWith("hybrid: BM25 + ")), names.toString());
    assertTrue(
        names.stream().anyMatch(n -> n.startsWith("hybrid: min-max, ") && n.contains(" x BM25 + ")),
        names.toString());
    // The run file holds the fused rankings too, and the validation rankings their weights were
    // chosen on.
    List<String> runSystems =
        Files.readAllLines(hybrid.resolve("run.tsv")).stream()
            .skip(1)
            .map(line -> line.split("\t")[0])
            .distinct()
            .toList();
    assertTrue(
        runSystems.containsAll(
            List.of(
                "validation: BM25 (english analyzer)",
                "validation: trained",
                "trained (document top-k as served)",
                "hybrid: reciprocal rank fusion of BM25 and trained")),
        runSystems.toString());
    double servedTerms =
        hybridRows
            .path("trained (document top-k as served)")
            .path("mean document terms")
            .asDouble();
    double pruned4 =
        hybridRows.path("trained (document top-k 4)").path("mean document terms").asDouble();
    double pruned8 =
        hybridRows.path("trained (document top-k 8)").path("mean document terms").asDouble();
    assertTrue(pruned4 > 0 && pruned4 <= 4 && pruned4 < pruned8 && pruned8 <= 8, names.toString());
    assertTrue(servedTerms > pruned8, "as served keeps more terms: " + servedTerms);
    // Pruning by weight: one threshold for the catalogue, 6 terms per product on average.
    String byWeight =
        names.stream()
            .filter(n -> n.startsWith("trained (document mean terms 6, weight >= "))
            .findFirst()
            .orElseThrow(() -> new AssertionError(names.toString()));
    double meanByWeight = hybridRows.path(byWeight).path("mean document terms").asDouble();
    assertEquals(6, meanByWeight, 0.5, byWeight);
    assertTrue(Files.size(hybrid.resolve("quality-vs-document-terms.png")) > 1000);
    assertTrue(Files.size(hybrid.resolve("quality-vs-overlap.png")) > 1000);
    // Without a hold-out the fusion weight would be chosen on the evaluated queries: refused.
    var refused = new picocli.CommandLine(new dev.prosper.training.EvaluateCommand());
    java.io.StringWriter refusal = new java.io.StringWriter();
    refused.setErr(new java.io.PrintWriter(refusal, true));
    refused.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
    refused.setExecutionExceptionHandler(
        (e, commandLine, parsed) -> {
          commandLine.getErr().println(e.getMessage());
          return 1;
        });
    assertEquals(
        1,
        refused.execute(
            "--data",
            data.toString(),
            "--min-grade",
            "3",
            "--model",
            "trained=" + result.artefact(),
            "--hybrid",
            "--baselines",
            "none",
            "--output",
            directory.resolve("refused").toString()));
    assertTrue(refusal.toString().contains("[--holdout-percent] is needed"), refusal.toString());
    // Without --query-top-k, queries keep the artefact's served size, as the plugin serves them.
    Path served = directory.resolve("eval-served");
    evaluate(data, result.artefact(), served, "--baselines", "none");
    var servedRow =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(served.resolve("report.json").toFile())
            .path("results")
            .path("trained");
    double queryTerms = servedRow.path("mean query terms").asDouble();
    assertTrue(
        queryTerms > HeadConfig.DEFAULT.queryTopK() / 2.0
            && queryTerms <= HeadConfig.DEFAULT.queryTopK(),
        servedRow.toString());
  }

  /**
   * Runs {@code evaluate} on the sample data (positives grade >= 3) with the artefact "trained".
   */
  private static void evaluate(Path data, Path artefact, Path output, String... options) {
    List<String> arguments = new java.util.ArrayList<>();
    arguments.addAll(
        List.of(
            "--data",
            data.toString(),
            "--min-grade",
            "3",
            "--model",
            "trained=" + artefact,
            "--output",
            output.toString()));
    arguments.addAll(List.of(options));
    var commandLine = new picocli.CommandLine(new dev.prosper.training.EvaluateCommand());
    commandLine.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
    java.io.StringWriter err = new java.io.StringWriter();
    commandLine.setErr(new java.io.PrintWriter(err, true));
    assertEquals(0, commandLine.execute(arguments.toArray(String[]::new)), err.toString());
  }

  @Test
  void lossFallsOnABatch() throws Exception {
    Dataset data = SampleCatalogue.generate(200, 40, 5).toDataset();
    List<Batches.Pair> batch =
        Batches.epoch(data, List.copyOf(data.queries().keySet()), 3, 8, 1, 0).get(0);
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 1)) {
      model.parameters().forEach((name, array) -> array.setRequiresGradient(true));
      AdamW optimizer = new AdamW(model.parameters());
      double first = 0;
      double last = 0;
      for (int step = 0; step < 6; step++) {
        Objective.StepFigures figures =
            Objective.forwardBackward(model, batch, 256, 512, Objective.Weights.flops(0, 0));
        optimizer.step(1e-4, 0.1, 1.0);
        if (step == 0) {
          first = figures.rankLoss();
        }
        last = figures.rankLoss();
      }
      assertTrue(last < first * 0.8, "rank loss " + first + " -> " + last);
    }
  }

  @Test
  void batchesNeverRepeatAProductOrAQuery() throws Exception {
    Dataset data = SampleCatalogue.generate(50, 300, 11).toDataset();
    List<List<Batches.Pair>> batches =
        Batches.epoch(data, List.copyOf(data.queries().keySet()), 1, 16, 2, 0);
    int pairs = 0;
    for (List<Batches.Pair> batch : batches) {
      Set<String> products = new HashSet<>();
      Set<String> queries = new HashSet<>();
      for (Batches.Pair pair : batch) {
        assertTrue(products.add(pair.productId()), "product twice in a batch");
        assertTrue(queries.add(pair.query()), "query twice in a batch");
      }
      pairs += batch.size();
    }
    assertTrue(pairs > 250, "pairs " + pairs);
    assertEquals(
        batches,
        Batches.epoch(data, List.copyOf(data.queries().keySet()), 1, 16, 2, 0),
        "same seed");
  }

  private static void copyTree(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(file.getFileName()));
      }
    }
  }
}
