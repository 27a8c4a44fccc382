package dev.prosper.training.eval;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Queries with a word that no product title contains: on a product catalogue these are mostly
 * misspellings ({@code backsplach}, {@code led blubs}) and words run together ({@code
 * outdoorfurniture}), with plurals and brands the catalogue lacks: queries a lexical match cannot
 * serve. {@code evaluate} reports every system on them and on the other queries separately, which
 * is how typo-aware training ({@code train --typo-rate}) is judged.
 *
 * <p>A word is a run of three or more letters, lower-cased; digits and punctuation split words, so
 * sizes and model numbers ({@code 14x18x1}) never count as unknown.
 */
public final class UnknownWords {

  /** The metrics the breakdown reports. */
  public static final List<String> METRICS = List.of("MRR@10", "nDCG@10", "Recall@1000");

  private static final Pattern WORD = Pattern.compile("\\p{L}{3,}");

  private UnknownWords() {}

  /** Every word of the titles. */
  public static Set<String> vocabulary(Collection<String> titles) {
    Set<String> words = new HashSet<>();
    for (String title : titles) {
      Matcher m = WORD.matcher(title.toLowerCase(Locale.ROOT));
      while (m.find()) {
        words.add(m.group());
      }
    }
    return words;
  }

  /**
   * For each query that has a positive (the queries {@link RankingMetrics#perQuery} gives values
   * for, in their order), whether it has a word no title contains.
   */
  public static boolean[] ofJudgedQueries(
      List<String> queries,
      List<Map<String, Double>> judgements,
      double minGrade,
      Collection<String> titles) {
    Set<String> vocabulary = vocabulary(titles);
    boolean[] unknown = new boolean[queries.size()];
    int n = 0;
    for (int q = 0; q < queries.size(); q++) {
      if (RankingMetrics.positives(judgements.get(q), minGrade) > 0) {
        unknown[n++] = hasUnknownWord(queries.get(q), vocabulary);
      }
    }
    return Arrays.copyOf(unknown, n);
  }

  /** How many queries {@code selected} selects. */
  public static int count(boolean[] selected) {
    int n = 0;
    for (boolean s : selected) {
      n += s ? 1 : 0;
    }
    return n;
  }

  /** Whether {@code query} has a word that is not in {@code vocabulary}. */
  public static boolean hasUnknownWord(String query, Set<String> vocabulary) {
    Matcher m = WORD.matcher(query.toLowerCase(Locale.ROOT));
    while (m.find()) {
      if (!vocabulary.contains(m.group())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Each system's mean of {@link #METRICS} over the queries where {@code selected} is true.
   *
   * @param perQuery per system, per metric, one value per query (as {@link RankingMetrics#perQuery}
   *     gives them, in the order of {@code selected})
   * @param selected which queries to average; none selected gives no means, only "queries" 0
   */
  public static Map<String, Map<String, Double>> means(
      Map<String, Map<String, double[]>> perQuery, boolean[] selected) {
    Map<String, Map<String, Double>> means = new LinkedHashMap<>();
    int n = count(selected);
    perQuery.forEach(
        (system, metrics) -> {
          Map<String, Double> row = new LinkedHashMap<>();
          for (String metric : METRICS) {
            double[] values = metrics.get(metric);
            if (values.length != selected.length) {
              throw new IllegalArgumentException(
                  system + ": " + values.length + " values for " + selected.length + " queries");
            }
            if (n > 0) {
              double sum = 0;
              for (int q = 0; q < values.length; q++) {
                sum += selected[q] ? values[q] : 0;
              }
              row.put(metric, sum / n);
            }
          }
          row.put("queries", (double) n);
          means.put(system, row);
        });
    return means;
  }

  /** The complement of {@code selected}. */
  public static boolean[] not(boolean[] selected) {
    boolean[] out = Arrays.copyOf(selected, selected.length);
    for (int i = 0; i < out.length; i++) {
      out[i] = !out[i];
    }
    return out;
  }
}
