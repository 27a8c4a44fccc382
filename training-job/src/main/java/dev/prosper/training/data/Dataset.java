package dev.prosper.training.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Products, queries and graded judgements, read from one of two layouts:
 *
 * <ul>
 *   <li>uniform TSV: {@code products.tsv} (id, title), {@code queries[-SPLIT].tsv} (id, text),
 *       {@code qrels[-SPLIT].tsv} (query id, product id, grade);
 *   <li>Multi-CPR: {@code corpus.tsv} (id, text), {@code SPLIT.query.txt} (id, text), {@code
 *       qrels.SPLIT.tsv} (query id, 0, product id, grade).
 * </ul>
 *
 * UTF-8, tab-separated, no header. Any malformed line stops reading with file, line and reason.
 */
public record Dataset(
    Map<String, String> products,
    Map<String, String> queries,
    Map<String, Map<String, Double>> qrels,
    String description) {

  public Dataset {
    products = Collections.unmodifiableMap(products);
    queries = Collections.unmodifiableMap(queries);
    qrels = Collections.unmodifiableMap(qrels);
  }

  /**
   * Reads a dataset directory.
   *
   * @param split the query split ({@code train}, {@code dev}, ...); the uniform layout falls back
   *     to {@code queries.tsv} / {@code qrels.tsv} when there is no split file
   */
  public static Dataset read(Path directory, String split) throws IOException {
    if (!Files.isDirectory(directory)) {
      throw new NoSuchFileException(directory.toString(), null, "dataset directory not found");
    }
    if (Files.isRegularFile(directory.resolve("corpus.tsv"))) {
      Map<String, String> products = readPairs(directory.resolve("corpus.tsv"));
      Map<String, String> queries = readPairs(directory.resolve(split + ".query.txt"));
      Map<String, Map<String, Double>> qrels =
          readQrels(directory.resolve("qrels." + split + ".tsv"), queries, products, true);
      return new Dataset(products, queries, qrels, "Multi-CPR layout, split " + split);
    }
    Path queriesFile = firstExisting(directory, "queries-" + split + ".tsv", "queries.tsv");
    Path qrelsFile = firstExisting(directory, "qrels-" + split + ".tsv", "qrels.tsv");
    Map<String, String> products = readPairs(directory.resolve("products.tsv"));
    Map<String, String> queries = readPairs(queriesFile);
    Map<String, Map<String, Double>> qrels = readQrels(qrelsFile, queries, products, false);
    return new Dataset(
        products,
        queries,
        qrels,
        "TSV layout, " + queriesFile.getFileName() + " / " + qrelsFile.getFileName());
  }

  private static Path firstExisting(Path directory, String... names) throws NoSuchFileException {
    for (String name : names) {
      if (Files.isRegularFile(directory.resolve(name))) {
        return directory.resolve(name);
      }
    }
    throw new NoSuchFileException(
        directory.resolve(names[0]).toString(), null, "also looked for " + List.of(names));
  }

  /** Lines of a UTF-8 file, strictly decoded. */
  private static List<String> lines(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "file not found");
    }
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    List<String> lines = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines.add(line);
      }
    } catch (CharacterCodingException e) {
      throw new DataFormatException(
          file, lines.size() + 1, "not valid UTF-8 (" + e.getClass().getSimpleName() + ")");
    }
    if (lines.isEmpty() || lines.stream().allMatch(String::isBlank)) {
      throw new DataFormatException(file, 0, "file is empty");
    }
    return lines;
  }

  /**
   * Reads a two-column TSV file (id, text), as {@code queries.tsv} and {@code products.tsv}.
   *
   * @throws DataFormatException naming the line of a malformed row or duplicate id
   */
  public static Map<String, String> readTexts(Path file) throws IOException {
    return readPairs(file);
  }

  /**
   * Reads a judgement file (query id, product id, grade) for the given queries, without checking
   * product ids against a product file (the products live in an index).
   */
  public static Map<String, Map<String, Double>> readJudgements(
      Path file, Map<String, String> queries) throws IOException {
    return readQrels(file, queries, null, false);
  }

  private static Map<String, String> readPairs(Path file) throws IOException {
    Map<String, String> pairs = new LinkedHashMap<>();
    List<String> lines = lines(file);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isEmpty() && i == lines.size() - 1) {
        continue;
      }
      String[] columns = line.split("\t", -1);
      if (columns.length != 2) {
        throw new DataFormatException(
            file, i + 1, "expected 2 tab-separated columns (id, text), found " + columns.length);
      }
      if (columns[0].isBlank()) {
        throw new DataFormatException(file, i + 1, "empty id");
      }
      if (pairs.putIfAbsent(columns[0], columns[1]) != null) {
        throw new DataFormatException(file, i + 1, "duplicate id [" + columns[0] + "]");
      }
    }
    return pairs;
  }

  private static Map<String, Map<String, Double>> readQrels(
      Path file, Map<String, String> queries, Map<String, String> products, boolean multiCpr)
      throws IOException {
    Map<String, Map<String, Double>> qrels = new LinkedHashMap<>();
    List<String> lines = lines(file);
    int expected = multiCpr ? 4 : 3;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isEmpty() && i == lines.size() - 1) {
        continue;
      }
      String[] columns = line.split("\t", -1);
      if (columns.length != expected) {
        throw new DataFormatException(
            file,
            i + 1,
            "expected "
                + expected
                + " tab-separated columns ("
                + (multiCpr ? "query id, 0, product id, grade" : "query id, product id, grade")
                + "), found "
                + columns.length);
      }
      String query = columns[0];
      String product = columns[multiCpr ? 2 : 1];
      String gradeText = columns[multiCpr ? 3 : 2];
      if (!queries.containsKey(query)) {
        throw new DataFormatException(file, i + 1, "unknown query id [" + query + "]");
      }
      if (products != null && !products.containsKey(product)) {
        throw new DataFormatException(file, i + 1, "unknown product id [" + product + "]");
      }
      double grade;
      try {
        grade = Double.parseDouble(gradeText);
      } catch (NumberFormatException e) {
        throw new DataFormatException(file, i + 1, "grade [" + gradeText + "] is not a number");
      }
      if (!Double.isFinite(grade)) {
        throw new DataFormatException(file, i + 1, "grade [" + gradeText + "] is not finite");
      }
      qrels.computeIfAbsent(query, q -> new LinkedHashMap<>()).put(product, grade);
    }
    return qrels;
  }

  /** Product ids judged at least {@code minGrade} for a query. */
  public List<String> positives(String query, double minGrade) {
    List<String> positives = new ArrayList<>();
    qrels
        .getOrDefault(query, Map.of())
        .forEach(
            (product, grade) -> {
              if (grade >= minGrade) {
                positives.add(product);
              }
            });
    return positives;
  }

  /**
   * The titles of products (a positive's title is what no document may have to count as a
   * negative), in the order of {@code ids}, each once.
   */
  public java.util.Set<String> titlesOf(java.util.Collection<String> ids) {
    java.util.Set<String> titles = new java.util.LinkedHashSet<>();
    for (String id : ids) {
      titles.add(products.get(id));
    }
    return titles;
  }

  /** Query ids with at least one positive. */
  public List<String> queriesWithPositives(double minGrade) {
    return queries.keySet().stream().filter(q -> !positives(q, minGrade).isEmpty()).toList();
  }

  /**
   * The deterministic hold-out split by query text: a query is held out when a hash of its text
   * falls in the first {@code percent} of 100 buckets.
   */
  public static boolean heldOut(String text, int percent) {
    return Math.floorMod(fnv1a(text), 100) < percent;
  }

  private static int fnv1a(String text) {
    int hash = 0x811c9dc5;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x01000193;
    }
    return hash;
  }

  /** The same products with only the queries (and their judgements) that pass the filter. */
  public Dataset filterQueries(Predicate<String> keepText, String label) {
    Map<String, String> kept = new LinkedHashMap<>();
    queries.forEach(
        (id, text) -> {
          if (keepText.test(text)) {
            kept.put(id, text);
          }
        });
    Map<String, Map<String, Double>> keptQrels = new LinkedHashMap<>();
    qrels.forEach(
        (id, judged) -> {
          if (kept.containsKey(id)) {
            keptQrels.put(id, judged);
          }
        });
    return new Dataset(products, kept, keptQrels, description + ", " + label);
  }

  /** Training queries: those outside the hold-out split. */
  public Dataset trainingSplit(int holdoutPercent) {
    return holdoutPercent <= 0
        ? this
        : filterQueries(
            t -> !heldOut(t, holdoutPercent), "hold-out " + holdoutPercent + "% excluded");
  }

  /** The hold-out split (what {@link #trainingSplit} excludes). */
  public Dataset heldOutSplit(int holdoutPercent) {
    return holdoutPercent <= 0
        ? this
        : filterQueries(t -> heldOut(t, holdoutPercent), "hold-out " + holdoutPercent + "% only");
  }

  /**
   * The same queries over a smaller product set: every product judged for the given queries, then
   * random others (seeded) up to {@code size}.
   */
  public Dataset sampleProducts(List<String> queryIds, int size, long seed) {
    java.util.Set<String> ids = judgedProducts(queryIds);
    List<String> others = new ArrayList<>(products.keySet());
    Collections.shuffle(others, new java.util.Random(seed));
    for (String id : others) {
      if (ids.size() >= size) {
        break;
      }
      ids.add(id);
    }
    Map<String, String> kept = new LinkedHashMap<>();
    products.forEach(
        (id, title) -> {
          if (ids.contains(id)) {
            kept.put(id, title);
          }
        });
    return new Dataset(
        kept, queries, qrels, description + ", " + kept.size() + " sampled products");
  }

  /** Every product judged for any of the queries, at any grade, in judgement order. */
  public java.util.Set<String> judgedProducts(List<String> queryIds) {
    java.util.Set<String> ids = new java.util.LinkedHashSet<>();
    for (String q : queryIds) {
      ids.addAll(qrels.getOrDefault(q, Map.of()).keySet());
    }
    return ids;
  }

  /**
   * The same data plus synthetic queries ({@link PseudoQueries}), each judged {@code grade} for the
   * product it was made from; their ids are {@code pseudo-1}, {@code pseudo-2}, ...
   */
  public Dataset withPseudoQueries(List<PseudoQueries.Query> extra, double grade) {
    Map<String, String> allQueries = new LinkedHashMap<>(queries);
    Map<String, Map<String, Double>> allQrels = new LinkedHashMap<>(qrels);
    int n = 0;
    for (PseudoQueries.Query query : extra) {
      String id = "pseudo-" + (++n);
      allQueries.put(id, query.text());
      allQrels.put(id, Map.of(query.productId(), grade));
    }
    return new Dataset(
        products, allQueries, allQrels, description + ", " + extra.size() + " pseudo-queries");
  }

  /** Writes the uniform TSV layout (products.tsv, queries.tsv, qrels.tsv). */
  public void writeTsv(Path directory) throws IOException {
    Files.createDirectories(directory);
    List<String> products = new ArrayList<>();
    this.products.forEach((id, title) -> products.add(id + "\t" + title));
    Files.write(directory.resolve("products.tsv"), products, StandardCharsets.UTF_8);
    List<String> queries = new ArrayList<>();
    this.queries.forEach((id, text) -> queries.add(id + "\t" + text));
    Files.write(directory.resolve("queries.tsv"), queries, StandardCharsets.UTF_8);
    List<String> qrels = new ArrayList<>();
    this.qrels.forEach((q, judged) -> judged.forEach((p, g) -> qrels.add(q + "\t" + p + "\t" + g)));
    Files.write(directory.resolve("qrels.tsv"), qrels, StandardCharsets.UTF_8);
  }
}
