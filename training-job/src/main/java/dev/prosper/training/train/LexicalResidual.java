package dev.prosper.training.train;

import dev.prosper.training.eval.Bm25Retriever;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;

/**
 * BM25 as a fixed part of the training logits, for a model that is served fused with BM25 ({@code
 * train --bm25-residual w}): the InfoNCE logit of query i and title j becomes s_ij + BM25_ij / w,
 * so that the contrastive loss only pushes the model where BM25 ranks wrongly, and the node's
 * {@code bool} of a {@code match} clause and a {@code prosper_sparse} clause of boost w scores w ·
 * (s + BM25 / w) = BM25 + w · s, the same ranking (a residual over lexical retrieval, as in Gao et
 * al., 2021, "Complement lexical retrieval model with semantic residual embeddings").
 *
 * <p>BM25 as a {@code match} query of the English analyzer scores a title over the catalogue (k1
 * 1.2, b 0.75): Σ over the query's analysed tokens of idf(t) · tf / (tf + k1 · (1 - b + b · dl /
 * avgdl)), idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)), with the exact title length where Lucene
 * stores a lossy one.
 */
public final class LexicalResidual {

  private static final double K1 = 1.2;
  private static final double B = 0.75;

  private final Analyzer analyzer = new EnglishAnalyzer();
  private final Map<String, Integer> documentFrequency = new HashMap<>();
  private final int documents;
  private final double averageLength;
  private final double weight;

  /**
   * @param titles the catalogue's titles (the corpus statistics)
   * @param weight w, the weight of PROSPER's clause beside BM25's when served
   */
  public LexicalResidual(Collection<String> titles, double weight) {
    if (!(weight > 0) || !Double.isFinite(weight)) {
      throw new IllegalArgumentException(
          "[--bm25-residual] must be a positive number, got " + weight);
    }
    this.weight = weight;
    long tokens = 0;
    for (String title : titles) {
      List<String> analysed = analyse(title);
      tokens += analysed.size();
      for (String term : new java.util.HashSet<>(analysed)) {
        documentFrequency.merge(term, 1, Integer::sum);
      }
    }
    documents = titles.size();
    averageLength = documents == 0 ? 0 : (double) tokens / documents;
  }

  /** BM25 of one query and one title. */
  public double bm25(String query, String title) {
    return bm25(analyse(query), new Title(analyse(title)));
  }

  /** BM25 / w of every query (rows) and title (columns), row-major: the logits' fixed part. */
  public float[] offsets(List<String> queries, List<String> titles) {
    List<Title> analysedTitles = titles.stream().map(t -> new Title(analyse(t))).toList();
    float[] offsets = new float[queries.size() * titles.size()];
    for (int i = 0; i < queries.size(); i++) {
      List<String> query = analyse(queries.get(i));
      for (int j = 0; j < titles.size(); j++) {
        offsets[i * titles.size() + j] = (float) (bm25(query, analysedTitles.get(j)) / weight);
      }
    }
    return offsets;
  }

  /** A title's term frequencies and length. */
  private record Title(Map<String, Integer> tf, int length) {
    Title(List<String> terms) {
      this(frequencies(terms), terms.size());
    }

    private static Map<String, Integer> frequencies(List<String> terms) {
      Map<String, Integer> tf = new HashMap<>();
      for (String term : terms) {
        tf.merge(term, 1, Integer::sum);
      }
      return tf;
    }
  }

  private double bm25(List<String> query, Title title) {
    double norm = K1 * (1 - B + B * title.length() / averageLength);
    double score = 0;
    for (String term : query) {
      Integer f = title.tf().get(term);
      if (f != null) {
        int df = documentFrequency.getOrDefault(term, 0);
        double idf = Math.log(1 + (documents - df + 0.5) / (df + 0.5));
        score += idf * f / (f + norm);
      }
    }
    return score;
  }

  private List<String> analyse(String text) {
    return Bm25Retriever.terms(analyzer, text);
  }
}
