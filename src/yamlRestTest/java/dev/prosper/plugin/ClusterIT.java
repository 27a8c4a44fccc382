package dev.prosper.plugin;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The plugin on a real 3-node cluster on loopback ({@code scripts/opensearch-cluster.sh}): node-1
 * cluster manager + data + ingest, node-2 data, node-3 ingest-only; the test artefact copied to
 * every node. Nodes are stopped and restarted through the script, so these are real process
 * failures. A plain JUnit test (not an OpenSearch test case): its nodes are not the test cluster of
 * {@code tests.rest.cluster}, and its HTTP and bulk threads outlive each test.
 */
public class ClusterIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** A request that takes longer than this is a hang, and fails the test. */
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private static Path cluster;
  private static Path script;
  private static final List<String> urls = new ArrayList<>();

  private static final String[] BRANDS = {"husky", "dewalt", "ryobi", "milwaukee", "behr"};
  private static final String[] TYPES = {
    "cordless drill", "garden hose", "patio umbrella", "tape measure", "led bulb", "paint roller"
  };
  private static final String[] ATTRIBUTES = {"20v", "50 ft.", "navy", "heavy duty", "4-pack"};

  /** The i-th generated product title: every combination of brand, type and attribute is one. */
  static String title(int i) {
    return BRANDS[i % BRANDS.length]
        + " "
        + TYPES[(i / BRANDS.length) % TYPES.length]
        + " "
        + ATTRIBUTES[(i / (BRANDS.length * TYPES.length)) % ATTRIBUTES.length]
        + " model "
        + (1000 + i);
  }

  @BeforeClass
  public static void startCluster() throws Exception {
    cluster = Path.of(System.getProperty("tests.prosper.cluster"));
    script = Path.of(System.getProperty("tests.prosper.cluster_script"));
    Path models = Path.of(System.getProperty("tests.prosper.models"));
    harness("install", System.getProperty("tests.prosper.artifacts"), cluster.toString(), "3");
    harness(
        "copy-model", cluster.toString(), models.resolve("test-model").toString(), "test-model");
    start();
    for (String line : harness("status", cluster.toString()).strip().split("\n")) {
      urls.add(line.split(" ")[1]);
    }
    assertEquals(3, urls.size());
  }

  /** Starts every stopped node (the first start picks the ports, later ones reuse them). */
  private static void start() throws Exception {
    harness(
        "start",
        cluster.toString(),
        System.getProperty("tests.prosper.cluster.http_base"),
        System.getProperty("tests.prosper.cluster.transport_base"),
        Long.toString(ProcessHandle.current().pid()));
  }

  @AfterClass
  public static void stopCluster() throws Exception {
    if (cluster != null && Files.isDirectory(cluster.resolve("node-1"))) {
      harness("stop", cluster.toString());
    }
  }

  /** Runs the cluster script; its output, or a failure with that output. */
  private static String harness(String... args) throws IOException, InterruptedException {
    return runScript(true, args);
  }

  /** Runs the cluster script; with {@code mustSucceed}, a non-zero exit fails the test. */
  private static String runScript(boolean mustSucceed, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", script.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean exited = process.waitFor(5, TimeUnit.MINUTES);
    if (mustSucceed && (!exited || process.exitValue() != 0)) {
      fail("opensearch-cluster.sh " + String.join(" ", args) + " failed:\n" + output);
    }
    return output;
  }

  /** A response: status and parsed body. */
  record Reply(int status, JsonNode body) {
    Reply ok() {
      assertTrue(body.toString(), status == 200 || status == 201);
      return this;
    }
  }

  /** Sends a request to node {@code node} (1-based). */
  private static Reply call(int node, String method, String path, String body)
      throws IOException, InterruptedException {
    return send(node, method, path, body, "application/json");
  }

  private static Reply send(int node, String method, String path, String body, String type)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(urls.get(node - 1) + path))
            .timeout(TIMEOUT)
            .header("Content-Type", type)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    String text = response.body();
    return new Reply(response.statusCode(), text.isEmpty() ? JSON.nullNode() : JSON.readTree(text));
  }

  private static void registerModel(int node, String id, String path) throws Exception {
    call(node, "PUT", "/_plugins/prosper/models/" + id, "{\"path\":\"" + path + "\"}").ok();
  }

  /** A pipeline on {@code model} and a 2-shard, 1-replica index that uses it by default. */
  private static void createIndex(String index, String model) throws Exception {
    call(
            2,
            "PUT",
            "/_ingest/pipeline/" + index,
            "{\"processors\":[{\"prosper\":{\"model_id\":\""
                + model
                + "\",\"field_map\":{\"title\":\"title_sparse\"}}}]}")
        .ok();
    call(
            1,
            "PUT",
            "/" + index,
            "{\"settings\":{\"number_of_shards\":2,\"number_of_replicas\":1,"
                + "\"index.default_pipeline\":\""
                + index
                + "\"},\"mappings\":{\"properties\":{\"title\":{\"type\":\"text\"},"
                + "\"sku\":{\"type\":\"keyword\"},\"title_sparse\":{\"type\":\"rank_features\"}}}}")
        .ok();
    health("green");
  }

  private static void health(String status) throws Exception {
    Reply health =
        call(1, "GET", "/_cluster/health?wait_for_status=" + status + "&timeout=90s", null);
    assertEquals(health.body().toString(), status, health.body().get("status").asText());
  }

  /** Deletes a test's index, its pipeline and its model. */
  private static void dropIndex(String index, String model) throws Exception {
    call(1, "DELETE", "/" + index, null);
    call(1, "DELETE", "/_ingest/pipeline/" + index, null);
    call(1, "DELETE", "/_plugins/prosper/models/" + model, null);
  }

  /** A bulk of products {@code from} until {@code to} (id = sku = "p" + number). */
  private static String bulkBody(String index, int from, int to) {
    StringBuilder body = new StringBuilder();
    for (int i = from; i < to; i++) {
      body.append("{\"index\":{\"_index\":\"")
          .append(index)
          .append("\",\"_id\":\"p")
          .append(i)
          .append("\"}}\n{\"sku\":\"p")
          .append(i)
          .append("\",\"title\":\"")
          .append(title(i))
          .append("\"}\n");
    }
    return body.toString();
  }

  private static Reply bulk(int node, String index, int from, int to) throws Exception {
    return send(node, "POST", "/_bulk", bulkBody(index, from, to), "application/x-ndjson");
  }

  /** Every sku of {@code index} with how often it is there: each must be there exactly once. */
  private static void assertEachOnce(String index, Set<String> expected) throws Exception {
    call(1, "POST", "/" + index + "/_refresh", null).ok();
    JsonNode count = call(1, "GET", "/" + index + "/_count", null).ok().body();
    assertEquals(count.toString(), expected.size(), count.get("count").asInt());
    JsonNode result =
        call(
                1,
                "POST",
                "/" + index + "/_search",
                "{\"size\":0,\"aggs\":{\"skus\":{\"terms\":{\"field\":\"sku\",\"size\":"
                    + (expected.size() + 10)
                    + "}}}}")
            .ok()
            .body();
    Set<String> found = new TreeSet<>();
    for (JsonNode bucket : result.at("/aggregations/skus/buckets")) {
      assertEquals(bucket.toString(), 1, bucket.get("doc_count").asInt());
      found.add(bucket.get("key").asText());
    }
    assertEquals(new TreeSet<>(expected), found);
  }

  private static String search(String model, String text) {
    return "{\"size\":10,\"query\":{\"prosper_sparse\":{\"title_sparse\":{\"query_text\":\""
        + text
        + "\",\"model_id\":\""
        + model
        + "\"}}},\"sort\":[\"_score\",{\"sku\":\"asc\"}],\"_source\":false}";
  }

  /** The ids and scores of a search's hits, as text, so hits from two nodes can be compared. */
  private static String hits(Reply reply) {
    StringBuilder hits = new StringBuilder();
    for (JsonNode hit : reply.ok().body().at("/hits/hits")) {
      hits.append(hit.get("_id").asText()).append('=').append(hit.get("sort").get(0)).append(' ');
    }
    return hits.toString();
  }

  /** texts_encoded of each node (1-based, by name), from {@code _plugins/prosper/stats}. */
  private static long[] textsEncoded() throws Exception {
    long[] texts = new long[4];
    for (JsonNode node : call(1, "GET", "/_plugins/prosper/stats", null).ok().body().get("nodes")) {
      String name = node.get("name").asText();
      texts[Integer.parseInt(name.substring(name.lastIndexOf('-') + 1))] =
          node.get("texts_encoded").asLong();
    }
    return texts;
  }

  /**
   * Registered through the ingest-only node; documents are encoded on the node that runs the
   * pipeline (the ingest-only node the bulk was sent to), query text on the node that coordinates
   * the search; every node gives the same encoding and the same hits.
   */
  @Test
  public void registeredOnOneNodeEveryNodeEncodesAndSearchesAlike() throws Exception {
    String index = "alike";
    registerModel(3, "alike-model", "test-model");
    try {
      createIndex(index, "alike-model");
      long[] before = textsEncoded();
      Reply bulk = bulk(3, index, 0, 40).ok();
      assertFalse(bulk.body().toString(), bulk.body().get("errors").asBoolean());
      long[] after = textsEncoded();
      assertEquals("titles encoded on the ingest-only node", 40, after[3] - before[3]);
      assertEquals("titles encoded on node-1", 0, after[1] - before[1]);
      assertEquals("titles encoded on the data node", 0, after[2] - before[2]);
      call(1, "POST", "/" + index + "/_refresh", null).ok();

      String encode = "{\"texts\":[\"husky cordless drill\"],\"mode\":\"query\"}";
      JsonNode first =
          call(1, "POST", "/_plugins/prosper/models/alike-model/_encode", encode).ok().body();
      String expected = null;
      for (int node = 1; node <= 3; node++) {
        JsonNode encoded =
            call(node, "POST", "/_plugins/prosper/models/alike-model/_encode", encode).ok().body();
        assertEquals("encoding through node-" + node, first, encoded);
        long[] was = textsEncoded();
        String found =
            hits(
                call(node, "POST", "/" + index + "/_search", search("alike-model", "husky drill")));
        assertEquals(
            "query text encoded on the coordinating node-" + node,
            1,
            textsEncoded()[node] - was[node]);
        assertFalse("no hits through node-" + node, found.isEmpty());
        if (expected == null) {
          expected = found;
        }
        assertEquals("hits through node-" + node, expected, found);
      }
      String top = expected.substring(1, expected.indexOf('='));
      assertTrue(expected, title(Integer.parseInt(top)).contains("drill"));

      JsonNode nodes =
          call(2, "GET", "/_plugins/prosper/models/alike-model", null)
              .ok()
              .body()
              .at("/models/alike-model/nodes");
      Set<String> names = new TreeSet<>();
      for (JsonNode node : nodes) {
        names.add(node.get("name").asText());
        assertEquals(node.toString(), "loaded", node.get("state").asText());
      }
      assertEquals(Set.of("prosper-node-1", "prosper-node-2", "prosper-node-3"), names);
    } finally {
      dropIndex(index, "alike-model");
    }
  }

  /**
   * Four concurrent bulk clients through the ingest-only node while two others search through the
   * other nodes: every acknowledged document is there exactly once and every search succeeds.
   */
  @Test
  public void concurrentBulksThroughTheIngestNodeLoseNothing() throws Exception {
    String index = "concurrent";
    registerModel(1, "concurrent-model", "test-model");
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      createIndex(index, "concurrent-model");
      AtomicBoolean indexing = new AtomicBoolean(true);
      AtomicInteger searches = new AtomicInteger();
      List<Future<?>> searchers = new ArrayList<>();
      for (int node = 1; node <= 2; node++) {
        int through = node;
        searchers.add(
            pool.submit(
                () -> {
                  while (indexing.get()) {
                    Reply reply =
                        call(
                            through,
                            "POST",
                            "/" + index + "/_search",
                            search("concurrent-model", "garden hose"));
                    assertEquals(reply.body().toString(), 200, reply.status());
                    searches.incrementAndGet();
                  }
                  return null;
                }));
      }
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      List<Future<?>> clients = new ArrayList<>();
      for (int client = 0; client < 4; client++) {
        int first = client * 100;
        clients.add(
            pool.submit(
                () -> {
                  for (int from = first; from < first + 100; from += 20) {
                    Reply reply = bulk(3, index, from, from + 20).ok();
                    for (JsonNode item : reply.body().get("items")) {
                      JsonNode result = item.get("index");
                      assertEquals(result.toString(), 201, result.get("status").asInt());
                      acknowledged.add(result.get("_id").asText());
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> client : clients) {
        client.get(5, TimeUnit.MINUTES);
      }
      indexing.set(false);
      for (Future<?> searcher : searchers) {
        searcher.get(2, TimeUnit.MINUTES);
      }
      assertEquals(400, acknowledged.size());
      assertTrue("searches ran during the bulks", searches.get() > 0);
      assertEachOnce(index, acknowledged);
    } finally {
      pool.shutdownNow();
      dropIndex(index, "concurrent-model");
    }
  }

  private static Path nodeModels(int node) {
    return cluster.resolve("node-" + node).resolve("config/prosper/models");
  }

  /** Retries {@code check} for up to 30 s (a node's load failure is remembered for 5 s). */
  private static void eventually(String what, ThrowingCheck check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      String problem = check.problem();
      if (problem == null) {
        return;
      }
      if (System.nanoTime() > deadline) {
        fail(what + ": " + problem);
      }
      Thread.sleep(500);
    }
  }

  interface ThrowingCheck {
    /** {@code null} when the condition holds, else what is wrong. */
    String problem() throws Exception;
  }

  /**
   * The data node has no copy of the artefact, then one with other weights: its requests fail with
   * an error naming it while the other nodes keep serving; copying the registered files fixes it
   * without a restart.
   */
  @Test
  public void aNodeWithoutTheArtefactFailsClearlyAndCopyingTheFilesFixesIt() throws Exception {
    Path source = Path.of(System.getProperty("tests.prosper.models"));
    for (int node : new int[] {1, 3}) {
      ArtefactFiles.copyDirectory(
          source.resolve("test-model"),
          nodeModels(node).resolve("partial-model"),
          StandardCopyOption.REPLACE_EXISTING);
    }
    Path onDataNode = nodeModels(2).resolve("partial-model");
    String encode = "{\"texts\":[\"patio umbrella\"],\"mode\":\"query\"}";
    String path = "/_plugins/prosper/models/partial/_encode";
    registerModel(1, "partial", "partial-model");
    try {
      Reply missing = call(2, "POST", path, encode);
      assertEquals(missing.body().toString(), 503, missing.status());
      String message = missing.body().at("/error/reason").asText();
      assertTrue(message, message.contains("is not available on node [prosper-node-2]"));
      assertFalse(message, message.contains(cluster.toString()));
      call(1, "POST", path, encode).ok();
      call(3, "POST", path, encode).ok();

      // Another artefact's weights on the data node (its prosper.json consistent with them).
      ArtefactFiles.copyDirectory(
          source.resolve("corrupted-model"), onDataNode, StandardCopyOption.REPLACE_EXISTING);
      String weights = ArtefactFiles.sha256(onDataNode.resolve("model.safetensors"));
      Path manifest = onDataNode.resolve("prosper.json");
      String registered = ArtefactFiles.sha256(source.resolve("test-model/model.safetensors"));
      Files.writeString(manifest, Files.readString(manifest).replace(registered, weights));
      eventually(
          "the data node's other copy is refused with 409",
          () -> {
            Reply other = call(2, "POST", path, encode);
            String reason = other.body().at("/error/reason").asText();
            return other.status() == 409 && reason.contains("on node [prosper-node-2]")
                ? null
                : other.status() + " " + reason;
          });
      call(1, "POST", path, encode).ok();

      ArtefactFiles.copyDirectory(
          source.resolve("test-model"), onDataNode, StandardCopyOption.REPLACE_EXISTING);
      eventually(
          "the data node serves once the registered files are copied",
          () -> {
            Reply fixed = call(2, "POST", path, encode);
            return fixed.status() == 200 ? null : fixed.status() + " " + fixed.body();
          });
    } finally {
      call(1, "DELETE", "/_plugins/prosper/models/partial", null);
      for (int node = 1; node <= 3; node++) {
        ArtefactFiles.deleteDirectory(nodeModels(node).resolve("partial-model"));
      }
    }
  }

  /**
   * The data node stops in the middle of a bulk: acknowledged documents survive (the replicas on
   * node-1 are promoted), failed items are reported per item, and a client that retries them with
   * the same ids indexes nothing twice.
   */
  @Test
  public void stoppingADataNodeDuringABulkLosesNoAcknowledgedDocument() throws Exception {
    String index = "failover";
    registerModel(1, "failover-model", "test-model");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      createIndex(index, "failover-model");
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicInteger failedItems = new AtomicInteger();
      List<Future<?>> clients = new ArrayList<>();
      for (int client = 0; client < 4; client++) {
        int first = client * 150;
        clients.add(
            pool.submit(
                () -> {
                  for (int from = first; from < first + 150; from += 10) {
                    List<Integer> pending = new ArrayList<>();
                    for (int i = from; i < from + 10; i++) {
                      pending.add(i);
                    }
                    for (int attempt = 0; !pending.isEmpty(); attempt++) {
                      assertTrue("items still failing after 20 attempts: " + pending, attempt < 20);
                      StringBuilder body = new StringBuilder();
                      for (int i : pending) {
                        body.append(bulkBody(index, i, i + 1));
                      }
                      Reply reply;
                      try {
                        reply = send(3, "POST", "/_bulk", body.toString(), "application/x-ndjson");
                      } catch (IOException e) {
                        Thread.sleep(500);
                        continue; // the whole request failed: retry it with the same ids
                      }
                      if (reply.status() != 200) {
                        Thread.sleep(500);
                        continue;
                      }
                      List<Integer> failed = new ArrayList<>();
                      for (JsonNode item : reply.body().get("items")) {
                        JsonNode result = item.get("index");
                        String id = result.get("_id").asText();
                        int status = result.get("status").asInt();
                        if (status == 200 || status == 201) {
                          acknowledged.add(id);
                        } else {
                          assertTrue(
                              result.toString(), result.at("/error/reason").asText().length() > 0);
                          failedItems.incrementAndGet();
                          failed.add(Integer.parseInt(id.substring(1)));
                        }
                      }
                      pending = failed;
                    }
                  }
                  return null;
                }));
      }
      // Stop the data node once some documents are in.
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (acknowledged.size() < 100 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      int atStop = acknowledged.size();
      harness("stop", cluster.toString(), "2");
      for (Future<?> client : clients) {
        client.get(5, TimeUnit.MINUTES);
      }
      System.out.printf(
          Locale.ROOT,
          "ClusterIT failover: %d documents acknowledged before the stop, %d after; %d failed items"
              + " retried%n",
          atStop,
          acknowledged.size() - atStop,
          failedItems.get());
      assertTrue("the stop came during the bulk (" + atStop + " of 600)", atStop < 600);
      assertEquals(600, acknowledged.size());
      health("yellow");
      assertEachOnce(index, acknowledged);
    } finally {
      pool.shutdownNow();
      if (isStopped(2)) {
        harness(
            "start-node", cluster.toString(), "2", Long.toString(ProcessHandle.current().pid()));
      }
      health("yellow");
      dropIndex(index, "failover-model");
    }
    health("green");
  }

  /** Whether the script reports node {@code node} stopped ({@code status} exits 1 then). */
  private static boolean isStopped(int node) throws Exception {
    String output = runScript(false, "status", cluster.toString());
    for (String line : output.split("\n")) {
      if (line.startsWith("node-" + node + " ")) {
        return line.endsWith(" stopped");
      }
    }
    throw new AssertionError("no node-" + node + " in: " + output);
  }

  /**
   * The whole cluster restarts: models, pipelines and documents are back, and the first {@code
   * query_text} search through every node (which loads the model there again) works; a pipeline
   * whose model was deleted before the restart refuses documents per item, and works again, not
   * re-created, once the model is registered again.
   */
  @Test
  public void aWholeClusterRestartKeepsModelsPipelinesAndDocuments() throws Exception {
    String index = "restart";
    registerModel(2, "restart-model", "test-model");
    try {
      createIndex(index, "restart-model");
      Reply bulk = bulk(3, index, 0, 30).ok();
      assertFalse(bulk.body().toString(), bulk.body().get("errors").asBoolean());
      call(1, "POST", "/" + index + "/_refresh", null).ok();
      String before =
          hits(call(1, "POST", "/" + index + "/_search", search("restart-model", "ryobi hose")));
      // A second pipeline whose model is deleted before the restart and registered again after
      // it (the same artefact as restart-model: one load serves both ids).
      registerModel(1, "restart-again", "test-model");
      call(
              1,
              "PUT",
              "/_ingest/pipeline/restart-again",
              "{\"processors\":[{\"prosper\":{\"model_id\":\"restart-again\","
                  + "\"field_map\":{\"title\":\"title_sparse\"}}}]}")
          .ok();
      call(1, "DELETE", "/_plugins/prosper/models/restart-again", null).ok();

      harness("stop", cluster.toString());
      start();
      health("green");

      call(3, "GET", "/_plugins/prosper/models/restart-model", null).ok();
      call(3, "GET", "/_ingest/pipeline/" + index, null).ok();
      for (int node = 1; node <= 3; node++) {
        assertEquals(
            "first search through node-" + node + " after the restart",
            before,
            hits(
                call(
                    node,
                    "POST",
                    "/" + index + "/_search",
                    search("restart-model", "ryobi hose"))));
      }
      Reply more = bulk(3, index, 30, 40).ok();
      assertFalse(
          "the pipeline works after the restart: " + more.body(),
          more.body().get("errors").asBoolean());

      String again = "/_bulk?pipeline=restart-again";
      Reply refused = send(3, "POST", again, bulkBody(index, 40, 45), "application/x-ndjson").ok();
      for (JsonNode item : refused.body().get("items")) {
        JsonNode result = item.get("index");
        assertTrue(result.toString(), result.get("status").asInt() >= 400);
        assertTrue(result.toString(), result.get("status").asInt() < 500);
        assertTrue(
            result.toString(), result.at("/error/reason").asText().contains("[restart-again]"));
      }
      registerModel(2, "restart-again", "test-model");
      Reply revived = send(3, "POST", again, bulkBody(index, 45, 50), "application/x-ndjson").ok();
      assertFalse(
          "the pipeline of a model registered again works without being re-created: "
              + revived.body(),
          revived.body().get("errors").asBoolean());
      JsonNode node3 =
          call(3, "GET", "/_plugins/prosper/_local/stats", null)
              .ok()
              .body()
              .get("nodes")
              .elements()
              .next();
      assertEquals(node3.toString(), "loaded", node3.at("/models/restart-model/state").asText());
      assertEquals(node3.toString(), "loaded", node3.at("/models/restart-again/state").asText());
      assertEquals(
          "two ids of one artefact share one copy: " + node3,
          node3.get("models_loaded").asInt() - 1,
          node3.get("models_in_memory").asInt());
      Set<String> skus = new TreeSet<>();
      for (int i = 0; i < 50; i++) {
        if (i < 40 || i >= 45) {
          skus.add("p" + i);
        }
      }
      assertEachOnce(index, skus);
    } finally {
      call(1, "DELETE", "/_ingest/pipeline/restart-again", null);
      call(1, "DELETE", "/_plugins/prosper/models/restart-again", null);
      dropIndex(index, "restart-model");
    }
  }

  /**
   * The model is deleted (through node-1) while bulks run through the ingest-only node: each bulk
   * completes, every item is either indexed or fails with an error naming the model, and after the
   * delete every document is refused that way.
   */
  @Test
  public void deletingTheModelWhileAPipelineUsesItGivesPerDocumentErrors() throws Exception {
    String index = "deleted";
    registerModel(1, "deleted-model", "test-model");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      createIndex(index, "deleted-model");
      AtomicInteger indexed = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      Future<?> client =
          pool.submit(
              () -> {
                for (int from = 0; from < 400; from += 10) {
                  Reply reply = bulk(3, index, from, from + 10).ok();
                  for (JsonNode item : reply.body().get("items")) {
                    JsonNode result = item.get("index");
                    int status = result.get("status").asInt();
                    if (status == 201) {
                      indexed.incrementAndGet();
                    } else {
                      String reason = result.at("/error/reason").asText();
                      assertTrue(result.toString(), status >= 400 && status < 500);
                      assertTrue(result.toString(), reason.contains("[deleted-model]"));
                      refused.incrementAndGet();
                    }
                  }
                }
                return null;
              });
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (indexed.get() < 20 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      call(1, "DELETE", "/_plugins/prosper/models/deleted-model", null).ok();
      client.get(5, TimeUnit.MINUTES);
      assertEquals(400, indexed.get() + refused.get());
      assertTrue("documents were indexed before the delete", indexed.get() > 0);

      Reply after = bulk(3, index, 1000, 1005).ok();
      for (JsonNode item : after.body().get("items")) {
        JsonNode result = item.get("index");
        assertTrue(result.toString(), result.get("status").asInt() >= 400);
        assertTrue(
            result.toString(), result.at("/error/reason").asText().contains("[deleted-model]"));
      }
      call(1, "POST", "/" + index + "/_refresh", null).ok();
      assertEquals(
          indexed.get(),
          call(1, "GET", "/" + index + "/_count", null).ok().body().get("count").asInt());
    } finally {
      pool.shutdownNow();
      dropIndex(index, "deleted-model");
    }
  }
}
