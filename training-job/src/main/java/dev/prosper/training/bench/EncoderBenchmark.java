package dev.prosper.training.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.backbone.BertConfig;
import dev.prosper.encoder.backbone.Qwen2Config;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.Devices;
import dev.prosper.encoder.model.Precision;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.model.QueryRuntime;
import dev.prosper.encoder.tokenizer.TokenBatch;
import dev.prosper.training.data.SampleCatalogue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Encoder speed on this machine: batched document throughput, single-query latency and peak memory
 * per backbone, next to the machine's float32 GEMM rate measured in the same run, so throughput is
 * reported as a fraction of what the hardware allows for the model's FLOPs.
 */
@Command(
    name = "benchmark-encoder",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description =
        "Measures PROSPER encoding speed: document throughput (batched), query latency (one text at a time) and peak memory, against the GEMM rate of this machine measured in the same run.")
public final class EncoderBenchmark implements Callable<Integer> {

  @Option(
      names = "--backbones",
      split = ",",
      description = "Backbones to measure (short names or checkpoint directories).")
  List<String> backbones = List.of("minilm-l6", "bge-small-zh");

  @Option(names = "--documents", description = "Titles encoded for the throughput figure.")
  int documents = 1024;

  @Option(names = "--batch-size", description = "Texts per forward pass for documents.")
  int batchSize = 64;

  @Option(names = "--queries", description = "Single-query encodings for the latency figure.")
  int queries = 200;

  @Option(
      names = "--query-threads",
      description =
          "PyTorch intra-op threads for the single-query figures (the node's prosper.query.threads;"
              + " 0: as many as the documents use).")
  int queryThreads = 1;

  @Option(
      names = "--query-precisions",
      split = ",",
      description =
          "Query precisions measured side by side (float32; float16: the vocabulary projections"
              + " in half precision; int8: in 7-bit integers with one scale per term, in ONNX"
              + " Runtime; the node's prosper.query.precision).")
  List<String> queryPrecisions = List.of("float32", "float16", "int8");

  @Option(
      names = "--query-runtimes",
      split = ",",
      description =
          "Query backbone runtimes measured side by side, each with every query precision"
              + " (pytorch: eager DJL; onnx: the backbone as an ONNX graph in ONNX Runtime, for BERT"
              + " backbones with last pooling).")
  List<String> queryRuntimes = List.of("pytorch", "onnx");

  @Option(names = "--gemm-size", description = "Side of the square matrices of the GEMM probe.")
  int gemmSize = 2048;

  @Option(names = "--json", description = "Also write the figures as JSON to this file.")
  Path json;

  @Override
  public Integer call() throws Exception {
    SampleCatalogue catalogue = SampleCatalogue.generate(documents + queries, queries, 1);
    List<String> titles =
        catalogue.products().stream().limit(documents).map(SampleCatalogue.Product::title).toList();
    List<String> queryTexts =
        catalogue.queries().stream().map(SampleCatalogue.Query::text).toList();
    double gemm = gemmFlopsPerSecond(gemmSize);
    System.out.printf(
        Locale.ROOT,
        "GEMM probe (%dx%d float32 through DJL): %.1f GFLOP/s%n",
        gemmSize,
        gemmSize,
        gemm / 1e9);
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode report = mapper.createObjectNode();
    report.put("gemm_gflops", gemm / 1e9);
    report.put("threads", Runtime.getRuntime().availableProcessors());
    ArrayNode rows = report.putArray("backbones");
    StringBuilder table = new StringBuilder();
    StringBuilder breakdowns = new StringBuilder();
    List<Precision> precisions =
        queryPrecisions.stream().map(p -> Precision.of("--query-precisions", p)).toList();
    table
        .append("| backbone | mean tokens/title | docs/s (batch ")
        .append(batchSize)
        .append(") | GFLOP/doc | limit docs/s | fraction of limit |");
    StringBuilder rule = new StringBuilder("|---|---|---|---|---|---|");
    List<QueryRuntime> runtimes =
        queryRuntimes.stream().map(r -> QueryRuntime.of("--query-runtimes", r)).toList();
    for (QueryRuntime runtime : runtimes) {
      for (Precision precision : precisions) {
        table
            .append(" query p50/p99 ms (")
            .append(runtime.id())
            .append(", ")
            .append(precision.id())
            .append(") |");
        rule.append("---|");
      }
    }
    table.append(" peak RSS MiB |\n").append(rule).append("---|\n");
    for (String backbone : backbones) {
      try (ProsperModel model = Backbones.load(backbone, HeadConfig.DEFAULT, Device.cpu(), 1)) {
        model.setBatchSize(batchSize);
        TokenBatch tokens = model.tokenize(titles);
        double meanTokens =
            java.util.stream.IntStream.range(0, tokens.size())
                .map(tokens::length)
                .average()
                .orElse(0);
        model.encode(titles.subList(0, Math.min(titles.size(), 2 * batchSize)), Mode.DOCUMENT);
        long start = System.nanoTime();
        model.encode(titles, Mode.DOCUMENT);
        double docsPerSecond = titles.size() / ((System.nanoTime() - start) / 1e9);
        double flops = flopsPerText(model, meanTokens);
        double limit = gemm / flops;
        model.setBatchSize(1);
        ObjectNode row = rows.addObject();
        table.append(
            String.format(
                Locale.ROOT,
                "| %s | %.1f | %.1f | %.3f | %.1f | %.0f %% |",
                backbone,
                meanTokens,
                docsPerSecond,
                flops / 1e9,
                limit,
                100 * docsPerSecond / limit));
        for (QueryRuntime runtime : runtimes) {
          model.setQueryRuntime(runtime, queryThreads);
          for (Precision precision : precisions) {
            if (model.queryRuntime() != runtime) {
              // This backbone keeps PyTorch: nothing new to measure in the column.
              table.append(" – |");
              continue;
            }
            model.setQueryPrecision(precision);
            String name = runtime.id() + ", " + precision.id();
            Map<String, Long> stages = new LinkedHashMap<>();
            double[] latencies = queryLatencies(model, queryTexts, stages);
            breakdowns.append(breakdown(backbone + ", " + name, stages, latencies));
            Arrays.sort(latencies);
            double p50 = percentile(latencies, 50);
            double p99 = percentile(latencies, 99);
            table.append(String.format(Locale.ROOT, " %.1f / %.1f |", p50, p99));
            String suffix =
                (runtime == QueryRuntime.PYTORCH ? "" : "_" + runtime.id())
                    + (precision == Precision.FLOAT32 ? "" : "_" + precision.id());
            row.put("query_p50_ms" + suffix, p50);
            row.put("query_p99_ms" + suffix, p99);
          }
        }
        model.setQueryRuntime(QueryRuntime.PYTORCH, 1);
        double rss = peakRssMiB();
        table.append(String.format(Locale.ROOT, " %.0f |%n", rss));
        row.put("backbone", backbone);
        row.put("mean_tokens_per_title", meanTokens);
        row.put("documents_per_second", docsPerSecond);
        row.put("gflop_per_document", flops / 1e9);
        row.put("limit_documents_per_second", limit);
        row.put("fraction_of_limit", docsPerSecond / limit);
        row.put("peak_rss_mib", rss);
      }
    }
    System.out.print(table);
    System.out.print(breakdowns);
    if (json != null) {
      Files.createDirectories(json.toAbsolutePath().getParent());
      mapper.writeValue(json.toFile(), report);
      System.out.println("wrote " + json);
    }
    return 0;
  }

  /**
   * Each query encoded alone on {@code --query-threads} threads after 20 warm-up encodings: the ms
   * of each, with the stage times summed into {@code stages}.
   */
  private double[] queryLatencies(
      ProsperModel model, List<String> queryTexts, Map<String, Long> stages) {
    double[] latencies = new double[queryTexts.size()];
    Devices.intraOpThreads(queryThreads);
    try {
      for (int i = 0; i < 20; i++) {
        model.encode(List.of(queryTexts.get(i % queryTexts.size())), Mode.QUERY);
      }
      // The measured encodings also time their stages, for the breakdown.
      model.setStages((stage, took) -> stages.merge(stage, took, Long::sum));
      for (int i = 0; i < queryTexts.size(); i++) {
        long t = System.nanoTime();
        model.encode(List.of(queryTexts.get(i)), Mode.QUERY);
        latencies[i] = (System.nanoTime() - t) / 1e6;
      }
    } finally {
      model.setStages(null);
      Devices.intraOpThreads(0);
    }
    return latencies;
  }

  /**
   * Where one query's encoding time goes: each stage of {@link ProsperModel#encode} ({@link
   * ProsperModel.Stages}) summed over the measured queries, as a Markdown table of the mean per
   * query and the share of their whole time.
   *
   * @param latencies each query's time in ms
   */
  static String breakdown(String backbone, Map<String, Long> nanos, double[] latencies) {
    int queries = latencies.length;
    double total = Arrays.stream(latencies).sum() * 1e6;
    StringBuilder table =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%nOne query's encoding, %s (mean of %d queries, %.2f ms each):%n%n"
                    + "| stage | mean ms | share |%n|---|---:|---:|%n",
                backbone,
                queries,
                total / queries / 1e6));
    long staged = 0;
    for (Map.Entry<String, Long> stage : nanos.entrySet()) {
      staged += stage.getValue();
      table.append(row(stage.getKey(), stage.getValue(), queries, total));
    }
    table.append(row("(between stages)", (long) total - staged, queries, total));
    return table.toString();
  }

  private static String row(String stage, long nanos, int queries, double total) {
    return String.format(
        Locale.ROOT,
        "| %s | %.3f | %.0f %% |%n",
        stage,
        nanos / 1e6 / queries,
        100 * nanos / total);
  }

  /**
   * Multiply-adds of one text of {@code tokens} tokens through the backbone (projections, attention
   * scores and mixing, MLP) plus the vocabulary projections of last pooling (LM head and LRN at one
   * position), times two.
   */
  static double flopsPerText(ProsperModel model, double tokens) {
    double h = model.config().hiddenSize();
    double v = model.config().vocabSize();
    double layers;
    double perToken;
    if (model.config() instanceof BertConfig bert) {
      layers = bert.layers();
      perToken = 4 * h * h + 2 * h * bert.intermediateSize();
    } else {
      Qwen2Config qwen = (Qwen2Config) model.config();
      layers = qwen.layers();
      double kv = (double) qwen.keyValueHeads() * qwen.headSize();
      perToken = 2 * h * h + 2 * h * kv + 3 * h * qwen.intermediateSize();
    }
    double attention = 2 * tokens * tokens * h;
    double head =
        model.head().pooling() == HeadConfig.Pooling.LAST ? 2 * h * v : (1 + tokens) * h * v;
    return 2 * (layers * (tokens * perToken + attention) + head);
  }

  static double gemmFlopsPerSecond(int n) {
    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      NDArray a = manager.randomNormal(new Shape(n, n));
      NDArray b = manager.randomNormal(new Shape(n, n));
      for (int i = 0; i < 2; i++) {
        a.matMul(b).close();
      }
      List<Double> rates = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        long start = System.nanoTime();
        NDArray c = a.matMul(b);
        c.getFloat(0, 0);
        double seconds = (System.nanoTime() - start) / 1e9;
        c.close();
        rates.add(2.0 * n * n * n / seconds);
      }
      return rates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }
  }

  static double percentile(double[] sorted, double p) {
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** The process's peak resident set (VmHWM), JVM heap and native libtorch memory together. */
  public static double peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
