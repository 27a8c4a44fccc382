package dev.prosper.encoder.head;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosper.encoder.head.HeadConfig.Lrn;
import dev.prosper.encoder.head.HeadConfig.Normalization;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each head equation against a direct computation on random inputs. */
class ProsperHeadTest {

  private static final int ROWS = 3;
  private static final int VOCAB = 50;
  private final NDManager manager = NDManager.newBaseManager();
  private final Random random = new Random(42);

  @AfterEach
  void close() {
    manager.close();
  }

  private float[] gaussian(int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private NDArray matrix(float[] values, int rows) {
    return manager.create(values, new Shape(rows, values.length / rows));
  }

  @Test
  void saturationIsLogOnePlusRelu() {
    float[] x = gaussian(ROWS * VOCAB);
    float[] actual = ProsperHead.saturate(matrix(x, ROWS)).toFloatArray();
    for (int i = 0; i < x.length; i++) {
      assertEquals(Math.log1p(Math.max(0, x[i])), actual[i], 1e-6);
    }
  }

  @Test
  void lastPoolingTakesTheLastRealPositionAndMaxPoolingIgnoresPadding() {
    int length = 5;
    float[] states = new float[ROWS * length * VOCAB];
    for (int i = 0; i < states.length; i++) {
      states[i] = (float) Math.abs(random.nextGaussian());
    }
    long[] lengths = {5, 2, 1};
    long[] mask = new long[ROWS * length];
    for (int r = 0; r < ROWS; r++) {
      Arrays.fill(mask, r * length, r * length + (int) lengths[r], 1L);
    }
    NDArray s = manager.create(states, new Shape(ROWS, length, VOCAB));
    NDArray m = manager.create(mask, new Shape(ROWS, length));
    float[] last = ProsperHead.last(s, m).toFloatArray();
    float[] max = ProsperHead.maxPool(s, m).toFloatArray();
    for (int r = 0; r < ROWS; r++) {
      for (int v = 0; v < VOCAB; v++) {
        int lastPosition = (int) lengths[r] - 1;
        assertEquals(states[(r * length + lastPosition) * VOCAB + v], last[r * VOCAB + v], 1e-6);
        float expectedMax = 0;
        for (int t = 0; t < lengths[r]; t++) {
          expectedMax = Math.max(expectedMax, states[(r * length + t) * VOCAB + v]);
        }
        assertEquals(expectedMax, max[r * VOCAB + v], 1e-6);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Lrn.class)
  void literalResidualNetworkVariants(Lrn variant) {
    float[] w = gaussian(ROWS * VOCAB);
    float[] wPrime = gaussian(ROWS * VOCAB);
    float[] literal = new float[ROWS * VOCAB];
    for (int i = 0; i < literal.length; i++) {
      literal[i] = random.nextInt(4) == 0 ? 1f : 0f;
    }
    float[] actual =
        ProsperHead.lrn(matrix(w, ROWS), matrix(wPrime, ROWS), matrix(literal, ROWS), variant)
            .toFloatArray();
    for (int r = 0; r < ROWS; r++) {
      float max = Float.NEGATIVE_INFINITY;
      for (int v = 0; v < VOCAB; v++) {
        max = Math.max(max, wPrime[r * VOCAB + v]);
      }
      for (int v = 0; v < VOCAB; v++) {
        int i = r * VOCAB + v;
        double expected =
            switch (variant) {
              case NONE -> w[i];
              case ADD -> w[i] + literal[i] * wPrime[i];
              case RESIDUAL -> w[i] + literal[i] * (max - wPrime[i]);
            };
        assertEquals(expected, actual[i], 1e-5, variant + " at " + i);
      }
    }
  }

  @Test
  void windowKeepsTheKLargestOnlyWhenARowHasMoreThanKNonZeros() {
    int k = 6;
    float[] x = new float[ROWS * VOCAB];
    for (int v = 0; v < VOCAB; v++) {
      x[v] = (float) Math.abs(random.nextGaussian()) + 0.01f; // row 0: 50 non-zeros
    }
    for (int v = 0; v < 4; v++) {
      x[VOCAB + v * 7] = (float) Math.abs(random.nextGaussian()) + 0.01f; // row 1: 4 non-zeros
    }
    for (int v = 0; v < 6; v++) {
      x[2 * VOCAB + v * 3] = v + 1f; // row 2: exactly k non-zeros
    }
    float[] actual = ProsperHead.window(matrix(x, ROWS), k).toFloatArray();
    float[] row0 = Arrays.copyOfRange(x, 0, VOCAB);
    float[] sorted = row0.clone();
    Arrays.sort(sorted);
    float kth = sorted[VOCAB - k];
    int kept = 0;
    for (int v = 0; v < VOCAB; v++) {
      float expected = row0[v] >= kth ? row0[v] : 0f;
      assertEquals(expected, actual[v], 0f);
      kept += actual[v] != 0 ? 1 : 0;
    }
    assertEquals(k, kept);
    assertArrayEquals(
        Arrays.copyOfRange(x, VOCAB, 3 * VOCAB), Arrays.copyOfRange(actual, VOCAB, 3 * VOCAB));
    float[] active = ProsperHead.activeTerms(matrix(actual, ROWS)).toFloatArray();
    assertArrayEquals(new float[] {6, 4, 6}, active);
  }

  @ParameterizedTest
  @EnumSource(Normalization.class)
  void scoreAppliesEachNormalizationVariant(Normalization normalization) {
    float[] q = gaussian(2 * VOCAB);
    float[] d = gaussian(ROWS * VOCAB);
    float[] actual = ProsperHead.score(matrix(q, 2), matrix(d, ROWS), normalization).toFloatArray();
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < ROWS; j++) {
        double dot = 0;
        double q2 = 0;
        double q1 = 0;
        double d2 = 0;
        for (int v = 0; v < VOCAB; v++) {
          float a = q[i * VOCAB + v];
          float b = d[j * VOCAB + v];
          dot += a * b;
          q2 += a * a;
          q1 += Math.abs(a);
          d2 += b * b;
        }
        double expected =
            switch (normalization) {
              case QUERY_L2 -> dot / Math.sqrt(q2);
              case NONE -> dot;
              case BOTH_L2 -> dot / Math.sqrt(q2) / Math.sqrt(d2);
              case DOC_L2 -> dot / Math.sqrt(d2);
              case QUERY_L1 -> dot / q1;
            };
        assertEquals(expected, actual[i * ROWS + j], 1e-4, normalization + " " + i + "," + j);
      }
    }
  }

  @Test
  void flopsIsTheSumOfSquaredMeanActivations() {
    float[] w = new float[ROWS * VOCAB];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) Math.abs(random.nextGaussian());
    }
    double expected = 0;
    for (int v = 0; v < VOCAB; v++) {
      double mean = 0;
      for (int r = 0; r < ROWS; r++) {
        mean += w[r * VOCAB + v] / ROWS;
      }
      expected += mean * mean;
    }
    assertEquals(expected, ProsperHead.flops(matrix(w, ROWS)).getFloat(), 1e-5);
  }
}
