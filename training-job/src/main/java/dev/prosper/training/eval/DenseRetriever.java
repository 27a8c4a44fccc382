package dev.prosper.training.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.prosper.encoder.backbone.BertConfig;
import dev.prosper.encoder.head.ProsperHead;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.tokenizer.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
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
      float[][] embedded = embed(model, chunk);
      System.arraycopy(embedded, 0, documents, start, embedded.length);
      if (progress != null) {
        progress.accept(chunk.size());
      }
    }
  }

  @Override
  public List<List<Scored>> searchScored(List<String> queries, int k) {
    float[][] embedded = embed(model, queries);
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

  /**
   * Sentence embeddings the way the backbone was trained to give them (BERT: CLS or mean pooling of
   * the last layer; Qwen2: last position), L2-normalised.
   */
  static float[][] embed(ProsperModel model, List<String> texts) {
    float[][] embeddings = new float[texts.size()][];
    int batchSize = model.batchSize();
    for (int start = 0; start < texts.size(); start += batchSize) {
      List<String> chunk = texts.subList(start, Math.min(texts.size(), start + batchSize));
      TokenBatch batch = model.tokenize(chunk);
      try (NDManager manager = model.parameters().manager().newSubManager()) {
        NDArray[] in = ProsperModel.inputs(manager, batch);
        NDArray hidden = model.backbone().hiddenStates(model.parameters(), in[0], in[1]);
        NDArray pooled;
        if (model.config() instanceof BertConfig bert && bert.densePooling().equals("mean")) {
          NDArray mask = in[1].toType(DataType.FLOAT32, false).expandDims(2);
          pooled = hidden.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}));
        } else if (model.config() instanceof BertConfig) {
          pooled = hidden.get(":, 0, :");
        } else {
          pooled = ProsperHead.last(hidden, in[1]);
        }
        float[] flat = ProsperHead.l2(pooled).toFloatArray();
        int dim = model.config().hiddenSize();
        for (int r = 0; r < chunk.size(); r++) {
          embeddings[start + r] = Arrays.copyOfRange(flat, r * dim, (r + 1) * dim);
        }
      }
    }
    return embeddings;
  }
}
