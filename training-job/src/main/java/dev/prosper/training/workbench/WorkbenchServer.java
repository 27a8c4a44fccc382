package dev.prosper.training.workbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The workbench's web server (the JDK's {@code com.sun.net.httpserver}): the page and its two
 * assets from the jar, and a small JSON API the page calls, which asks the cluster through {@link
 * Workbench}. The browser never talks to OpenSearch itself, so the node needs no CORS settings.
 */
final class WorkbenchServer implements AutoCloseable {

  private static final Map<String, String[]> ASSETS =
      Map.of(
          "/", new String[] {"index.html", "text/html; charset=utf-8"},
          "/index.html", new String[] {"index.html", "text/html; charset=utf-8"},
          "/workbench.js", new String[] {"workbench.js", "text/javascript; charset=utf-8"},
          "/workbench.css", new String[] {"workbench.css", "text/css; charset=utf-8"});

  @FunctionalInterface
  private interface Api {
    JsonNode answer(Map<String, String> parameters) throws Workbench.Problem;
  }

  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  WorkbenchServer(Workbench workbench, String host, int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.setExecutor(pool);
    server.createContext("/", this::asset);
    api("/api/config", parameters -> workbench.config());
    api("/api/search", parameters -> workbench.search(parameters.get("q")));
    api("/api/explain", parameters -> workbench.explain(parameters.get("q"), parameters.get("id")));
    api("/api/random", parameters -> workbench.randomQuery());
  }

  void start() {
    server.start();
  }

  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }

  private void api(String path, Api api) {
    server.createContext(
        path,
        exchange -> {
          try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
              reply(exchange, 405, error("only GET is served"));
              return;
            }
            if (!exchange.getRequestURI().getPath().equals(path)) {
              reply(exchange, 404, error("no such API: " + exchange.getRequestURI().getPath()));
              return;
            }
            JsonNode answer;
            int status = 200;
            try {
              answer = api.answer(parameters(exchange.getRequestURI().getRawQuery()));
            } catch (Workbench.Problem problem) {
              status = problem.status;
              answer = error(problem.getMessage());
            } catch (RuntimeException e) {
              status = 500;
              answer = error("workbench error: " + e);
            }
            reply(exchange, status, answer);
          }
        });
  }

  private void asset(HttpExchange exchange) throws IOException {
    try (exchange) {
      String[] asset = ASSETS.get(exchange.getRequestURI().getPath());
      if (asset == null) {
        send(
            exchange,
            404,
            "text/plain; charset=utf-8",
            "not found".getBytes(StandardCharsets.UTF_8));
        return;
      }
      try (InputStream in = WorkbenchServer.class.getResourceAsStream(asset[0])) {
        if (in == null) {
          throw new IOException("asset " + asset[0] + " is missing from the jar");
        }
        send(exchange, 200, asset[1], in.readAllBytes());
      }
    }
  }

  private static ObjectNode error(String message) {
    return Workbench.JSON.createObjectNode().put("error", message);
  }

  private static void reply(HttpExchange exchange, int status, JsonNode body) throws IOException {
    send(
        exchange,
        status,
        "application/json; charset=utf-8",
        Workbench.JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private static Map<String, String> parameters(String rawQuery) {
    Map<String, String> parameters = new HashMap<>();
    if (rawQuery == null) {
      return parameters;
    }
    for (String pair : rawQuery.split("&")) {
      int equals = pair.indexOf('=');
      String name = equals < 0 ? pair : pair.substring(0, equals);
      String value = equals < 0 ? "" : pair.substring(equals + 1);
      parameters.put(
          URLDecoder.decode(name, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return parameters;
  }
}
