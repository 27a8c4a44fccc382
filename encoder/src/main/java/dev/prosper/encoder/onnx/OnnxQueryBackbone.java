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
 * a short query costs in eager PyTorch. The session holds its own float32 copy of the backbone
 * weights (about their size in bytes), taken when it is made; make a new one after the weights
 * change. Safe for concurrent use.
 */
public final class OnnxQueryBackbone implements AutoCloseable {

  private final OrtEnvironment environment;
  private final OrtSession session;
  private final int hidden;

  /**
   * @param threads intra-op threads of one run (a short query gains little beyond one)
   * @throws IllegalStateException if ONNX Runtime refuses the graph or cannot load
   */
  public OnnxQueryBackbone(BertConfig config, Parameters parameters, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("[threads] must be at least 1, got " + threads);
    }
    this.hidden = config.hiddenSize();
    byte[] model = BertGraph.lastHiddenState(config, parameters);
    try {
      environment = OrtEnvironment.getEnvironment();
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // Threads sleep between queries instead of spinning on the cores ingest needs.
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        session = environment.createSession(model, options);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not load the query backbone: " + e, e);
    }
  }

  /**
   * The last layer's hidden state at each text's last real position, as {@link
   * dev.prosper.encoder.backbone.BertBackbone#lastHiddenState}.
   *
   * @return {@code [batch × hidden]} row-major
   */
  public float[] lastHiddenState(TokenBatch batch) {
    int rows = batch.size();
    int length = batch.ids()[0].length;
    long[] ids = new long[rows * length];
    float[] bias = new float[rows * length];
    long[] pooled = new long[rows];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(batch.ids()[r], 0, ids, r * length, length);
      int real = 0;
      for (int t = 0; t < length; t++) {
        boolean token = batch.attentionMask()[r][t] == 1;
        bias[r * length + t] = token ? 0f : Ops.MASKED;
        real += token ? 1 : 0;
      }
      pooled[r] = (long) r * length + real - 1;
    }
    long[] positions = new long[length];
    for (int t = 0; t < length; t++) {
      positions[t] = t;
    }
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

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("could not close the ONNX Runtime session: " + e, e);
    }
  }
}
