package dev.prosper.training.workbench;

import dev.prosper.training.data.Dataset;
import dev.prosper.training.eval.RankingMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Graded judgements for the workbench: which query texts are judged, each hit's grade, and the
 * query's MRR@10 / nDCG@10 per column, computed exactly as {@code evaluate} computes them (same
 * {@link RankingMetrics}, the gain floor of the whole judgement set).
 */
final class Judgements {

  private final Map<String, Map<String, Double>> byText = new LinkedHashMap<>();
  private final List<String> judgedTexts = new ArrayList<>();
  private final double minGrade;
  private final double floor;
  private final Random random;

  Judgements(
      Map<String, String> queries,
      Map<String, Map<String, Double>> qrels,
      double minGrade,
      long seed) {
    this.minGrade = minGrade;
    this.random = new Random(seed);
    for (Map.Entry<String, Map<String, Double>> judged : qrels.entrySet()) {
      String text = queries.get(judged.getKey());
      byText.merge(
          key(text),
          new LinkedHashMap<>(judged.getValue()),
          (a, b) -> {
            a.putAll(b);
            return a;
          });
      if (judged.getValue().values().stream().anyMatch(g -> g >= minGrade)) {
        judgedTexts.add(text);
      }
    }
    this.floor = RankingMetrics.gradeFloor(byText.values());
  }

  /**
   * Reads {@code queries.tsv} (query id, text) and {@code qrels.tsv} (query id, product id, grade).
   */
  static Judgements read(Path queries, Path qrels, double minGrade, long seed) throws IOException {
    Map<String, String> texts = Dataset.readTexts(queries);
    return new Judgements(texts, Dataset.readJudgements(qrels, texts), minGrade, seed);
  }

  /** Query texts with at least one positive. */
  int judgedQueries() {
    return judgedTexts.size();
  }

  double minGrade() {
    return minGrade;
  }

  /** The judged products of a query text (case and spacing ignored), or null if it is unjudged. */
  Map<String, Double> of(String text) {
    return byText.get(key(text));
  }

  /** A query text with at least one positive, drawn at random. */
  String randomQuery() {
    return judgedTexts.isEmpty() ? null : judgedTexts.get(random.nextInt(judgedTexts.size()));
  }

  /** MRR@10 and nDCG@10 of one ranking of product ids for a judged query. */
  Map<String, Double> metrics(List<String> ranking, Map<String, Double> judged) {
    Map<String, double[]> values =
        RankingMetrics.perQuery(List.of(ranking), List.of(judged), minGrade, floor);
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (String name : List.of("MRR@10", "nDCG@10")) {
      double[] perQuery = values.get(name);
      metrics.put(name, perQuery.length == 0 ? 0.0 : perQuery[0]);
    }
    return metrics;
  }

  private static String key(String text) {
    return text.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
  }
}
