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
      throw new IOException("cannot reach " + url + path + ": " + e, e);
    }
    JsonNode json = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    if (response.statusCode() >= 300) {
      throw new IOException(
          method
              + " "
              + path
              + " failed with "
              + response.statusCode()
              + ": "
              + json.path("error"));
    }
    return json;
  }

  public JsonNode call(String method, String path, String body) throws IOException {
    return call(method, path, body, "application/json");
  }

  /** Whether a GET of {@code path} answers (404: false). */
  public boolean exists(String path) throws IOException {
    try {
      call("GET", path, null);
      return true;
    } catch (IOException e) {
      if (e.getMessage().contains("failed with 404")) {
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
    if (exists("/" + index)) {
      call("DELETE", "/" + index, null);
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
        "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0,"
            + "\"index.default_pipeline\":\""
            + pipeline
            + "\"},\"mappings\":{\"properties\":{"
            + "\"title\":{\"type\":\"text\",\"analyzer\":\"english\"},"
            + "\"title_sparse\":{\"type\":\"rank_features\"}}}}");
  }

  /**
   * Indexes products (id → title) with _bulk, showing progress; returns how many failed (the first
   * few failures are printed).
   */
  public long bulkIndex(String index, Map<String, String> products, int bulkSize)
      throws IOException {
    List<Map.Entry<String, String>> entries = new ArrayList<>(products.entrySet());
    long failures = 0;
    try (ProgressBar bar = Progress.bar("index " + index, entries.size(), System.err)) {
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
        JsonNode response =
            call("POST", "/" + index + "/_bulk", bulk.toString(), "application/x-ndjson");
        if (response.path("errors").asBoolean()) {
          for (JsonNode item : response.path("items")) {
            if (item.path("index").has("error")) {
              failures++;
              if (failures <= 3) {
                System.err.println("indexing failed: " + item.path("index").path("error"));
              }
            }
          }
        }
        bar.stepBy(chunk.size());
      }
    }
    call("POST", "/" + index + "/_refresh", null);
    return failures;
  }
}
