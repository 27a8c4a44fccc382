package dev.prosper.encoder.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.testing.TinyCheckpoints;
import dev.prosper.encoder.tokenizer.TokenBatch;
import dev.prosper.encoder.weights.DType;
import dev.prosper.encoder.weights.FloatTensor;
import dev.prosper.encoder.weights.SafetensorsFile;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The DJL Qwen2 against a naive double-precision reference written here from the architecture's
 * definition, on small random checkpoints the test writes.
 */
class Qwen2ParityTest {

  private static final int VOCAB = 1000;

  @TempDir Path directory;

  @ParameterizedTest
  @CsvSource({"F32, false", "BF16, true", "F16, false"})
  void hiddenStatesAndLogitsMatchTheReferenceOnAPaddedBatch(DType dtype, boolean tied)
      throws Exception {
    Path checkpoint = TinyCheckpoints.writeQwen2(directory, VOCAB, 11, dtype, tied);
    long[][] sequences = {randomIds(9, 1), randomIds(4, 2), randomIds(1, 3)};
    TokenBatch batch = pad(sequences);
    try (ProsperModel model =
            Backbones.load(checkpoint.toString(), HeadConfig.DEFAULT, Device.cpu(), 1);
        SafetensorsFile file = SafetensorsFile.open(checkpoint.resolve("model.safetensors"))) {
      Qwen2Config config = (Qwen2Config) model.config();
      assertEquals(tied, config.tieWordEmbeddings());
      Map<String, FloatTensor> weights = new HashMap<>();
      for (String name : file.tensors().keySet()) {
        weights.put(name, file.readFloats(name));
      }
      float[] hidden;
      float[] logits;
      try (NDManager manager = model.parameters().manager().newSubManager()) {
        NDArray[] in = ProsperModel.inputs(manager, batch);
        NDArray states = model.backbone().hiddenStates(model.parameters(), in[0], in[1]);
        hidden = states.toFloatArray();
        logits = model.backbone().logits(model.parameters(), states).toFloatArray();
      }
      int length = batch.ids()[0].length;
      double worstHidden = 0;
      double worstLogit = 0;
      for (int r = 0; r < sequences.length; r++) {
        double[][] expected = reference(weights, config, sequences[r]);
        String head = tied ? "model.embed_tokens.weight" : "lm_head.weight";
        double[][] expectedLogits = linear(expected, weights.get(head), null);
        for (int t = 0; t < sequences[r].length; t++) {
          for (int h = 0; h < 64; h++) {
            worstHidden =
                Math.max(worstHidden, Math.abs(expected[t][h] - hidden[(r * length + t) * 64 + h]));
          }
          for (int v = 0; v < VOCAB; v++) {
            worstLogit =
                Math.max(
                    worstLogit,
                    Math.abs(expectedLogits[t][v] - logits[(r * length + t) * VOCAB + v]));
          }
        }
      }
      assertTrue(worstHidden < 1e-4, "hidden states differ by " + worstHidden);
      assertTrue(worstLogit < 1e-4, "logits differ by " + worstLogit);
    }
  }

  @Test
  void appendingTokensLeavesEarlierPositionsUnchanged() throws Exception {
    Path checkpoint = TinyCheckpoints.writeQwen2(directory, VOCAB, 5, DType.F32, true);
    long[] longer = randomIds(12, 9);
    long[] prefix = java.util.Arrays.copyOf(longer, 7);
    try (ProsperModel model =
        Backbones.load(checkpoint.toString(), HeadConfig.DEFAULT, Device.cpu(), 1)) {
      float[] a = hidden(model, pad(new long[][] {prefix}));
      float[] b = hidden(model, pad(new long[][] {longer}));
      for (int i = 0; i < 7 * 64; i++) {
        assertEquals(a[i], b[i], 1e-5, "position " + i / 64);
      }
      float[] c = hidden(model, pad(new long[][] {prefix, longer}));
      for (int i = 0; i < 7 * 64; i++) {
        assertEquals(a[i], c[i], 1e-5, "padded position " + i / 64);
      }
    }
  }

  private static float[] hidden(ProsperModel model, TokenBatch batch) {
    try (NDManager manager = model.parameters().manager().newSubManager()) {
      NDArray[] in = ProsperModel.inputs(manager, batch);
      return model.backbone().hiddenStates(model.parameters(), in[0], in[1]).toFloatArray();
    }
  }

  private static long[] randomIds(int length, long seed) {
    Random random = new Random(seed);
    long[] ids = new long[length];
    for (int i = 0; i < length; i++) {
      ids[i] = 4 + random.nextInt(VOCAB - 4);
    }
    return ids;
  }

  private static TokenBatch pad(long[][] sequences) {
    int longest = 0;
    for (long[] sequence : sequences) {
      longest = Math.max(longest, sequence.length);
    }
    long[][] ids = new long[sequences.length][longest];
    long[][] mask = new long[sequences.length][longest];
    for (int r = 0; r < sequences.length; r++) {
      System.arraycopy(sequences[r], 0, ids[r], 0, sequences[r].length);
      java.util.Arrays.fill(mask[r], 0, sequences[r].length, 1L);
    }
    return new TokenBatch(ids, mask);
  }

  // ---- the reference: one sequence, double precision, loops only ----

  static double[][] reference(Map<String, FloatTensor> w, Qwen2Config c, long[] ids) {
    int n = ids.length;
    int hidden = c.hiddenSize();
    int heads = c.heads();
    int kvHeads = c.keyValueHeads();
    int size = hidden / heads;
    FloatTensor embed = w.get("model.embed_tokens.weight");
    double[][] x = new double[n][hidden];
    for (int t = 0; t < n; t++) {
      for (int h = 0; h < hidden; h++) {
        x[t][h] = embed.values()[(int) ids[t] * hidden + h];
      }
    }
    for (int l = 0; l < c.layers(); l++) {
      String p = "model.layers." + l + ".";
      double[][] h = rms(x, w.get(p + "input_layernorm.weight"), c.rmsNormEps());
      double[][] q =
          linear(h, w.get(p + "self_attn.q_proj.weight"), w.get(p + "self_attn.q_proj.bias"));
      double[][] k =
          linear(h, w.get(p + "self_attn.k_proj.weight"), w.get(p + "self_attn.k_proj.bias"));
      double[][] v =
          linear(h, w.get(p + "self_attn.v_proj.weight"), w.get(p + "self_attn.v_proj.bias"));
      rope(q, heads, size, c.ropeTheta());
      rope(k, kvHeads, size, c.ropeTheta());
      double[][] context = new double[n][hidden];
      for (int head = 0; head < heads; head++) {
        int kvHead = head / (heads / kvHeads);
        for (int t = 0; t < n; t++) {
          double[] scores = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j <= t; j++) {
            double dot = 0;
            for (int d = 0; d < size; d++) {
              dot += q[t][head * size + d] * k[j][kvHead * size + d];
            }
            scores[j] = dot / Math.sqrt(size);
            max = Math.max(max, scores[j]);
          }
          double sum = 0;
          for (int j = 0; j <= t; j++) {
            scores[j] = Math.exp(scores[j] - max);
            sum += scores[j];
          }
          for (int j = 0; j <= t; j++) {
            for (int d = 0; d < size; d++) {
              context[t][head * size + d] += scores[j] / sum * v[j][kvHead * size + d];
            }
          }
        }
      }
      add(x, linear(context, w.get(p + "self_attn.o_proj.weight"), null));
      h = rms(x, w.get(p + "post_attention_layernorm.weight"), c.rmsNormEps());
      double[][] gate = linear(h, w.get(p + "mlp.gate_proj.weight"), null);
      double[][] up = linear(h, w.get(p + "mlp.up_proj.weight"), null);
      for (int t = 0; t < n; t++) {
        for (int i = 0; i < gate[t].length; i++) {
          gate[t][i] = gate[t][i] / (1 + Math.exp(-gate[t][i])) * up[t][i];
        }
      }
      add(x, linear(gate, w.get(p + "mlp.down_proj.weight"), null));
    }
    return rms(x, w.get("model.norm.weight"), c.rmsNormEps());
  }

  static double[][] linear(double[][] x, FloatTensor weight, FloatTensor bias) {
    int out = (int) weight.shape()[0];
    int in = (int) weight.shape()[1];
    double[][] y = new double[x.length][out];
    for (int t = 0; t < x.length; t++) {
      for (int o = 0; o < out; o++) {
        double sum = bias == null ? 0 : bias.values()[o];
        for (int i = 0; i < in; i++) {
          sum += x[t][i] * weight.values()[o * in + i];
        }
        y[t][o] = sum;
      }
    }
    return y;
  }

  private static double[][] rms(double[][] x, FloatTensor weight, double eps) {
    double[][] y = new double[x.length][x[0].length];
    for (int t = 0; t < x.length; t++) {
      double sum = 0;
      for (double value : x[t]) {
        sum += value * value;
      }
      double scale = 1 / Math.sqrt(sum / x[t].length + eps);
      for (int h = 0; h < x[t].length; h++) {
        y[t][h] = x[t][h] * scale * weight.values()[h];
      }
    }
    return y;
  }

  private static void rope(double[][] x, int heads, int size, double theta) {
    int half = size / 2;
    for (int t = 0; t < x.length; t++) {
      for (int head = 0; head < heads; head++) {
        for (int i = 0; i < half; i++) {
          double angle = t * Math.pow(theta, -2.0 * i / size);
          int a = head * size + i;
          int b = a + half;
          double x1 = x[t][a];
          double x2 = x[t][b];
          x[t][a] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
          x[t][b] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
        }
      }
    }
  }

  private static void add(double[][] x, double[][] y) {
    for (int t = 0; t < x.length; t++) {
      for (int h = 0; h < x[t].length; h++) {
        x[t][h] += y[t][h];
      }
    }
  }
}
