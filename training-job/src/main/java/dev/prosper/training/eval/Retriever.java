package dev.prosper.training.eval;

import java.util.List;
import java.util.Map;

/** A first-stage retriever over a fixed product set. */
public interface Retriever {

  /** Ranked product ids, best first, at most {@code k}, for each query text in order. */
  List<List<String>> search(List<String> queries, int k);

  /** Sparsity figures for the report (empty for systems without term vectors). */
  default Map<String, Double> statistics() {
    return Map.of();
  }
}
