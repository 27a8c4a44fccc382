package dev.prosper.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The int8 projection in ONNX Runtime against float32 arithmetic, on random seeded inputs. */
class QuantizedProjectionTest {

  private static float[] gaussian(Random random, int n, double sigma) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) (random.nextGaussian() * sigma);
    }
    return values;
  }

  @Test
  void weightsKeepEachRowsLargestExactlyAndTheRestWithinHalfAStep() {
    Random random = new Random(11);
    int out = 50;
    int in = 16;
    float[] weight = gaussian(random, out * in, 0.05);
    weight[3 * in + 5] = 0f; // a row may hold zeros
    for (int i = 0; i < in; i++) {
      weight[7 * in + i] = 0f; // and a row may be all zeros
    }
    float[] scales = new float[out];
    byte[] q = QuantizedProjection.quantize(weight, out, in, scales);
    for (int o = 0; o < out; o++) {
      float max = 0f;
      for (int i = 0; i < in; i++) {
        max = Math.max(max, Math.abs(weight[o * in + i]));
      }
      for (int i = 0; i < in; i++) {
        int level = q[i * out + o];
        assertTrue(Math.abs(level) <= QuantizedProjection.LEVELS, "7 bits: " + level);
        float w = weight[o * in + i];
        assertEquals(w, level * scales[o], scales[o] / 2 + 1e-9, "row " + o + " column " + i);
        if (max > 0f && Math.abs(w) == max) {
          assertEquals(QuantizedProjection.LEVELS, Math.abs(level), "the largest is a full level");
        }
      }
    }
    assertEquals(0, q[5 * out + 3]);
  }

  @Test
  void productsStayWithinTheQuantizationErrorBound() {
    Random random = new Random(7);
    int out = 3000;
    int in = 96;
    int rows = 3;
    float[] weight = gaussian(random, out * in, 0.05);
    float[] bias = gaussian(random, out, 0.5);
    float[] x = gaussian(random, rows * in, 1.0);
    float[] scales = new float[out];
    QuantizedProjection.quantize(weight, out, in, scales);
    try (QuantizedProjection projection = new QuantizedProjection(weight, bias, out, in, 1)) {
      float[] y = projection.apply(x, rows);
      assertEquals(rows * out, y.length);
      double worstShare = 0;
      for (int r = 0; r < rows; r++) {
        // Each row is quantized on its own: its range [min(x, 0), max(x, 0)] in 255 steps.
        float min = 0f;
        float max = 0f;
        for (int i = r * in; i < (r + 1) * in; i++) {
          min = Math.min(min, x[i]);
          max = Math.max(max, x[i]);
        }
        double inputStep = (max - min) / 255.0;
        for (int o = 0; o < out; o++) {
          double exact = bias[o];
          double bound = 0;
          for (int i = 0; i < in; i++) {
            float w = weight[o * in + i];
            float v = x[r * in + i];
            exact += (double) v * w;
            bound += inputStep / 2 * (Math.abs(w) + scales[o] / 2) + Math.abs(v) * scales[o] / 2;
          }
          double error = Math.abs(y[r * out + o] - exact);
          assertTrue(
              error <= bound * 1.001 + 1e-5,
              "row " + r + " output " + o + ": error " + error + " above the bound " + bound);
          worstShare = Math.max(worstShare, error / bound);
        }
      }
      // The bound is not vacuous: the errors use a real part of it.
      assertTrue(worstShare > 0.05, "largest error / bound " + worstShare);
      // A row's product does not depend on the rows beside it.
      float[] second = projection.apply(java.util.Arrays.copyOfRange(x, in, 2 * in), 1);
      assertEquals(
          java.util.Arrays.toString(java.util.Arrays.copyOfRange(y, out, 2 * out)),
          java.util.Arrays.toString(second));
    }
  }

  @Test
  void refusesWeightsOfTheWrongSize() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new QuantizedProjection(new float[10], null, 3, 4, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new QuantizedProjection(new float[12], new float[2], 3, 4, 1));
  }
}
