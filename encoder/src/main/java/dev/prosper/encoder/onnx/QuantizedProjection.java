package dev.prosper.encoder.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * A linear projection {@code x · Wᵀ + b} ({@code W} is {@code [out, in]}, as a vocabulary
 * projection's) with int8 weights, run by ONNX Runtime's {@code DynamicQuantizeMatMul}: the rows of
 * {@code x} are quantized on the fly (each on its own), the weights once, here, with one scale per
 * output (one per vocabulary term), so a query reads a quarter of the float32 bytes. Weights use 7
 * bits ({@value #LEVELS} levels each side of zero), so that the 8-bit products never saturate the
 * 16-bit sums of CPUs without VNNI. Safe for concurrent use.
 */
public final class QuantizedProjection implements AutoCloseable {

  /** Quantization levels on each side of zero. */
  static final int LEVELS = 63;

  static final String INPUT = "x";
  static final String OUTPUT = "y";

  private final OnnxSession session;
  private final int in;
  private final int out;

  /**
   * @param weight {@code [out × in]} row-major, float32
   * @param bias {@code [out]}, or null
   * @param threads intra-op threads of one run
   * @throws IllegalStateException if ONNX Runtime refuses the graph or cannot load
   */
  public QuantizedProjection(float[] weight, float[] bias, int out, int in, int threads) {
    if ((long) out * in != weight.length || (bias != null && bias.length != out)) {
      throw new IllegalArgumentException(
          "a [" + out + ", " + in + "] projection needs " + (long) out * in + " weights");
    }
    this.in = in;
    this.out = out;
    float[] scales = new float[out];
    byte[] quantized = quantize(weight, out, in, scales);
    GraphWriter g = new GraphWriter("prosper-int8-projection");
    String product =
        g.microsoftNode(
            "DynamicQuantizeMatMul",
            INPUT,
            g.int8s("weight", quantized, in, out),
            g.floats("scale", scales, out),
            "",
            bias == null ? "" : g.floats("bias", bias, out));
    g.named("Identity", List.of(), List.of(product), OUTPUT);
    g.input(INPUT, GraphWriter.FLOAT, "rows", in);
    g.output(OUTPUT, GraphWriter.FLOAT, "rows", out);
    session = new OnnxSession(g.model(), threads, "an int8 vocabulary projection");
  }

  /**
   * The int8 weights {@code [in × out]} (transposed, as the operator takes them) with one scale per
   * output row of {@code weight}, written into {@code scales}: {@code max |w| / LEVELS}, so a row's
   * largest weight is exact and every other is within half a step of it.
   */
  static byte[] quantize(float[] weight, int out, int in, float[] scales) {
    byte[] quantized = new byte[weight.length];
    for (int o = 0; o < out; o++) {
      float max = 0f;
      for (int i = 0; i < in; i++) {
        max = Math.max(max, Math.abs(weight[o * in + i]));
      }
      float scale = max > 0f ? max / LEVELS : 1f;
      scales[o] = scale;
      for (int i = 0; i < in; i++) {
        quantized[i * out + o] = (byte) Math.round(weight[o * in + i] / scale);
      }
    }
    return quantized;
  }

  /**
   * Each row on its own: the operator quantizes its input with one scale per run, so a row's
   * product never depends on the other rows.
   *
   * @param x {@code [rows × in]} row-major
   * @return {@code [rows × out]} row-major
   */
  public float[] apply(float[] x, int rows) {
    if ((long) rows * in != x.length) {
      throw new IllegalArgumentException(
          rows + " rows of " + in + " need " + rows * in + " values");
    }
    float[] values = new float[rows * out];
    for (int r = 0; r < rows; r++) {
      try (OnnxTensor input =
              OnnxTensor.createTensor(
                  session.environment,
                  FloatBuffer.wrap(x, r * in, in).slice(),
                  new long[] {1, in});
          OrtSession.Result result = session.run(Map.of(INPUT, input))) {
        ((OnnxTensor) result.get(0)).getFloatBuffer().get(values, r * out, out);
      } catch (OrtException e) {
        throw new IllegalStateException("ONNX Runtime failed on an int8 projection: " + e, e);
      }
    }
    return values;
  }

  @Override
  public void close() {
    session.close();
  }
}
