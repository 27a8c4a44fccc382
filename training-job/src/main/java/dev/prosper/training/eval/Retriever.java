package dev.prosper.training.eval;

import java.util.List;
import java.util.Map;

/** A first-stage retriever over a fixed product set. */
public interface Retriever {

  /** A product and its score. */
  record Scored(String id, double score) {}

  /** Ranked product ids, best first, at most {@code k}, for each query text in order. */
  default List<List<String>> search(List<String> queries, int k) {
    return searchScored(queries, k).stream()
        .map(ranking -> ranking.stream().map(Scored::id).toList())
        .toList();
  }

  /** Ranked products with their scores, best first, at most {@code k}, per query text. */
  List<List<Scored>> searchScored(List<String> queries, int k);

  /** Sparsity figures for the report (empty for systems without term vectors). */
  default Map<String, Double> statistics() {
    return Map.of();
  }
}
