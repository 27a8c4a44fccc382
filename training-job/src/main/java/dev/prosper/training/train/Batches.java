package dev.prosper.training.train;

import dev.prosper.training.data.Dataset;
import dev.prosper.training.data.Typos;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The (query, positive product) pairs of one epoch, in batches with no product and no query text
 * twice (so no in-batch negative is a false negative of that kind). Each query gives one pair per
 * epoch with one of its positives drawn at random (or up to {@code positivesPerQuery} pairs, each
 * with a different positive, then all pairs shuffled), and optionally hard negatives drawn from its
 * mined pool; the order depends only on the seed and epoch.
 */
public final class Batches {

  /**
   * One training pair.
   *
   * @param negatives titles of the pair's hard negatives (paper eq. 2: extra terms of the InfoNCE
   *     denominator next to the in-batch negatives)
   * @param positiveTitles titles of every product judged a positive for the query: no document with
   *     one of these titles counts as a negative for it
   * @param teacher a cross-encoder teacher's scores of the pair's positive and hard negatives, by
   *     title, for those it scored (empty: no distillation for this pair)
   */
  public record Pair(
      String queryId,
      String query,
      String productId,
      String title,
      List<String> negatives,
      Set<String> positiveTitles,
      Map<String, Float> teacher) {

    /** The same pair with another query text (a misspelling of its own). */
    public Pair withQuery(String text) {
      return new Pair(queryId, text, productId, title, negatives, positiveTitles, teacher);
    }

    /** A pair without teacher scores. */
    public Pair(
        String queryId,
        String query,
        String productId,
        String title,
        List<String> negatives,
        Set<String> positiveTitles) {
      this(queryId, query, productId, title, negatives, positiveTitles, Map.of());
    }

    /** A pair without hard negatives whose only known positive is its product. */
    public Pair(String queryId, String query, String productId, String title) {
      this(queryId, query, productId, title, List.of(), Set.of(title));
    }
  }

  private Batches() {}

  public static List<List<Pair>> epoch(
      Dataset data, List<String> queryIds, double minGrade, int batchSize, long seed, int epoch) {
    return epoch(data, queryIds, minGrade, batchSize, seed, epoch, Map.of(), 0);
  }

  /**
   * @param negativePools per query id, the product ids it may take hard negatives from (never its
   *     positives: {@link HardNegatives#mine})
   * @param negativesPerQuery hard negatives drawn per pair (fewer when the pool is smaller)
   */
  public static List<List<Pair>> epoch(
      Dataset data,
      List<String> queryIds,
      double minGrade,
      int batchSize,
      long seed,
      int epoch,
      Map<String, List<String>> negativePools,
      int negativesPerQuery) {
    return epoch(
        data, queryIds, minGrade, batchSize, seed, epoch, negativePools, negativesPerQuery, 1);
  }

  /**
   * @param positivesPerQuery pairs per query and epoch, each with a different positive (fewer when
   *     the query has fewer positives); with more than one, the pairs are shuffled so that a
   *     query's pairs land in different batches (a batch never holds a query twice)
   */
  public static List<List<Pair>> epoch(
      Dataset data,
      List<String> queryIds,
      double minGrade,
      int batchSize,
      long seed,
      int epoch,
      Map<String, List<String>> negativePools,
      int negativesPerQuery,
      int positivesPerQuery) {
    return epoch(
        data,
        queryIds,
        minGrade,
        batchSize,
        seed,
        epoch,
        negativePools,
        negativesPerQuery,
        positivesPerQuery,
        Map.of());
  }

  /**
   * @param teacherScores per query id, a cross-encoder teacher's scores by product id; each pair
   *     carries those of its positive and hard negatives ({@link Pair#teacher})
   */
  public static List<List<Pair>> epoch(
      Dataset data,
      List<String> queryIds,
      double minGrade,
      int batchSize,
      long seed,
      int epoch,
      Map<String, List<String>> negativePools,
      int negativesPerQuery,
      int positivesPerQuery,
      Map<String, Map<String, Float>> teacherScores) {
    if (positivesPerQuery < 1) {
      throw new IllegalArgumentException(
          "[--positives-per-query] must be at least 1, got " + positivesPerQuery);
    }
    Random random = new Random(seed * 1_000_003L + epoch);
    List<String> order = new ArrayList<>(queryIds);
    Collections.shuffle(order, random);
    List<Pair> pairs = new ArrayList<>();
    for (String q : order) {
      List<String> positives = data.positives(q, minGrade);
      if (positives.isEmpty()) {
        continue;
      }
      Set<String> positiveTitles = data.titlesOf(positives);
      List<String> drawnPositives;
      if (positivesPerQuery == 1) {
        drawnPositives = List.of(positives.get(random.nextInt(positives.size())));
      } else {
        List<String> shuffled = new ArrayList<>(positives);
        Collections.shuffle(shuffled, random);
        drawnPositives = shuffled.subList(0, Math.min(positivesPerQuery, shuffled.size()));
      }
      for (String p : drawnPositives) {
        pairs.add(
            pair(
                data,
                q,
                p,
                positiveTitles,
                negativePools,
                negativesPerQuery,
                teacherScores.getOrDefault(q, Map.of()),
                random));
      }
    }
    if (positivesPerQuery > 1) {
      Collections.shuffle(pairs, random);
    }
    Deque<Pair> pending = new ArrayDeque<>(pairs);
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

  /**
   * An epoch's batches with {@code rate} of the pairs' queries misspelled ({@link
   * Typos#maybeMisspell}), drawn from their own generator for the seed and epoch, so the batches,
   * positives and negatives are those of the run without typos; rate 0 returns {@code batches}. A
   * misspelling may rarely equal another query of its batch; false negatives are decided by the
   * positives' titles ({@link #falseNegatives}), so that costs nothing.
   */
  public static List<List<Pair>> withTypos(
      List<List<Pair>> batches, double rate, long seed, int epoch) {
    if (rate == 0) {
      return batches;
    }
    Random random = new Random(seed * 1_000_003L + epoch + 0x7970L);
    List<List<Pair>> out = new ArrayList<>(batches.size());
    for (List<Pair> batch : batches) {
      List<Pair> changed = new ArrayList<>(batch.size());
      for (Pair pair : batch) {
        changed.add(pair.withQuery(Typos.maybeMisspell(pair.query(), rate, random)));
      }
      out.add(changed);
    }
    return out;
  }

  private static Pair pair(
      Dataset data,
      String q,
      String p,
      Set<String> positiveTitles,
      Map<String, List<String>> negativePools,
      int negativesPerQuery,
      Map<String, Float> scores,
      Random random) {
    List<String> negatives = new ArrayList<>();
    Map<String, Float> teacher = new java.util.HashMap<>();
    List<String> pool = negativePools.getOrDefault(q, List.of());
    for (String id : drawNegatives(data, pool, positiveTitles, negativesPerQuery, random)) {
      String title = data.products().get(id);
      negatives.add(title);
      if (scores.containsKey(id)) {
        teacher.put(title, scores.get(id));
      }
    }
    String title = data.products().get(p);
    if (scores.containsKey(p)) {
      teacher.put(title, scores.get(p));
    }
    return new Pair(
        q,
        data.queries().get(q),
        p,
        title,
        List.copyOf(negatives),
        Set.copyOf(positiveTitles),
        Map.copyOf(teacher));
  }

  /**
   * Up to {@code count} hard negatives drawn at random from {@code pool}: product ids whose titles
   * differ from each other and from every positive's. An empty pool or count draws nothing and
   * leaves {@code random} untouched.
   */
  static List<String> drawNegatives(
      Dataset data, List<String> pool, Set<String> positiveTitles, int count, Random random) {
    List<String> chosen = new ArrayList<>();
    if (count == 0 || pool.isEmpty()) {
      return chosen;
    }
    List<String> drawn = new ArrayList<>(pool);
    Collections.shuffle(drawn, random);
    Set<String> titles = new HashSet<>();
    for (String id : drawn) {
      String title = data.products().get(id);
      if (chosen.size() < count && !positiveTitles.contains(title) && titles.add(title)) {
        chosen.add(id);
      }
    }
    return chosen;
  }

  /**
   * The documents of a batch in score-matrix column order: each pair's positive, then every pair's
   * hard negatives in pair order, each title once (a negative that is already a column, another
   * pair's positive or negative, is not added again).
   */
  public static List<String> documents(List<Pair> batch) {
    List<String> documents = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Pair pair : batch) {
      documents.add(pair.title());
      seen.add(pair.title());
    }
    for (Pair pair : batch) {
      for (String negative : pair.negatives()) {
        if (seen.add(negative)) {
          documents.add(negative);
        }
      }
    }
    return documents;
  }

  /**
   * Which (query, document) cells of the score matrix are left out of the InfoNCE denominator: a
   * document other than the pair's own positive whose title is one of the query's positives (a
   * false negative).
   *
   * @return {@code [queries][documents]}, true where the cell is excluded
   */
  public static boolean[][] falseNegatives(List<Pair> batch, List<String> documents) {
    boolean[][] excluded = new boolean[batch.size()][documents.size()];
    for (int i = 0; i < batch.size(); i++) {
      Set<String> positives = batch.get(i).positiveTitles();
      for (int j = 0; j < documents.size(); j++) {
        excluded[i][j] = j != i && positives.contains(documents.get(j));
      }
    }
    return excluded;
  }
}
