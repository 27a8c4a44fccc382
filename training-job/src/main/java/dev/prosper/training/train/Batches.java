package dev.prosper.training.train;

import dev.prosper.training.data.Dataset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The (query, positive product) pairs of one epoch, in batches with no product and no query text
 * twice (so no in-batch negative is a false negative of that kind). Each query gives one pair per
 * epoch with one of its positives drawn at random; the order depends only on the seed and epoch.
 */
public final class Batches {

  /** One training pair. */
  public record Pair(String queryId, String query, String productId, String title) {}

  private Batches() {}

  public static List<List<Pair>> epoch(
      Dataset data, List<String> queryIds, double minGrade, int batchSize, long seed, int epoch) {
    Random random = new Random(seed * 1_000_003L + epoch);
    List<String> order = new ArrayList<>(queryIds);
    Collections.shuffle(order, random);
    Deque<Pair> pending = new ArrayDeque<>();
    for (String q : order) {
      List<String> positives = data.positives(q, minGrade);
      if (positives.isEmpty()) {
        continue;
      }
      String p = positives.get(random.nextInt(positives.size()));
      pending.add(new Pair(q, data.queries().get(q), p, data.products().get(p)));
    }
    List<List<Pair>> batches = new ArrayList<>();
    while (!pending.isEmpty()) {
      List<Pair> batch = new ArrayList<>(batchSize);
      Set<String> products = new HashSet<>();
      Set<String> queries = new HashSet<>();
      Set<String> titles = new HashSet<>();
      Deque<Pair> deferred = new ArrayDeque<>();
      while (!pending.isEmpty() && batch.size() < batchSize) {
        Pair pair = pending.poll();
        if (products.contains(pair.productId())
            || titles.contains(pair.title())
            || queries.contains(pair.query())) {
          deferred.add(pair);
          continue;
        }
        batch.add(pair);
        products.add(pair.productId());
        titles.add(pair.title());
        queries.add(pair.query());
      }
      while (!deferred.isEmpty()) {
        pending.addFirst(deferred.pollLast());
      }
      if (batch.size() < 2) {
        break;
      }
      batches.add(batch);
    }
    return batches;
  }
}
