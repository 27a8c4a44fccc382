package dev.prosper.training.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.ProsperHead;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.tokenizer.TokenBatch;
import java.util.List;

/**
 * Sparsity from the first step: shifts the LM-head bias so that the basic representation w (paper
 * eqs. 5–7) starts with about {@code activeTerms} non-zero terms per title instead of half the
 * vocabulary. Each vocabulary term j's pooled logit is standardised over a sample of the
 * catalogue's titles (mean μ_j, deviation σ_j), one threshold τ on the standardised logits is found
 * that leaves a of them positive per title on average, and the bias of term j is lowered by μ_j + τ
 * σ_j, so that the saturation's relu (eq. 5) zeroes the rest. Training (InfoNCE and FLOPS, eqs.
 * 12–13) then moves terms in and out from a sparse start. Literal terms still get weight through
 * the LRN (eq. 9).
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

  private static long countAbove(float[] values, double threshold) {
    long count = 0;
    for (float v : values) {
      if (v > threshold) {
        count++;
      }
    }
    return count;
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
    if (sample.isEmpty()) {
      throw new IllegalArgumentException("--initial-active-terms needs sample titles, got none");
    }
    int vocab = model.config().vocabSize();
    int n = sample.size();
    float[] logits = pooledLogits(model, sample);
    // Standardise each term's logit over the sample, then find one threshold on the standardised
    // values that leaves activeTerms of them positive per title on average.
    double[] mean = new double[vocab];
    double[] std = new double[vocab];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < vocab; j++) {
        mean[j] += logits[i * vocab + j] / (double) n;
      }
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < vocab; j++) {
        double d = logits[i * vocab + j] - mean[j];
        std[j] += d * d / n;
      }
    }
    for (int j = 0; j < vocab; j++) {
      std[j] = Math.max(1e-6, Math.sqrt(std[j]));
      // Ids that can never be terms (special tokens, punctuation under terms=alphanumeric) do not
      // count towards the target: they sit far below any threshold.
      boolean term = model.isTerm(j);
      for (int i = 0; i < n; i++) {
        logits[i * vocab + j] =
            term ? (float) ((logits[i * vocab + j] - mean[j]) / std[j]) : Float.NEGATIVE_INFINITY;
      }
    }
    long wanted = Math.min((long) n * vocab, (long) activeTerms * n);
    double low = -50;
    double high = 50;
    for (int iteration = 0; iteration < 40; iteration++) {
      double middle = (low + high) / 2;
      if (countAbove(logits, middle) > wanted) {
        low = middle;
      } else {
        high = middle;
      }
    }
    double threshold = high;
    float[] shift = new float[vocab];
    for (int j = 0; j < vocab; j++) {
      shift[j] = model.isTerm(j) ? (float) (mean[j] + threshold * std[j]) : 0f;
    }
    long active = countAbove(logits, threshold);
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
