package dev.prosper.training.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.prosper.encoder.model.HeadConfig;
import dev.prosper.encoder.model.ProsperHead;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.tokenizer.TokenBatch;
import java.util.Arrays;
import java.util.List;

/**
 * Sparsity from the first step: shifts the LM-head bias so that the basic representation w (paper
 * eqs. 5–7) starts with about {@code activeTerms} non-zero terms per title instead of half the
 * vocabulary. For each vocabulary term j the bias is lowered by the (1 − a/|V|) quantile of term
 * j's pooled logit over a sample of the catalogue's titles, so that the saturation's relu (eq. 5)
 * zeroes term j for all but a fraction a/|V| of titles. Training (InfoNCE and FLOPS, eqs. 12–13)
 * then moves terms in and out from a sparse start. Literal terms still get weight through the LRN
 * (eq. 9).
 */
public final class HeadBias {

  static final String BIAS = "cls.predictions.bias";

  private HeadBias() {}

  /**
   * Pooled logits (before saturation) of texts as the head pools them: {@code [texts, vocab]}
   * row-major.
   */
  static float[] pooledLogits(ProsperModel model, List<String> texts) {
    int vocab = model.config().vocabSize();
    float[] out = new float[texts.size() * vocab];
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int start = 0; start < texts.size(); start += 32) {
        List<String> chunk = texts.subList(start, Math.min(texts.size(), start + 32));
        TokenBatch batch = model.tokenize(chunk);
        try (NDManager manager = model.parameters().manager().newSubManager()) {
          NDArray[] in = ProsperModel.inputs(manager, batch);
          NDArray hidden = model.backbone().hiddenStates(model.parameters(), in[0], in[1]);
          NDArray logits;
          if (model.head().pooling() == HeadConfig.Pooling.LAST) {
            logits = model.backbone().logits(model.parameters(), ProsperHead.last(hidden, in[1]));
          } else {
            NDArray all = model.backbone().logits(model.parameters(), hidden);
            NDArray padding =
                in[1]
                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                    .sub(1f)
                    .mul(1e9f)
                    .expandDims(2);
            logits = all.add(padding).max(new int[] {1});
          }
          float[] values = logits.toFloatArray();
          System.arraycopy(values, 0, out, start * vocab, values.length);
        }
      }
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    return out;
  }

  /**
   * Lowers the LM-head bias as described above.
   *
   * @return the mean number of non-zero basic terms per sample title afterwards
   * @throws IllegalArgumentException if the backbone's LM head has no bias (Qwen2)
   */
  public static double sparsify(ProsperModel model, List<String> sample, int activeTerms) {
    if (!model.parameters().contains(BIAS)) {
      throw new IllegalArgumentException(
          "--initial-active-terms needs an LM head with a bias (BERT family); "
              + model.config().architecture()
              + " has none");
    }
    int vocab = model.config().vocabSize();
    int n = sample.size();
    float[] logits = pooledLogits(model, sample);
    double fraction = Math.min(1.0, (double) activeTerms / vocab);
    int rank = Math.min(n - 1, Math.max(0, (int) Math.floor(n * (1 - fraction))));
    float[] shift = new float[vocab];
    float[] column = new float[n];
    for (int j = 0; j < vocab; j++) {
      for (int i = 0; i < n; i++) {
        column[i] = logits[i * vocab + j];
      }
      Arrays.sort(column);
      shift[j] = column[rank];
    }
    long active = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < vocab; j++) {
        if (logits[i * vocab + j] - shift[j] > 0) {
          active++;
        }
      }
    }
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager scope = model.parameters().manager().newSubManager()) {
      NDArray bias = model.parameters().get(BIAS);
      NDArray delta = scope.create(shift);
      bias.subi(delta);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    return (double) active / n;
  }
}
