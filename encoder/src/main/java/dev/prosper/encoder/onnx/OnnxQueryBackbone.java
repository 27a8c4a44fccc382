package dev.prosper.encoder.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prosper.encoder.backbone.BertConfig;
import dev.prosper.encoder.ops.Ops;
import dev.prosper.encoder.tokenizer.TokenBatch;
import dev.prosper.encoder.weights.Parameters;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/**
 * A BERT backbone's last hidden state at the pooled position ({@link BertGraph}) run by ONNX
 * Runtime on the CPU: one native call per batch instead of one per operation, which is most of what
 * a short query costs in eager PyTorch. The session reads its own float32 copy of the backbone
 * weights, in direct memory outside the heap (about their size in bytes), taken when it is made;
 * make a new one after the weights change. Safe for concurrent use.
 */
public final class OnnxQueryBackbone implements AutoCloseable {

  private final OnnxSession session;
  private final int hidden;
  private final int threads;
  private final boolean int8Linears;

  /**
   * @param threads intra-op threads of one run (a short query gains little beyond one)
   * @param int8Linears the transformer layers' linear weights in int8 ({@link
   *     BertGraph#lastHiddenState(BertConfig, Parameters, boolean)}), else float32
   * @throws IllegalStateException if ONNX Runtime refuses the graph or cannot load
   */
  public OnnxQueryBackbone(
      BertConfig config, Parameters parameters, int threads, boolean int8Linears) {
    this.hidden = config.hiddenSize();
    this.threads = threads;
    this.int8Linears = int8Linears;
    session =
        new OnnxSession(
            BertGraph.lastHiddenState(config, parameters, int8Linears),
            threads,
            "the query backbone");
  }

  /**
   * The last layer's hidden state at each text's last real position, as {@link
   * dev.prosper.encoder.backbone.BertBackbone#lastHiddenState}.
   *
   * @return {@code [batch × hidden]} row-major
   */
  public float[] lastHiddenState(TokenBatch batch) {
    int rows = batch.size();
    if (rows == 0) {
      return new float[0];
    }
    int length = batch.paddedLength();
    long[] ids = batch.flatIds();
    long[] mask = batch.flatAttentionMask();
    float[] bias = new float[mask.length];
    for (int i = 0; i < mask.length; i++) {
      bias[i] = mask[i] == 1 ? 0f : Ops.MASKED;
    }
    long[] pooled = new long[rows];
    for (int r = 0; r < rows; r++) {
      pooled[r] = (long) r * length + batch.length(r) - 1;
    }
    long[] positions = new long[length];
    for (int t = 0; t < length; t++) {
      positions[t] = t;
    }
    OrtEnvironment environment = session.environment;
    try (OnnxTensor idTensor =
            OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), new long[] {rows, length});
        OnnxTensor positionTensor =
            OnnxTensor.createTensor(
                environment, LongBuffer.wrap(positions), new long[] {1, length});
        OnnxTensor biasTensor =
            OnnxTensor.createTensor(
                environment, FloatBuffer.wrap(bias), new long[] {rows, 1, 1, length});
        OnnxTensor pooledTensor =
            OnnxTensor.createTensor(environment, LongBuffer.wrap(pooled), new long[] {rows});
        OrtSession.Result result =
            session.run(
                Map.of(
                    BertGraph.INPUT_IDS, idTensor,
                    BertGraph.POSITION_IDS, positionTensor,
                    BertGraph.ATTENTION_BIAS, biasTensor,
                    BertGraph.POOLED_INDEX, pooledTensor))) {
      FloatBuffer out = ((OnnxTensor) result.get(0)).getFloatBuffer();
      float[] values = new float[rows * hidden];
      out.get(values);
      return values;
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed on the query backbone: " + e, e);
    }
  }

  /** ONNX Runtime's intra-op threads of one run. */
  public int threads() {
    return threads;
  }

  /** Whether the transformer layers' linear weights are int8. */
  public boolean int8Linears() {
    return int8Linears;
  }

  @Override
  public void close() {
    session.close();
  }
}
