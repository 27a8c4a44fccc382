package dev.prosper.training.eval;

import dev.prosper.encoder.model.ProsperModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/** Exact cosine retrieval with the backbone's own sentence embedding (the dense baseline). */
public final class DenseRetriever implements Retriever {

  private static final int CHUNK = 512;

  private final ProsperModel model;
  private final List<String> ids;
  private final float[][] documents;

  public DenseRetriever(ProsperModel model, Map<String, String> products, IntConsumer progress) {
    this.model = model;
    this.ids = new ArrayList<>(products.keySet());
    List<String> titles = new ArrayList<>(products.values());
    documents = new float[titles.size()][];
    for (int start = 0; start < titles.size(); start += CHUNK) {
      List<String> chunk = titles.subList(start, Math.min(titles.size(), start + CHUNK));
      float[][] embedded = model.denseEmbeddings(chunk);
      System.arraycopy(embedded, 0, documents, start, embedded.length);
      if (progress != null) {
        progress.accept(chunk.size());
      }
    }
  }

  @Override
  public List<List<Scored>> searchScored(List<String> queries, int k) {
    float[][] embedded = model.denseEmbeddings(queries);
    int[] all = new int[documents.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    List<List<Scored>> results = new ArrayList<>(queries.size());
    float[] scores = new float[documents.length];
    for (float[] query : embedded) {
      for (int d = 0; d < documents.length; d++) {
        float sum = 0;
        float[] doc = documents[d];
        for (int i = 0; i < doc.length; i++) {
          sum += query[i] * doc[i];
        }
        scores[d] = sum;
      }
      results.add(TopK.scored(TopK.best(scores, all, all.length, k), scores, ids));
    }
    return results;
  }
}
