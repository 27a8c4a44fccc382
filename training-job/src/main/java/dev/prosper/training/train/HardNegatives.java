package dev.prosper.training.train;

import dev.prosper.training.data.Dataset;
import dev.prosper.training.eval.Bm25Retriever;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.en.EnglishAnalyzer;

/**
 * Hard-negative pools for training (paper eq. 2: negatives in the InfoNCE denominator beside the
 * in-batch ones). A query's pool holds the products judged for it below the positive grade (in
 * click logs: shown but not clicked) and the top BM25 results (English analyzer) that are not among
 * its positives. No product whose title equals a positive's title is ever in a pool.
 */
public final class HardNegatives {

  private HardNegatives() {}

  /** Pool sizes of a mining run, for the training log. */
  public record Pools(Map<String, List<String>> pools, int judged, int mined) {}

  /**
   * @param bm25Depth BM25 results looked at per query (0: judged negatives only)
   */
  public static Pools mine(Dataset data, List<String> queryIds, double minGrade, int bm25Depth)
      throws IOException {
    Map<String, List<String>> pools = new HashMap<>();
    int judged = 0;
    int mined = 0;
    List<List<String>> rankings = List.of();
    if (bm25Depth > 0) {
      try (Bm25Retriever bm25 = new Bm25Retriever(data.products(), new EnglishAnalyzer())) {
        rankings =
            bm25.search(queryIds.stream().map(q -> data.queries().get(q)).toList(), bm25Depth);
      }
    }
    for (int i = 0; i < queryIds.size(); i++) {
      String q = queryIds.get(i);
      Map<String, Double> grades = data.qrels().getOrDefault(q, Map.of());
      Set<String> positiveTitles = data.titlesOf(data.positives(q, minGrade));
      Set<String> pool = new LinkedHashSet<>();
      for (Map.Entry<String, Double> judgement : grades.entrySet()) {
        String title = data.products().get(judgement.getKey());
        if (judgement.getValue() < minGrade && !positiveTitles.contains(title)) {
          pool.add(judgement.getKey());
        }
      }
      judged += pool.size();
      if (!rankings.isEmpty()) {
        for (String id : rankings.get(i)) {
          if (!grades.containsKey(id)
              && !positiveTitles.contains(data.products().get(id))
              && pool.add(id)) {
            mined++;
          }
        }
      }
      if (!pool.isEmpty()) {
        pools.put(q, new ArrayList<>(pool));
      }
    }
    return new Pools(pools, judged, mined);
  }
}
