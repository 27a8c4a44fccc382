package dev.prosper.training.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.model.Devices;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.training.Progress;
import dev.prosper.training.data.Dataset;
import dev.prosper.training.eval.QuerySetOptions;
import dev.prosper.training.eval.RankingMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * PROSPER against BM25 on a running OpenSearch node: ingest through the {@code prosper} pipeline,
 * search with {@code prosper_sparse} ({@code query_text} and {@code query_tokens}) and with a BM25
 * {@code match} on the same titles ({@code english} analyzer), and report quality, latency, ingest
 * throughput and index size.
 */
@Command(
    name = "benchmark-node",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    description = {
      "Benchmarks PROSPER against BM25 on a running node with the plugin and a registered model.",
      "Writes report.md, report.json, latency.png and quality.png to --output."
    })
public final class NodeBenchmark implements Callable<Integer> {

  @Mixin NodeOptions node;

  @Mixin QuerySetOptions querySet;

  @Option(names = "--index", description = "Index to (re)create; deleted and rebuilt each run.")
  String index = "prosper-bench";

  @Option(
      names = "--batch-size",
      description =
          "The pipeline's batch_size: documents of a bulk sent to the encoder together (it runs"
              + " them in forward passes of prosper.encode.batch_size, texts of similar length"
              + " together).")
  int batchSize = 256;

  @Option(
      names = "--encode-batch-size",
      description =
          "Forward-pass batch of the raw measurement: the node's prosper.encode.batch_size.")
  int encodeBatchSize = 32;

  @Option(names = "--bulk-size", description = "Documents per _bulk request.")
  int bulkSize = 256;

  @Option(names = "--clients", description = "Concurrent _bulk connections while ingesting.")
  int clients = 1;

  @Option(names = "--top-k", description = "Query terms kept (0: the artefact's query_top_k).")
  int topK = 0;

  @Option(
      names = "--artefact",
      description =
          "The registered artefact, loaded here to measure raw batch encoding of the same titles"
              + " (for the ingest/raw throughput ratio); omit to skip.")
  Path artefact;

  @Option(
      names = "--hybrid-weight",
      description =
          "Boost of the prosper_sparse clause in the hybrid query, a bool of a BM25 match and"
              + " prosper_sparse (query_text) should clauses (evaluate --hybrid chooses it; 0: no"
              + " hybrid row).")
  double hybridWeight = 1.0;

  @Option(
      names = "--zipf-queries",
      description =
          "Searches of the Zipf-distributed query mix (P(rank r) ∝ 1/r over the query set),"
              + " measured after one unmeasured pass warms the node's query cache (0: skip).")
  int zipfQueries = 1000;

  @Option(names = "--raw-sample", description = "Titles encoded for the raw throughput.")
  int rawSample = 2048;

  @Option(names = "--output", required = true, description = "Report directory.")
  Path output;

  private static final ObjectMapper JSON = NodeClient.JSON;
  private NodeClient client;

  private JsonNode call(String method, String path, String body) throws IOException {
    return client.call(method, path, body);
  }

  private boolean exists(String path) throws IOException {
    return client.exists(path);
  }

  @Override
  public Integer call() throws Exception {
    if (!(hybridWeight >= 0) || Double.isInfinite(hybridWeight)) {
      throw new IllegalArgumentException(
          "[--hybrid-weight] must be 0 (no hybrid) or a positive number, got " + hybridWeight);
    }
    client = new NodeClient(node.url);
    String url = node.url;
    String modelId = node.modelId;
    QuerySetOptions.QuerySet set = querySet.load();
    Dataset dataset = set.dataset();
    double minGrade = querySet.minGrade;
    JsonNode model;
    try {
      model = call("GET", "/_plugins/prosper/models/" + modelId, null).path("models").path(modelId);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "[--model-id] " + modelId + " is not registered on " + url + ": " + e.getMessage());
    }
    System.err.printf(
        Locale.ROOT,
        "benchmarking model [%s] on %s: %d products, %d queries (%s)%n",
        modelId,
        url,
        dataset.products().size(),
        set.texts().size(),
        dataset.description());

    ObjectNode report = JSON.createObjectNode();
    report.put("url", url);
    report.put("model_id", modelId);
    report.put("model_path", model.path("path").asText());
    report.put("dataset", dataset.description());
    report.put("products", dataset.products().size());
    report.put("queries", set.texts().size());
    report.put("min_grade", minGrade);

    double ingestRate = ingest(dataset);
    report.put("ingest_docs_per_s", ingestRate);
    if (artefact != null) {
      double raw = rawThroughput(dataset);
      report.put("raw_encode_docs_per_s", raw);
      report.put("ingest_to_raw_ratio", ingestRate / raw);
    }
    report.set("index_size_bytes", indexSizes());

    List<String> texts = set.texts();
    List<Map<String, Double>> judgements = set.judgements();
    List<String> tokenBodies = queryTokenBodies(texts);
    Map<String, List<Double>> latencies = latencies(texts, tokenBodies, dataset.products());
    ObjectNode latency = report.putObject("latency_ms");
    latencies.forEach(
        (type, values) -> {
          ObjectNode node = latency.putObject(type);
          node.put("p50", percentile(values, 50));
          node.put("p99", percentile(values, 99));
          node.put("mean", values.stream().mapToDouble(Double::doubleValue).average().orElse(0));
        });
    Map<String, Map<String, Double>> quality = new LinkedHashMap<>();
    quality.put(
        "PROSPER (prosper_sparse, query_text)",
        RankingMetrics.compute(
            rankings(texts, this::prosperBody, "prosper"), judgements, minGrade));
    quality.put(
        "BM25 (match, english analyzer)",
        RankingMetrics.compute(rankings(texts, this::bm25Body, "bm25"), judgements, minGrade));
    if (hybridWeight > 0) {
      quality.put(
          hybridLabel(),
          RankingMetrics.compute(
              rankings(texts, this::hybridBody, "hybrid"), judgements, minGrade));
    }
    report.put("node_query_encode_ms_mean", nodeQueryEncodeMs);
    report.set("quality", JSON.valueToTree(quality));
    write(report, quality, latencies);
    return 0;
  }

  private String pipeline() {
    return index + "-pipeline";
  }

  private double ingest(Dataset dataset) throws IOException {
    client.createProductIndex(index, pipeline(), node.modelId, batchSize);
    call("PUT", "/" + index + "/_settings", "{\"index\":{\"refresh_interval\":\"-1\"}}");
    long start = System.nanoTime();
    long failures = client.bulkIndex(index, dataset.products(), bulkSize, clients);
    double seconds = (System.nanoTime() - start) / 1e9;
    call("PUT", "/" + index + "/_settings", "{\"index\":{\"refresh_interval\":\"1s\"}}");
    mergeToOneSegment(index);
    int total = dataset.products().size();
    if (failures > 0) {
      System.err.printf(Locale.ROOT, "%d of %d documents failed to index%n", failures, total);
    }
    double rate = (total - failures) / seconds;
    System.err.printf(
        Locale.ROOT, "ingest: %d documents in %.1f s, %.1f docs/s%n", total, seconds, rate);
    return rate;
  }

  /**
   * Makes every indexed document searchable, then force-merges to one segment and commits, so that
   * the segment files are the whole index.
   */
  private void mergeToOneSegment(String name) throws IOException {
    call("POST", "/" + name + "/_refresh", null);
    call("POST", "/" + name + "/_forcemerge?max_num_segments=1", null);
    call("POST", "/" + name + "/_flush", null);
    call("POST", "/" + name + "/_refresh", null);
  }

  private double rawThroughput(Dataset dataset) throws IOException {
    List<String> titles = new ArrayList<>(dataset.products().values());
    titles = titles.subList(0, Math.min(rawSample, titles.size()));
    try (ProsperModel model = Artefact.load(artefact, Devices.resolve("auto"))) {
      model.setBatchSize(encodeBatchSize);
      model.encode(titles.subList(0, Math.min(64, titles.size())), Mode.DOCUMENT); // warm-up
      long start = System.nanoTime();
      model.encode(titles, Mode.DOCUMENT);
      double rate = titles.size() / ((System.nanoTime() - start) / 1e9);
      System.err.printf(
          Locale.ROOT, "raw batch encoding (batch %d): %.1f docs/s%n", encodeBatchSize, rate);
      return rate;
    }
  }

  /** Stored fields: {@code _source}, {@code _id} and, with source disabled, the recovery source. */
  private static final Set<String> STORED_FIELD_FILES = Set.of("fdt", "fdx", "fdm");

  /**
   * What the sparse field and the text field each add to an index's searchable structures. Each
   * field is copied alone into an index of one segment, and so are the documents' ids with no field
   * (the baseline every copy shares: {@code _id}, sequence numbers). A field's size is its copy's
   * segment files minus the baseline's, both without stored fields: with {@code _source} disabled
   * OpenSearch still stores each document's JSON as a recovery source, which a later merge drops
   * only once the shard's retention leases have moved past it, and which would count the JSON of
   * the weights, not the index. Sizes come from the segments' file sizes, not {@code _stats/store},
   * whose size is cached for {@code index.store.stats_refresh_interval} (10 s) and so can miss a
   * just-merged segment.
   */
  private ObjectNode indexSizes() throws IOException {
    ObjectNode sizes = JSON.createObjectNode();
    // The documents the index holds (a bulk failure leaves out the documents that failed).
    long documents = call("GET", "/" + index + "/_count", null).path("count").asLong();
    Map<String, String> mappings = new LinkedHashMap<>();
    mappings.put("ids", "\"dynamic\":false,\"properties\":{}");
    mappings.put("title_sparse", "\"properties\":{\"title_sparse\":{\"type\":\"rank_features\"}}");
    mappings.put(
        "title", "\"properties\":{\"title\":{\"type\":\"text\",\"analyzer\":\"english\"}}");
    Map<String, Long> searchable = new LinkedHashMap<>();
    for (Map.Entry<String, String> field : mappings.entrySet()) {
      String copy = index + "-size-" + field.getKey().replace('_', '-');
      if (exists("/" + copy)) {
        call("DELETE", "/" + copy, null);
      }
      call(
          "PUT",
          "/" + copy,
          "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},\"mappings\":{"
              + "\"_source\":{\"enabled\":false},"
              + field.getValue()
              + "}}");
      client.copyField(index, copy, field.getKey().equals("ids") ? "title" : field.getKey());
      mergeToOneSegment(copy);
      long count = call("GET", "/" + copy + "/_count", null).path("count").asLong();
      if (count != documents) {
        throw new IOException(
            "copying [" + field.getKey() + "] gave " + count + " documents, not " + documents);
      }
      searchable.put(field.getKey(), segmentFileBytes(copy).searchable());
      call("DELETE", "/" + copy, null);
    }
    long baseline = searchable.get("ids");
    for (String field : List.of("title_sparse", "title")) {
      long bytes = searchable.get(field) - baseline;
      if (bytes <= 0) {
        throw new IOException(
            "the ["
                + field
                + "] copy ("
                + searchable.get(field)
                + " bytes) is no larger than the ids alone ("
                + baseline
                + " bytes): its size was not measured");
      }
      sizes.put(field, bytes);
    }
    sizes.put("ids_baseline", baseline);
    SegmentBytes whole = segmentFileBytes(index);
    sizes.put("whole_index", whole.all());
    sizes.put("whole_index_searchable", whole.searchable());
    return sizes;
  }

  /** The bytes of an index's segment files, and of its stored fields among them. */
  private record SegmentBytes(long all, long stored) {
    long searchable() {
      return all - stored;
    }
  }

  private SegmentBytes segmentFileBytes(String name) throws IOException {
    JsonNode files =
        call("GET", "/" + name + "/_stats/segments?include_segment_file_sizes=true", null)
            .path("_all")
            .path("primaries")
            .path("segments")
            .path("file_sizes");
    if (files.isEmpty()) {
      throw new IOException("[" + name + "] reports no segment files");
    }
    long all = 0;
    long stored = 0;
    for (Map.Entry<String, JsonNode> file : files.properties()) {
      long bytes = file.getValue().path("size_in_bytes").asLong();
      all += bytes;
      if (STORED_FIELD_FILES.contains(file.getKey())) {
        stored += bytes;
      }
    }
    return new SegmentBytes(all, stored);
  }

  private String topK() {
    return topK > 0 ? ",\"top_k\":" + topK : "";
  }

  private String prosperBody(String text) throws IOException {
    return NodeClient.prosperQuery(node.modelId, text, topK);
  }

  private String bm25Body(String text) throws IOException {
    return NodeClient.bm25Query(text);
  }

  private String hybridLabel() {
    return String.format(
        Locale.ROOT, "hybrid (bool: match + prosper_sparse boost %s)", hybridWeight);
  }

  /** BM25 + w x PROSPER on the node: a bool of the two clauses, the PROSPER one boosted. */
  private String hybridBody(String text) throws IOException {
    String quoted = JSON.writeValueAsString(text);
    return "{\"query\":{\"bool\":{\"should\":[{\"match\":{\"title\":"
        + quoted
        + "}},{\"prosper_sparse\":{\"title_sparse\":{\"query_text\":"
        + quoted
        + ",\"model_id\":"
        + JSON.writeValueAsString(node.modelId)
        + topK()
        + ",\"boost\":"
        + hybridWeight
        + "}}}]}}}";
  }

  /** The encoded query of each text, as a query_tokens search body (encoded once, not timed). */
  private List<String> queryTokenBodies(List<String> texts) throws IOException {
    List<String> bodies = new ArrayList<>(texts.size());
    try (ProgressBar bar = Progress.bar("encode queries", texts.size(), System.err)) {
      for (int from = 0; from < texts.size(); from += 100) {
        List<String> chunk = texts.subList(from, Math.min(texts.size(), from + 100));
        JsonNode encoded =
            call(
                "POST",
                "/_plugins/prosper/models/" + node.modelId + "/_encode",
                "{\"mode\":\"query\",\"texts\":" + JSON.writeValueAsString(chunk) + topK() + "}");
        for (JsonNode result : encoded.path("results")) {
          ObjectNode tokens = JSON.createObjectNode();
          for (JsonNode term : result.path("terms")) {
            tokens.put(term.path("term").asText(), term.path("weight").floatValue());
          }
          bodies.add(
              tokens.isEmpty()
                  ? "{\"query\":{\"match_none\":{}}}"
                  : "{\"query\":{\"prosper_sparse\":{\"title_sparse\":{\"query_tokens\":"
                      + JSON.writeValueAsString(tokens)
                      + "}}}}");
        }
        bar.stepBy(chunk.size());
      }
    }
    return bodies;
  }

  private interface Body {
    String of(String text) throws IOException;
  }

  /**
   * Client-side latency of a top-10 search. The query texts are split in three (every third text),
   * so that no row is helped by the node's query cache: the first third measures query_text,
   * query_tokens and BM25 interleaved per query, the second the hybrid query, the third query_text
   * while bulk ingest runs into a second index. Then a Zipf-distributed mix (the head queries
   * repeat, as a shop's search box does) measures query_text with the cache warm beside
   * query_tokens.
   */
  private Map<String, List<Double>> latencies(
      List<String> texts, List<String> tokenBodies, Map<String, String> products)
      throws IOException {
    Map<String, List<Double>> latencies = new LinkedHashMap<>();
    List<Integer> first = new ArrayList<>();
    List<Integer> second = new ArrayList<>();
    List<Integer> third = new ArrayList<>();
    for (int q = 0; q < texts.size(); q++) {
      (q % 3 == 0 ? first : q % 3 == 1 ? second : third).add(q);
    }
    String search = "/" + index + "/_search?size=10&_source=false&request_cache=false";
    // JIT and connection warm-up on BM25 and query_tokens only (no query text gets cached).
    for (int i = 0; i < Math.min(20, texts.size()); i++) {
      call("POST", search, bm25Body(texts.get(i)));
      call("POST", search, tokenBodies.get(i));
    }
    String text = "prosper_sparse query_text (distinct)";
    String tokens = "prosper_sparse query_tokens";
    String bm25 = "BM25 match";
    latencies.put(text, new ArrayList<>());
    latencies.put(tokens, new ArrayList<>());
    latencies.put(bm25, new ArrayList<>());
    String[] encoded = {"/encode_time_in_millis", "/texts_encoded"};
    long[] encodedBefore = statsTotals(encoded);
    try (ProgressBar bar = Progress.bar("latency", first.size(), System.err)) {
      for (int q : first) {
        latencies.get(text).add(timed(search, prosperBody(texts.get(q))));
        latencies.get(tokens).add(timed(search, tokenBodies.get(q)));
        latencies.get(bm25).add(timed(search, bm25Body(texts.get(q))));
        bar.step();
      }
    }
    long[] encodedAfter = statsTotals(encoded);
    nodeQueryEncodeMs =
        (encodedAfter[0] - encodedBefore[0])
            / (double) Math.max(1, encodedAfter[1] - encodedBefore[1]);
    if (hybridWeight > 0) {
      List<Double> hybrid = new ArrayList<>();
      latencies.put("hybrid bool (match + prosper_sparse query_text, distinct)", hybrid);
      for (int q : second) {
        hybrid.add(timed(search, hybridBody(texts.get(q))));
      }
    }
    latencies.put(
        "prosper_sparse query_text (distinct) during bulk ingest",
        duringIngest(search, texts, third, products));
    if (zipfQueries > 0) {
      List<Integer> draws = zipf(texts.size(), zipfQueries, 11);
      List<Double> warmText = new ArrayList<>();
      List<Double> mixTokens = new ArrayList<>();
      long hitsBefore = statsTotals("/query_cache/hits")[0];
      // One unmeasured pass warms the cache, as a running shop's would be; then a new draw.
      for (int q : zipf(texts.size(), zipfQueries, 7)) {
        call("POST", search, prosperBody(texts.get(q)));
      }
      try (ProgressBar bar = Progress.bar("latency (Zipf mix)", draws.size(), System.err)) {
        for (int q : draws) {
          warmText.add(timed(search, prosperBody(texts.get(q))));
          mixTokens.add(timed(search, tokenBodies.get(q)));
          bar.step();
        }
      }
      System.err.printf(
          Locale.ROOT,
          "Zipf mix: %d queries over %d distinct texts; query cache hits during both passes: %d%n",
          draws.size(),
          new java.util.HashSet<>(draws).size(),
          statsTotals("/query_cache/hits")[0] - hitsBefore);
      latencies.put("prosper_sparse query_text (Zipf mix, cache warm)", warmText);
      latencies.put("prosper_sparse query_tokens (Zipf mix)", mixTokens);
    }
    return latencies;
  }

  private double timed(String path, String body) throws IOException {
    return client.timedMillis(path, body);
  }

  /** Mean time the node spent encoding one distinct query text (its stats), for the report. */
  private double nodeQueryEncodeMs = Double.NaN;

  /**
   * Counters of {@code _plugins/prosper/stats}, each summed over nodes, one per JSON pointer into a
   * node's stats ({@code /texts_encoded}, {@code /query_cache/hits}).
   */
  private long[] statsTotals(String... pointers) throws IOException {
    long[] totals = new long[pointers.length];
    for (JsonNode node : call("GET", "/_plugins/prosper/stats", null).path("nodes")) {
      for (int i = 0; i < pointers.length; i++) {
        totals[i] += node.at(pointers[i]).asLong();
      }
    }
    return totals;
  }

  /**
   * query_text latency of the given texts while {@code --clients} bulk clients index the products
   * into a second index through the pipeline (in rounds of 2,000 until the searches are done).
   */
  private List<Double> duringIngest(
      String search, List<String> texts, List<Integer> queries, Map<String, String> catalogue)
      throws IOException {
    String busy = index + "-busy";
    client.createProductIndex(busy, busy + "-pipeline", node.modelId, batchSize);
    List<Map.Entry<String, String>> products = new ArrayList<>(catalogue.entrySet());
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong indexed = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicReference<IOException> failed =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread ingest =
        new Thread(
            () -> {
              int from = 0;
              while (!stop.get()) {
                Map<String, String> chunk = new LinkedHashMap<>();
                for (int i = 0; i < 2000; i++) {
                  Map.Entry<String, String> e = products.get((from + i) % products.size());
                  chunk.put(e.getKey(), e.getValue());
                }
                from += 2000;
                try {
                  client.bulkIndex(busy, chunk, bulkSize, clients);
                  indexed.addAndGet(chunk.size());
                } catch (IOException e) {
                  failed.set(e);
                  return;
                }
              }
            },
            "bulk-while-searching");
    ingest.start();
    List<Double> values = new ArrayList<>();
    long started = System.nanoTime();
    try {
      // Let the first bulks reach the encoder before measuring.
      Thread.sleep(2000);
      try (ProgressBar bar = Progress.bar("latency during ingest", queries.size(), System.err)) {
        for (int q : queries) {
          values.add(timed(search, prosperBody(texts.get(q))));
          bar.step();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      stop.set(true);
      try {
        ingest.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      call("DELETE", "/" + busy, null);
    }
    if (failed.get() != null) {
      // Searches after the ingest stopped would not be "during ingest": no figure.
      throw new IOException("bulk ingest during the searches failed", failed.get());
    }
    System.err.printf(
        Locale.ROOT,
        "during ingest: %d searches while %d documents were indexed in %.1f s%n",
        values.size(),
        indexed.get(),
        (System.nanoTime() - started) / 1e9);
    return values;
  }

  /** {@code count} draws of query indexes, P(rank r) ∝ 1/r over a seeded order of the queries. */
  static List<Integer> zipf(int queries, int count, long seed) {
    List<Integer> order = new ArrayList<>();
    for (int q = 0; q < queries; q++) {
      order.add(q);
    }
    java.util.Collections.shuffle(order, new java.util.Random(seed));
    double[] cumulative = new double[queries];
    double sum = 0;
    for (int r = 0; r < queries; r++) {
      sum += 1.0 / (r + 1);
      cumulative[r] = sum;
    }
    java.util.Random random = new java.util.Random(seed + 1);
    List<Integer> draws = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      double u = random.nextDouble() * sum;
      int r = Arrays.binarySearch(cumulative, u);
      r = r >= 0 ? r : -r - 1;
      draws.add(order.get(Math.min(r, queries - 1)));
    }
    return draws;
  }

  private List<List<String>> rankings(List<String> texts, Body body, String label)
      throws IOException {
    List<List<String>> rankings = new ArrayList<>(texts.size());
    try (ProgressBar bar = Progress.bar("rank " + label, texts.size(), System.err)) {
      for (String text : texts) {
        JsonNode hits =
            call("POST", "/" + index + "/_search?size=1000&_source=false", body.of(text))
                .path("hits")
                .path("hits");
        List<String> ids = new ArrayList<>(hits.size());
        for (JsonNode hit : hits) {
          ids.add(hit.path("_id").asText());
        }
        rankings.add(ids);
        bar.step();
      }
    }
    return rankings;
  }

  static double percentile(List<Double> values, int p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
  }

  private void write(
      ObjectNode report,
      Map<String, Map<String, Double>> quality,
      Map<String, List<Double>> latencies)
      throws IOException {
    Files.createDirectories(output);
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(output.resolve("report.json").toFile(), report);
    List<String> columns = RankingMetrics.NAMES;
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "Model [%s] on %s; %d products, %d queries, positives grade >= %s (%s)%n%n",
            node.modelId,
            node.url,
            report.path("products").asInt(),
            report.path("queries").asInt(),
            querySet.minGrade,
            report.path("dataset").asText()));
    md.append(RankingMetrics.markdownTable(quality, columns));
    md.append("\n| query type | p50 ms | p99 ms | mean ms |\n|---|---:|---:|---:|\n");
    report
        .path("latency_ms")
        .fields()
        .forEachRemaining(
            e ->
                md.append(
                    String.format(
                        Locale.ROOT,
                        "| %s | %.1f | %.1f | %.1f |%n",
                        e.getKey(),
                        e.getValue().path("p50").asDouble(),
                        e.getValue().path("p99").asDouble(),
                        e.getValue().path("mean").asDouble())));
    JsonNode means = report.path("latency_ms");
    double gap =
        means.path("prosper_sparse query_text (distinct)").path("mean").asDouble()
            - means.path("prosper_sparse query_tokens").path("mean").asDouble();
    md.append(
        String.format(
            Locale.ROOT,
            "%nWhere query_text's extra time goes (means): query_text − query_tokens %.1f ms, of"
                + " which the node's own encoding (its stats) %.1f ms; the other %.1f ms are the"
                + " hand-off to the prosper_query pool and back and the query's async rewrite.%n",
            gap,
            nodeQueryEncodeMs,
            gap - nodeQueryEncodeMs));
    md.append(
        String.format(
            Locale.ROOT,
            "%nIngest through the pipeline: %.1f docs/s",
            report.path("ingest_docs_per_s").asDouble()));
    if (report.has("raw_encode_docs_per_s")) {
      md.append(
          String.format(
              Locale.ROOT,
              "; raw batch encoding of the same titles: %.1f docs/s; ratio %.2f",
              report.path("raw_encode_docs_per_s").asDouble(),
              report.path("ingest_to_raw_ratio").asDouble()));
    }
    JsonNode sizes = report.path("index_size_bytes");
    md.append(
        String.format(
            Locale.ROOT,
            ".%n%nIndex size (each field copied alone into one segment; searchable structures,"
                + " stored fields and the ids every copy shares left out): sparse field %.2f MiB,"
                + " text field %.2f MiB (ratio %.2f); whole index with _source %.1f MiB.%n",
            sizes.path("title_sparse").asLong() / 1048576.0,
            sizes.path("title").asLong() / 1048576.0,
            sizes.path("title_sparse").asDouble() / Math.max(1, sizes.path("title").asDouble()),
            sizes.path("whole_index").asLong() / 1048576.0));
    Files.writeString(output.resolve("report.md"), md);

    CategoryChart latencyChart =
        new CategoryChartBuilder()
            .width(800)
            .height(500)
            .title("Search latency (top 10)")
            .yAxisTitle("ms")
            .build();
    List<String> types = new ArrayList<>(latencies.keySet());
    latencyChart.addSeries(
        "p50", types, types.stream().map(t -> percentile(latencies.get(t), 50)).toList());
    latencyChart.addSeries(
        "p99", types, types.stream().map(t -> percentile(latencies.get(t), 99)).toList());
    BitmapEncoder.saveBitmap(
        latencyChart, output.resolve("latency.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    CategoryChart qualityChart =
        new CategoryChartBuilder().width(1000).height(500).title("Retrieval quality").build();
    for (Map.Entry<String, Map<String, Double>> system : quality.entrySet()) {
      qualityChart.addSeries(
          system.getKey(), columns, columns.stream().map(c -> system.getValue().get(c)).toList());
    }
    BitmapEncoder.saveBitmap(
        qualityChart, output.resolve("quality.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    System.out.print(md);
  }
}
