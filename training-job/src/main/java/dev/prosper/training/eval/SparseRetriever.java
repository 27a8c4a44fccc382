package dev.prosper.training.eval;

import dev.prosper.encoder.model.EncodedText;
import dev.prosper.encoder.model.HeadConfig;
import dev.prosper.encoder.model.Mode;
import dev.prosper.encoder.model.ProsperModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Exact retrieval with a PROSPER encoder: documents encoded with TopK_kd into an in-memory inverted
 * index, queries with TopK_kq, scored by the model's (normalised) dot product over every product.
 */
public final class SparseRetriever implements Retriever {

  private static final int CHUNK = 512;

  private final ProsperModel model;
  private int queryTopK;
  private final List<String> ids;
  private final List<EncodedText> encoded;
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
   *     document_top_k)
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
    this.ids = new ArrayList<>(products.keySet());
    List<String> titles = new ArrayList<>(products.values());
    encoded = new ArrayList<>(titles.size());
    for (int start = 0; start < titles.size(); start += CHUNK) {
      List<String> chunk = titles.subList(start, Math.min(titles.size(), start + CHUNK));
      encoded.addAll(model.encode(chunk, Mode.DOCUMENT, documentK));
      if (progress != null) {
        progress.accept(chunk.size());
      }
    }
    index(Integer.MAX_VALUE);
  }

  /**
   * Re-indexes the encoded products keeping each one's {@code topK} largest weights (index-time
   * pruning of the same encoding; at most what the constructor kept).
   */
  public void pruneDocuments(int topK) {
    if (topK < 1) {
      throw new IllegalArgumentException("[--document-top-k] must be at least 1, got " + topK);
    }
    index(topK);
  }

  /** Builds the inverted index from each product's first {@code topK} terms (heaviest first). */
  private void index(int topK) {
    int vocab = model.config().vocabSize();
    int[] df = new int[vocab];
    long totalTerms = 0;
    for (EncodedText text : encoded) {
      List<EncodedText.Term> terms = text.terms();
      int kept = Math.min(topK, terms.size());
      for (int i = 0; i < kept; i++) {
        df[terms.get(i).id()]++;
      }
      totalTerms += kept;
    }
    meanDocumentTerms = encoded.isEmpty() ? 0 : (double) totalTerms / encoded.size();
    postingsDocs = new int[vocab][];
    postingsWeights = new float[vocab][];
    int[] fill = new int[vocab];
    for (int t = 0; t < vocab; t++) {
      postingsDocs[t] = new int[df[t]];
      postingsWeights[t] = new float[df[t]];
    }
    HeadConfig.Normalization normalization = model.head().normalization();
    boolean docL2 =
        normalization == HeadConfig.Normalization.BOTH_L2
            || normalization == HeadConfig.Normalization.DOC_L2;
    for (int d = 0; d < encoded.size(); d++) {
      List<EncodedText.Term> terms = encoded.get(d).terms();
      List<EncodedText.Term> kept = terms.subList(0, Math.min(topK, terms.size()));
      double norm = 1;
      if (docL2) {
        double squares = 0;
        for (EncodedText.Term term : kept) {
          squares += (double) term.weight() * term.weight();
        }
        norm = Math.max(1e-12, Math.sqrt(squares));
      }
      for (EncodedText.Term term : kept) {
        int t = term.id();
        postingsDocs[t][fill[t]] = d;
        postingsWeights[t][fill[t]++] = (float) (term.weight() / norm);
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
    List<EncodedText> encoded = model.encode(texts, Mode.QUERY, queryTopK);
    float[] scores = new float[ids.size()];
    int[] touched = new int[ids.size()];
    boolean[] seen = new boolean[ids.size()];
    List<List<Scored>> results = new ArrayList<>(texts.size());
    for (EncodedText query : encoded) {
      double norm = queryNorm(query);
      int count = 0;
      for (EncodedText.Term term : query.terms()) {
        float weight = (float) (term.weight() / norm);
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

  private double queryNorm(EncodedText query) {
    return switch (model.head().normalization()) {
      case QUERY_L2, BOTH_L2 -> Math.max(1e-12, query.toSparseVector().l2Norm());
      case QUERY_L1 -> Math.max(1e-12, query.terms().stream().mapToDouble(t -> t.weight()).sum());
      case NONE, DOC_L2 -> 1;
    };
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
