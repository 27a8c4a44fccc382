package dev.prosper.training.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prosper.training.Progress;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ProgressBar;

/** A small JSON-over-HTTP client for an OpenSearch node with the PROSPER plugin. */
public final class NodeClient {

  static final ObjectMapper JSON = new ObjectMapper();

  private final String url;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public NodeClient(String url) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  public String url() {
    return url;
  }

  /**
   * Sends a request and parses the JSON answer.
   *
   * @throws IOException with the status and OpenSearch's error when the answer is not 2xx
   */
  public JsonNode call(String method, String path, String body, String contentType)
      throws IOException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofMinutes(10));
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", contentType);
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (IOException e) {
      throw new Failure(0, null, "cannot reach " + url + path + ": " + e, e);
    }
    JsonNode json;
    try {
      json = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new Failure(
          response.statusCode(), null, url + path + " did not answer JSON: " + e.getMessage(), e);
    }
    if (response.statusCode() >= 300) {
      throw new Failure(
          response.statusCode(),
          json.path("error"),
          method + " " + path + " failed with " + response.statusCode() + ": " + json.path("error"),
          null);
    }
    return json;
  }

  /**
   * A request that did not succeed: {@link #status()} is the HTTP status, or 0 when the node could
   * not be reached; {@link #reason()} is OpenSearch's explanation from its {@code error} object.
   */
  public static final class Failure extends IOException {
    private final int status;
    private final transient JsonNode error;

    Failure(int status, JsonNode error, String message, Throwable cause) {
      super(message, cause);
      this.status = status;
      this.error = error;
    }

    public int status() {
      return status;
    }

    /** OpenSearch's own explanation: the root cause's {@code reason}, else the error's. */
    public String reason() {
      if (error == null || error.isMissingNode() || error.isNull()) {
        return getMessage();
      }
      if (error.isTextual()) {
        return error.asText();
      }
      JsonNode root = error.path("root_cause").path(0).path("reason");
      return root.isTextual() ? root.asText() : error.path("reason").asText(getMessage());
    }
  }

  public JsonNode call(String method, String path, String body) throws IOException {
    return call(method, path, body, "application/json");
  }

  /** Milliseconds a POST of {@code body} to {@code path} takes, answer included. */
  public double timedMillis(String path, String body) throws IOException {
    long start = System.nanoTime();
    call("POST", path, body);
    return (System.nanoTime() - start) / 1e6;
  }

  /**
   * A {@code prosper_sparse} query_text search body on {@code title_sparse} (topK 0: the model's).
   */
  public static String prosperQuery(String modelId, String text, int topK) throws IOException {
    return "{\"query\":{\"prosper_sparse\":{\"title_sparse\":{\"query_text\":"
        + JSON.writeValueAsString(text)
        + ",\"model_id\":"
        + JSON.writeValueAsString(modelId)
        + (topK > 0 ? ",\"top_k\":" + topK : "")
        + "}}}}";
  }

  /** A BM25 {@code match} search body on {@code title}. */
  public static String bm25Query(String text) throws IOException {
    return "{\"query\":{\"match\":{\"title\":" + JSON.writeValueAsString(text) + "}}}";
  }

  /** Whether a GET of {@code path} answers (404: false). */
  public boolean exists(String path) throws IOException {
    try {
      call("GET", path, null);
      return true;
    } catch (Failure e) {
      if (e.status() == 404) {
        return false;
      }
      throw e;
    }
  }

  /**
   * (Re)creates {@code index} with a {@code title} text field ({@code english} analyzer) and a
   * {@code title_sparse} rank_features field filled by a {@code prosper} pipeline of the model.
   */
  public void createProductIndex(String index, String pipeline, String modelId, int batchSize)
      throws IOException {
    createProductIndex(index, pipeline, modelId, batchSize, 1, 0);
  }

  /** The same with {@code shards} primary shards and {@code replicas} replicas of each. */
  public void createProductIndex(
      String index, String pipeline, String modelId, int batchSize, int shards, int replicas)
      throws IOException {
    if (exists("/" + index)) {
      call("DELETE", "/" + index, null);
    }
    // Deleted first: a node keeps a pipeline that failed to load (its model was not registered
    // then) and does not parse an identical definition again, so a plain PUT would leave it
    // failed.
    if (exists("/_ingest/pipeline/" + pipeline)) {
      call("DELETE", "/_ingest/pipeline/" + pipeline, null);
    }
    call(
        "PUT",
        "/_ingest/pipeline/" + pipeline,
        String.format(
            Locale.ROOT,
            "{\"description\":\"PROSPER term weights of the title\",\"processors\":[{\"prosper\":"
                + "{\"model_id\":%s,\"field_map\":{\"title\":\"title_sparse\"},\"batch_size\":%d}}]}",
            JSON.writeValueAsString(modelId),
            batchSize));
    call(
        "PUT",
        "/" + index,
        "{\"settings\":{\"number_of_shards\":"
            + shards
            + ",\"number_of_replicas\":"
            + replicas
            + ",\"index.default_pipeline\":\""
            + pipeline
            + "\"},\"mappings\":{\"properties\":{"
            + "\"title\":{\"type\":\"text\",\"analyzer\":\"english\"},"
            + "\"title_sparse\":{\"type\":\"rank_features\"}}}}");
  }

  /**
   * Indexes products (id → title) with _bulk from {@code clients} concurrent connections, showing
   * progress; returns how many failed (the first few failures are printed).
   */
  public long bulkIndex(String index, Map<String, String> products, int bulkSize, int clients)
      throws IOException {
    List<Map.Entry<String, String>> entries = new ArrayList<>(products.entrySet());
    List<String> bulks = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    for (int from = 0; from < entries.size(); from += bulkSize) {
      List<Map.Entry<String, String>> chunk =
          entries.subList(from, Math.min(entries.size(), from + bulkSize));
      StringBuilder bulk = new StringBuilder();
      for (Map.Entry<String, String> product : chunk) {
        bulk.append("{\"index\":{\"_id\":")
            .append(JSON.writeValueAsString(product.getKey()))
            .append("}}\n{\"title\":")
            .append(JSON.writeValueAsString(product.getValue()))
            .append("}\n");
      }
      bulks.add(bulk.toString());
      sizes.add(chunk.size());
    }
    AtomicLong failures = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try (ProgressBar bar = Progress.bar("index " + index, entries.size(), System.err)) {
      List<Future<?>> sent = new ArrayList<>();
      for (int i = 0; i < bulks.size(); i++) {
        String bulk = bulks.get(i);
        int size = sizes.get(i);
        sent.add(
            pool.submit(
                () -> {
                  JsonNode response =
                      call("POST", "/" + index + "/_bulk", bulk, "application/x-ndjson");
                  countFailures(response, failures);
                  bar.stepBy(size);
                  return null;
                }));
      }
      for (Future<?> future : sent) {
        future.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
    call("POST", "/" + index + "/_refresh", null);
    return failures.get();
  }

  private static void countFailures(JsonNode response, AtomicLong failures) {
    if (!response.path("errors").asBoolean()) {
      return;
    }
    for (JsonNode item : response.path("items")) {
      if (item.path("index").has("error") && failures.incrementAndGet() <= 3) {
        System.err.println("indexing failed: " + item.path("index").path("error"));
      }
    }
  }

  /**
   * Copies one field of every document of {@code source} into {@code target} (scroll + bulk,
   * pipeline {@code _none}): for measuring what a single field costs on disk.
   */
  public void copyField(String source, String target, String field) throws IOException {
    JsonNode page =
        call(
            "POST",
            "/" + source + "/_search?scroll=2m",
            "{\"size\":1000,\"_source\":[\"" + field + "\"],\"query\":{\"match_all\":{}}}");
    while (page.path("hits").path("hits").size() > 0) {
      StringBuilder bulk = new StringBuilder();
      for (JsonNode hit : page.path("hits").path("hits")) {
        bulk.append("{\"index\":{\"_id\":")
            .append(JSON.writeValueAsString(hit.path("_id").asText()))
            .append("}}\n")
            .append(JSON.writeValueAsString(hit.path("_source")))
            .append("\n");
      }
      JsonNode response =
          call(
              "POST",
              "/" + target + "/_bulk?pipeline=_none",
              bulk.toString(),
              "application/x-ndjson");
      if (response.path("errors").asBoolean()) {
        throw new IOException("copying [" + field + "] failed: " + response.path("items").path(0));
      }
      page =
          call(
              "POST",
              "/_search/scroll",
              "{\"scroll\":\"2m\",\"scroll_id\":"
                  + JSON.writeValueAsString(page.path("_scroll_id").asText())
                  + "}");
    }
    call(
        "DELETE",
        "/_search/scroll",
        "{\"scroll_id\":" + JSON.writeValueAsString(page.path("_scroll_id").asText()) + "}");
    call("POST", "/" + target + "/_refresh", null);
  }
}
