package dev.prosper.training.eval;

import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.model.ProsperModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Exact retrieval with a PROSPER encoder: the served vectors ({@link ProsperModel#encode}) of the
 * documents in an in-memory inverted index and of the queries, scored by their dot product over
 * every product, as the node scores them.
 */
public final class SparseRetriever implements Retriever {

  private static final int CHUNK = 512;

  private final ProsperModel model;
  private int queryTopK;
  private final List<String> ids;
  private final List<SparseVector> encoded;
  private int[][] postingsDocs;
  private float[][] postingsWeights;
  private double meanDocumentTerms;
  private double queryTerms;
  private double overlap;
  private int queries;

  /**
   * Encodes and indexes the products.
   *
   * @param progress told how many more products were encoded after each chunk (may be null)
   */
  public SparseRetriever(ProsperModel model, Map<String, String> products, IntConsumer progress) {
    this(model, products, 0, 0, progress);
  }

  /**
   * @param queryTopK at most this many query terms (0: the model's k_q)
   * @param documentTopK at most this many document terms (0: as served, the artefact's
   *     document_top_k and document_min_weight)
   */
  public SparseRetriever(
      ProsperModel model,
      Map<String, String> products,
      int queryTopK,
      int documentTopK,
      IntConsumer progress) {
    this.model = model;
    this.queryTopK = cap(model.head().window(Mode.QUERY), queryTopK);
    int documentK =
        documentTopK > 0
            ? Math.min(model.head().window(Mode.DOCUMENT), documentTopK)
            : model.head().servedTopK(Mode.DOCUMENT);
    // Encoded without the weight threshold and normalisation, which each index applies itself.
    ProsperModel documents = model.withHead(model.head().withDocumentMinWeight(0f));
    this.ids = new ArrayList<>(products.keySet());
    List<String> titles = new ArrayList<>(products.values());
    encoded = new ArrayList<>(titles.size());
    for (int start = 0; start < titles.size(); start += CHUNK) {
      List<String> chunk = titles.subList(start, Math.min(titles.size(), start + CHUNK));
      encoded.addAll(documents.encodeUnnormalized(chunk, Mode.DOCUMENT, documentK));
      if (progress != null) {
        progress.accept(chunk.size());
      }
    }
    if (documentTopK > 0) {
      index(text -> text);
    } else {
      pruneDocumentsAsServed();
    }
  }

  /**
   * Re-indexes the encoded products keeping each one's {@code topK} largest weights (index-time
   * pruning of the same encoding; at most what the constructor kept).
   */
  public void pruneDocuments(int topK) {
    if (topK < 1) {
      throw new IllegalArgumentException("[--document-top-k] must be at least 1, got " + topK);
    }
    index(text -> text.topK(topK));
  }

  /**
   * Re-indexes the encoded products as the plugin serves them: the artefact's document_top_k, then
   * its document_min_weight ({@link dev.prosper.encoder.head.HeadConfig#keepServedTerms}).
   */
  public void pruneDocumentsAsServed() {
    var head = model.head();
    int topK = head.servedTopK(Mode.DOCUMENT);
    index(text -> head.keepServedTerms(text.topK(topK), Mode.DOCUMENT));
  }

  /**
   * Re-indexes the encoded products keeping every term whose weight reaches one threshold for the
   * whole catalogue: the weight at which the products keep {@code meanTerms} terms on average (of
   * at most what the constructor kept). A product keeps as many terms as carry that weight, and at
   * least its largest.
   *
   * @return the threshold
   */
  public float pruneDocumentsToMeanTerms(double meanTerms) {
    return pruneDocumentsToMeanTerms(meanTerms, id -> true);
  }

  /**
   * {@link #pruneDocumentsToMeanTerms(double)} with the threshold chosen on the products {@code
   * sample} accepts (on all of them when it accepts none), and applied to every product.
   */
  public float pruneDocumentsToMeanTerms(
      double meanTerms, java.util.function.Predicate<String> sample) {
    checkMeanTerms(meanTerms);
    float threshold = thresholdForMeanTerms(ids, encoded, meanTerms, sample);
    var head = model.head().withDocumentMinWeight(threshold);
    index(text -> head.keepServedTerms(text, Mode.DOCUMENT));
    return threshold;
  }

  /**
   * @throws IllegalArgumentException naming {@code --document-mean-terms} unless {@code meanTerms}
   *     is at least 1
   */
  public static void checkMeanTerms(double meanTerms) {
    if (!(meanTerms >= 1)) {
      throw new IllegalArgumentException(
          "[--document-mean-terms] must be at least 1, got " + meanTerms);
    }
  }

  /**
   * {@link #thresholdForMeanTerms(List, double)} over the vectors whose ids {@code sample} accepts
   * (over all of them when it accepts none).
   */
  static float thresholdForMeanTerms(
      List<String> ids,
      List<SparseVector> vectors,
      double meanTerms,
      java.util.function.Predicate<String> sample) {
    List<SparseVector> chosen = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      if (sample.test(ids.get(i))) {
        chosen.add(vectors.get(i));
      }
    }
    return thresholdForMeanTerms(chosen.isEmpty() ? vectors : chosen, meanTerms);
  }

  /**
   * The weight at or above which {@code vectors} keep {@code meanTerms} terms each on average: the
   * {@code round(meanTerms · n)}-th largest of all their weights (the smallest weight when they
   * have fewer).
   */
  static float thresholdForMeanTerms(List<SparseVector> vectors, double meanTerms) {
    int total = 0;
    for (SparseVector text : vectors) {
      total += text.size();
    }
    if (total == 0) {
      return 0f;
    }
    float[] weights = new float[total];
    int filled = 0;
    for (SparseVector text : vectors) {
      for (SparseVector.Term term : text.terms()) {
        weights[filled++] = term.weight();
      }
    }
    java.util.Arrays.sort(weights);
    long kept = Math.max(1, Math.min(total, Math.round(meanTerms * vectors.size())));
    return weights[(int) (total - kept)];
  }

  /**
   * Builds the inverted index from each product's terms that {@code keep} leaves (heaviest first),
   * normalised as served.
   */
  private void index(java.util.function.UnaryOperator<SparseVector> keep) {
    int vocab = model.config().vocabSize();
    List<SparseVector> documents = new ArrayList<>(encoded.size());
    int[] df = new int[vocab];
    long totalTerms = 0;
    for (SparseVector text : encoded) {
      SparseVector kept = model.head().normalize(keep.apply(text), Mode.DOCUMENT);
      documents.add(kept);
      for (SparseVector.Term term : kept.terms()) {
        df[term.id()]++;
      }
      totalTerms += kept.size();
    }
    meanDocumentTerms = encoded.isEmpty() ? 0 : (double) totalTerms / encoded.size();
    postingsDocs = new int[vocab][];
    postingsWeights = new float[vocab][];
    int[] fill = new int[vocab];
    for (int t = 0; t < vocab; t++) {
      postingsDocs[t] = new int[df[t]];
      postingsWeights[t] = new float[df[t]];
    }
    for (int d = 0; d < documents.size(); d++) {
      for (SparseVector.Term term : documents.get(d).terms()) {
        int t = term.id();
        postingsDocs[t][fill[t]] = d;
        postingsWeights[t][fill[t]++] = term.weight();
      }
    }
  }

  /**
   * Serves queries with at most {@code topK} terms from now on (0: the model's k_q) and restarts
   * the query statistics; the document index is kept.
   */
  public void useQueryTopK(int topK) {
    queryTopK = cap(model.head().window(Mode.QUERY), topK);
    queryTerms = 0;
    overlap = 0;
    queries = 0;
  }

  @Override
  public List<List<Scored>> searchScored(List<String> texts, int k) {
    List<SparseVector> encoded = model.encode(texts, Mode.QUERY, queryTopK);
    float[] scores = new float[ids.size()];
    int[] touched = new int[ids.size()];
    boolean[] seen = new boolean[ids.size()];
    List<List<Scored>> results = new ArrayList<>(texts.size());
    for (SparseVector query : encoded) {
      int count = 0;
      for (SparseVector.Term term : query.terms()) {
        float weight = term.weight();
        int[] docs = postingsDocs[term.id()];
        float[] weights = postingsWeights[term.id()];
        overlap += (double) docs.length / ids.size();
        for (int i = 0; i < docs.length; i++) {
          int d = docs[i];
          if (!seen[d]) {
            seen[d] = true;
            touched[count++] = d;
          }
          scores[d] += weight * weights[i];
        }
      }
      queryTerms += query.size();
      queries++;
      results.add(TopK.scored(TopK.best(scores, touched, count, k), scores, ids));
      for (int i = 0; i < count; i++) {
        scores[touched[i]] = 0;
        seen[touched[i]] = false;
      }
    }
    return results;
  }

  private static int cap(int window, int cap) {
    return cap > 0 ? Math.min(window, cap) : window;
  }

  @Override
  public Map<String, Double> statistics() {
    Map<String, Double> stats = new LinkedHashMap<>();
    stats.put("mean query terms", queries == 0 ? 0 : queryTerms / queries);
    stats.put("mean document terms", meanDocumentTerms);
    stats.put("mean overlapping terms", queries == 0 ? 0 : overlap / queries);
    return stats;
  }
}
