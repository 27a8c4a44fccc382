package dev.prosper.training.workbench;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The relevance workbench end to end: {@code training-job.jar workbench} as its own process against
 * the test node with the test model and the generated catalogue indexed through the {@code prosper}
 * pipeline, driven in Debian's headless Chromium through chromedriver. A plain JUnit test (not an
 * OpenSearch test case): the browser's and the HTTP client's threads outlive each test, which the
 * OpenSearch runner would report as leaks.
 */
public class WorkbenchBrowserIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "wb-model";
  private static final String INDEX = "wb-products";
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private static String cluster;
  private static Path data;
  private static final List<Process> workbenches = new ArrayList<>();
  private static String workbench;
  private static ChromeDriver browser;
  private static Path screenshots;

  /** Query id to text, and to (product id to grade), from the generated catalogue. */
  private static final Map<String, String> queries = new LinkedHashMap<>();

  private static final Map<String, Map<String, Double>> qrels = new LinkedHashMap<>();

  @BeforeClass
  public static void startEverything() throws Exception {
    assertTrue(
        "the browser test needs Debian's chromium and chromium-driver"
            + " (apt-get install -y chromium chromium-driver; .ci/run installs them)",
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER));
    cluster = "http://" + System.getProperty("tests.rest.cluster");
    Path models = Path.of(System.getProperty("tests.prosper.models"));
    data = models.resolve("data");
    screenshots = Path.of(System.getProperty("tests.prosper.screenshots"));
    Files.createDirectories(screenshots);
    for (String line : Files.readAllLines(data.resolve("queries.tsv"))) {
      String[] columns = line.split("\t");
      if (columns.length == 2) {
        queries.put(columns[0], columns[1]);
      }
    }
    for (String line : Files.readAllLines(data.resolve("qrels.tsv"))) {
      String[] columns = line.split("\t");
      if (columns.length == 3) {
        qrels
            .computeIfAbsent(columns[0], q -> new LinkedHashMap<>())
            .put(columns[1], Double.parseDouble(columns[2]));
      }
    }
    indexCatalogue();
    workbench =
        startWorkbench(
            cluster,
            MODEL,
            "--judgements",
            data.resolve("qrels.tsv").toString(),
            "--queries",
            data.resolve("queries.tsv").toString(),
            "--min-grade",
            "3");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        "--user-data-dir=" + Files.createTempDirectory("workbench-chromium"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterClass
  public static void stopEverything() {
    if (browser != null) {
      browser.quit();
    }
    for (Process process : workbenches) {
      process.destroy();
    }
  }

  private static JsonNode call(String method, String path, String body, String type)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(cluster + path));
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", type);
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = JSON.readTree(response.body());
    if (response.statusCode() >= 300
        && !(method.equals("DELETE") && response.statusCode() == 404)) {
      throw new IOException(method + " " + path + ": " + response.statusCode() + " " + json);
    }
    return json;
  }

  /** The test model registered, and the generated catalogue indexed through its pipeline. */
  private static void indexCatalogue() throws Exception {
    call("DELETE", "/" + INDEX, null, null);
    call("DELETE", "/_plugins/prosper/models/" + MODEL, null, null);
    call(
        "PUT",
        "/_plugins/prosper/models/" + MODEL,
        "{\"path\":\"test-model\"}",
        "application/json");
    call(
        "PUT",
        "/_ingest/pipeline/wb-pipeline",
        "{\"processors\":[{\"prosper\":{\"model_id\":\""
            + MODEL
            + "\",\"field_map\":{\"title\":\"title_sparse\"}}}]}",
        "application/json");
    call(
        "PUT",
        "/" + INDEX,
        "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0,"
            + "\"index.default_pipeline\":\"wb-pipeline\"},\"mappings\":{\"properties\":{"
            + "\"title\":{\"type\":\"text\",\"analyzer\":\"english\"},"
            + "\"title_sparse\":{\"type\":\"rank_features\"}}}}",
        "application/json");
    StringBuilder bulk = new StringBuilder();
    int products = 0;
    for (String line : Files.readAllLines(data.resolve("products.tsv"))) {
      String[] columns = line.split("\t");
      if (columns.length != 2) {
        continue;
      }
      bulk.append("{\"index\":{\"_id\":")
          .append(JSON.writeValueAsString(columns[0]))
          .append("}}\n{\"title\":")
          .append(JSON.writeValueAsString(columns[1]))
          .append("}\n");
      products++;
    }
    JsonNode response =
        call("POST", "/" + INDEX + "/_bulk?refresh=true", bulk.toString(), "application/x-ndjson");
    assertFalse(
        "bulk failed: " + response.path("items").path(0), response.path("errors").asBoolean());
    assertEquals(products, call("GET", "/" + INDEX + "/_count", null, null).path("count").asInt());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Starts {@code training-job.jar workbench} and returns the address it prints. */
  private static String startWorkbench(String url, String model, String... extra) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(System.getProperty("tests.prosper.training_job"));
    command.addAll(
        List.of(
            "workbench",
            "--url",
            url,
            "--index",
            INDEX,
            "--model-id",
            model,
            "--port",
            String.valueOf(freePort())));
    command.addAll(List.of(extra));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    workbenches.add(process);
    BufferedReader output =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> address =
        CompletableFuture.supplyAsync(
            () -> {
              StringBuilder seen = new StringBuilder();
              try {
                String line;
                while ((line = output.readLine()) != null) {
                  Matcher matcher = Pattern.compile("^workbench: (http://\\S+/)").matcher(line);
                  if (matcher.find()) {
                    // Keep draining, so the process never blocks on a full pipe.
                    Thread drain =
                        new Thread(
                            () -> {
                              try {
                                output.transferTo(java.io.Writer.nullWriter());
                              } catch (IOException ignored) {
                                // the process ended
                              }
                            });
                    drain.setDaemon(true);
                    drain.start();
                    return matcher.group(1);
                  }
                  seen.append(line).append('\n');
                }
              } catch (IOException e) {
                seen.append(e);
              }
              throw new IllegalStateException("the workbench did not start:\n" + seen);
            });
    return address.get(120, TimeUnit.SECONDS);
  }

  private static WebDriverWait waiting() {
    return new WebDriverWait(browser, Duration.ofSeconds(60));
  }

  private static void searchFor(String text) {
    WebElement box = browser.findElement(By.id("query"));
    box.clear();
    box.sendKeys(text, Keys.ENTER);
    waiting()
        .until(
            driver ->
                driver.findElement(By.id("results")).getAttribute("hidden") == null
                    && driver.findElements(By.cssSelector("#columns [data-column]")).size() == 3
                    && text.equals(
                        ((JavascriptExecutor) driver)
                            .executeScript(
                                "return new URLSearchParams(location.search).get('q')")));
  }

  private static void screenshot(String name) throws IOException {
    Files.copy(
        browser.getScreenshotAs(OutputType.FILE).toPath(),
        screenshots.resolve(name),
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** The first query of the catalogue with a grade-3 (positive) judgement. */
  private static String judgedQuery() {
    for (Map.Entry<String, Map<String, Double>> judged : qrels.entrySet()) {
      if (judged.getValue().values().stream().anyMatch(g -> g >= 3)) {
        return queries.get(judged.getKey());
      }
    }
    throw new AssertionError("the generated catalogue has no grade-3 judgement");
  }

  private static List<WebElement> hits(String column) {
    return browser.findElements(By.cssSelector("[data-column='" + column + "'] .hit"));
  }

  private static double number(String text, String label) {
    Matcher matcher = Pattern.compile(Pattern.quote(label) + " (-?[0-9.]+)").matcher(text);
    assertTrue("no [" + label + "] in: " + text, matcher.find());
    return Double.parseDouble(matcher.group(1));
  }

  @Test
  public void typedQueryShowsThreeGradedColumnsItsTermsAndAHitsExplanation() throws Exception {
    browser.manage().window().setSize(new Dimension(1400, 1000));
    browser.get(workbench);
    String query = judgedQuery();
    searchFor(query);

    // Three columns, each with hits; the same product marked where columns overlap.
    for (String column : List.of("PROSPER", "BM25", "Hybrid")) {
      assertFalse(column + " has no hits", hits(column).isEmpty());
    }
    assertFalse(
        "no hit is marked as shared with another column",
        browser.findElements(By.cssSelector(".hit .tag.shared")).isEmpty());

    // The query's terms as bars, the words the shopper typed marked literal.
    List<WebElement> literal = browser.findElements(By.cssSelector("#terms .bar.literal"));
    assertFalse("no literal query term is marked", literal.isEmpty());
    String lowered = query.toLowerCase(Locale.ROOT);
    for (WebElement term : literal) {
      String word = term.getAttribute("data-term").replace("##", "");
      assertTrue("literal term [" + word + "] is not in [" + query + "]", lowered.contains(word));
    }

    // Grades and the query's metrics, checked against the ranks and grades the page shows.
    for (String column : List.of("PROSPER", "BM25", "Hybrid")) {
      WebElement header =
          browser.findElement(By.cssSelector("[data-column='" + column + "'] [data-metrics]"));
      double shownMrr = number(header.getText(), "MRR@10");
      List<WebElement> rows = hits(column);
      double mrr = 0;
      for (int rank = 0; rank < Math.min(10, rows.size()); rank++) {
        List<WebElement> grade = rows.get(rank).findElements(By.cssSelector("[data-grade]"));
        if (!grade.isEmpty() && Double.parseDouble(grade.get(0).getAttribute("data-grade")) >= 3) {
          mrr = 1.0 / (rank + 1);
          break;
        }
      }
      assertEquals(column + " MRR@10", mrr, shownMrr, 0.0005);
    }
    assertFalse(
        "no hit shows its grade",
        browser.findElements(By.cssSelector(".hit [data-grade]")).isEmpty());
    screenshot("workbench-desktop.png");

    // A hit's explanation: per-term contributions, literal and expansion, summing to its score.
    WebElement first = hits("PROSPER").get(0);
    double score = Double.parseDouble(first.findElement(By.cssSelector(".score")).getText());
    first.click();
    waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("explain")));
    waiting().until(d -> !d.findElements(By.cssSelector("#explain-terms .bar")).isEmpty());
    String summary = browser.findElement(By.id("explain-summary")).getText();
    double explained = number(summary, "PROSPER score");
    double literalPart = number(summary, "literal terms");
    double expansionPart = number(summary, "expansions");
    assertEquals("explained score = the hit's score", score, explained, 0.0015);
    assertEquals("literal + expansions = score", explained, literalPart + expansionPart, 0.003);
    double bars = 0;
    for (WebElement bar : browser.findElements(By.cssSelector("#explain-terms .bar .value"))) {
      bars += Double.parseDouble(bar.getText());
    }
    assertEquals(
        "the bars add up to the score", explained, bars, 0.002 * hitsIn("#explain-terms .bar"));
    screenshot("workbench-explanation.png");
    browser.findElement(By.id("explain-close")).click();
  }

  private static int hitsIn(String selector) {
    return Math.max(1, browser.findElements(By.cssSelector(selector)).size());
  }

  @Test
  public void randomJudgedQueryButtonSearchesAJudgedQuery() {
    browser.manage().window().setSize(new Dimension(1400, 1000));
    browser.get(workbench);
    WebElement random = waiting().until(ExpectedConditions.elementToBeClickable(By.id("random")));
    random.click();
    waiting()
        .until(
            driver ->
                driver.findElements(By.cssSelector("#columns [data-column] [data-metrics]")).size()
                    == 3);
    String shown = browser.findElement(By.id("query")).getAttribute("value");
    assertTrue("[" + shown + "] is not a judged query", queries.containsValue(shown));
  }

  @Test
  public void phoneWidthStacksTheColumnsWithoutSidewaysScrolling() throws Exception {
    browser.manage().window().setSize(new Dimension(390, 844));
    browser.get(workbench);
    searchFor(judgedQuery());
    JavascriptExecutor js = browser;
    long viewport = (Long) js.executeScript("return window.innerWidth");
    long page = (Long) js.executeScript("return document.documentElement.scrollWidth");
    assertTrue("the page scrolls sideways: " + page + " > " + viewport, page <= viewport);
    List<WebElement> columns = browser.findElements(By.cssSelector("#columns [data-column]"));
    int x = columns.get(0).getLocation().getX();
    for (int i = 1; i < columns.size(); i++) {
      assertEquals("columns are stacked", x, columns.get(i).getLocation().getX());
      assertTrue(
          "columns are stacked top to bottom",
          columns.get(i).getLocation().getY() > columns.get(i - 1).getLocation().getY());
    }
    screenshot("workbench-phone.png");
  }

  @Test
  public void aNodeThatIsDownAndAModelThatIsNotRegisteredAreSaidPlainly() throws Exception {
    browser.manage().window().setSize(new Dimension(1400, 1000));
    // A cluster address where no node listens (the test node itself serves the other tests).
    String down = startWorkbench("http://127.0.0.1:" + freePort(), MODEL);
    browser.get(down);
    WebElement box = waiting().until(ExpectedConditions.elementToBeClickable(By.id("query")));
    box.sendKeys("cordless drill", Keys.ENTER);
    WebElement message =
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("message")));
    assertTrue(message.getText(), message.getText().contains("OpenSearch is not reachable at"));
    assertTrue(browser.findElement(By.id("results")).getAttribute("hidden") != null);
    screenshot("workbench-node-down.png");

    String missing = startWorkbench(cluster, "no-such-model");
    browser.get(missing);
    box = waiting().until(ExpectedConditions.elementToBeClickable(By.id("query")));
    box.sendKeys("cordless drill", Keys.ENTER);
    message = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("message")));
    assertTrue(
        message.getText(),
        message.getText().contains("model [no-such-model] is not registered on the cluster"));

    // The API itself answers with the status and the sentence.
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(down + "api/search?q=drill")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(502, response.statusCode());
    assertNotNull(JSON.readTree(response.body()).get("error"));
  }
}
