package dev.prosper.encoder.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX Runtime session on a graph written from a model's weights ({@link GraphWriter.Model}):
 * the weights go in as external initializers, straight from their direct buffers, and the session
 * owns them until it is closed. Sessions are made for short, latency-bound inputs (a query): one
 * run uses {@code threads} intra-op threads that sleep rather than spin between runs. Safe for
 * concurrent use.
 */
final class OnnxSession implements AutoCloseable {

  final OrtEnvironment environment = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final List<OnnxTensor> weights = new ArrayList<>();

  /**
   * @param what named in errors (e.g. "the query backbone")
   * @throws IllegalStateException if ONNX Runtime refuses the graph or cannot load
   */
  OnnxSession(GraphWriter.Model model, int threads, String what) {
    if (threads < 1) {
      throw new IllegalArgumentException("[threads] must be at least 1, got " + threads);
    }
    try {
      Map<String, OnnxTensorLike> external = new HashMap<>();
      for (Map.Entry<String, GraphWriter.Initializer> entry : model.initializers().entrySet()) {
        GraphWriter.Initializer initializer = entry.getValue();
        OnnxTensor tensor =
            switch (initializer.dataType()) {
              case GraphWriter.FLOAT ->
                  OnnxTensor.createTensor(
                      environment, initializer.data().asFloatBuffer(), initializer.dims());
              case GraphWriter.INT64 ->
                  OnnxTensor.createTensor(
                      environment, initializer.data().asLongBuffer(), initializer.dims());
              case GraphWriter.INT8 ->
                  OnnxTensor.createTensor(
                      environment, initializer.data(), initializer.dims(), OnnxJavaType.INT8);
              default ->
                  throw new IllegalArgumentException(
                      "no initializer of ONNX type " + initializer.dataType());
            };
        weights.add(tensor);
        external.put(entry.getKey(), tensor);
      }
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.addExternalInitializers(external);
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // Threads sleep between queries instead of spinning on the cores ingest needs.
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        session = environment.createSession(model.graph(), options);
      }
    } catch (OrtException e) {
      weights.forEach(OnnxTensor::close);
      throw new IllegalStateException("ONNX Runtime could not load " + what + ": " + e, e);
    }
  }

  /** Runs the graph; the caller closes the result. */
  OrtSession.Result run(Map<String, OnnxTensor> inputs) throws OrtException {
    return session.run(inputs);
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("could not close an ONNX Runtime session: " + e, e);
    } finally {
      weights.forEach(OnnxTensor::close);
    }
  }
}
