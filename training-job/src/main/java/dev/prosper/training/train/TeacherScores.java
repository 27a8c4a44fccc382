package dev.prosper.training.train;

import dev.prosper.training.data.DataFormatException;
import dev.prosper.training.data.Dataset;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A cross-encoder teacher's scores of (query, product) pairs, the file {@code teacher} writes and
 * {@code train --distill} reads: UTF-8, tab-separated, no header, one {@code query id, product id,
 * score} per line.
 */
public final class TeacherScores {

  /** The file name in the teacher's output directory. */
  public static final String FILE = "teacher-scores.tsv";

  /** One scored pair. */
  public record Entry(String queryId, String productId, float score) {}

  private TeacherScores() {}

  public static void write(Path file, List<Entry> entries) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Entry e : entries) {
        out.write(
            e.queryId()
                + "\t"
                + e.productId()
                + "\t"
                + String.format(Locale.ROOT, "%.6f", e.score())
                + "\n");
      }
    }
  }

  /**
   * Hard-negative pools from a teacher's scores: per logged query, the products it scored whose
   * title is none of the query's positives' (its positives of grade ≥ minGrade), in file order.
   */
  public static Map<String, List<String>> pools(
      Dataset data, Map<String, Map<String, Float>> scores, List<String> queries, double minGrade) {
    Map<String, List<String>> pools = new LinkedHashMap<>();
    for (String q : queries) {
      Map<String, Float> scored = scores.get(q);
      if (scored == null) {
        continue;
      }
      java.util.Set<String> positiveTitles = data.titlesOf(data.positives(q, minGrade));
      List<String> pool = new java.util.ArrayList<>();
      for (String id : scored.keySet()) {
        String title = data.products().get(id);
        if (title != null && !positiveTitles.contains(title)) {
          pool.add(id);
        }
      }
      if (!pool.isEmpty()) {
        pools.put(q, List.copyOf(pool));
      }
    }
    return pools;
  }

  /**
   * Reads a scores file (or {@value #FILE} in a directory): per query id, per product id, the
   * score.
   *
   * @throws DataFormatException naming the file and line of a malformed line
   */
  public static Map<String, Map<String, Float>> read(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      file = file.resolve(FILE);
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "[--distill] " + file + ": no such file (the `teacher` command writes " + FILE + ")");
    }
    Map<String, Map<String, Float>> scores = new LinkedHashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        String[] fields = line.split("\t", -1);
        if (fields.length != 3 || fields[0].isEmpty() || fields[1].isEmpty()) {
          throw new DataFormatException(
              file, number, "expected query id, product id and score separated by tabs");
        }
        float score;
        try {
          score = Float.parseFloat(fields[2]);
        } catch (NumberFormatException e) {
          score = Float.NaN;
        }
        if (!Float.isFinite(score)) {
          throw new DataFormatException(
              file, number, "score [" + fields[2] + "] is not a finite number");
        }
        scores.computeIfAbsent(fields[0], q -> new LinkedHashMap<>()).put(fields[1], score);
      }
    }
    if (scores.isEmpty()) {
      throw new DataFormatException(file, 0, "no teacher scores");
    }
    return Collections.unmodifiableMap(scores);
  }
}
