package dev.prosper.training.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.prosper.encoder.weights.FloatTensor;
import dev.prosper.encoder.weights.Parameters;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay that skips biases and normalisation weights, and global-norm
 * gradient clipping. Gradients are zeroed after each step (PyTorch accumulates them).
 */
final class AdamW {

  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPSILON = 1e-8;

  private final Parameters parameters;
  private final java.util.function.Predicate<String> trainable;
  private final Map<String, NDArray> first = new LinkedHashMap<>();
  private final Map<String, NDArray> second = new LinkedHashMap<>();
  private long steps;

  AdamW(Parameters parameters) {
    this(parameters, name -> true);
  }

  /**
   * An optimizer of the weights whose names pass {@code trainable}; the others stay as they are.
   */
  AdamW(Parameters parameters, java.util.function.Predicate<String> trainable) {
    this.parameters = parameters;
    this.trainable = trainable;
    parameters.forEach(
        (name, array) -> {
          if (trainable.test(name)) {
            first.put(name, parameters.manager().zeros(array.getShape()));
            second.put(name, parameters.manager().zeros(array.getShape()));
          }
        });
  }

  /** Whether weight decay applies: not to biases, LayerNorm/RMSNorm weights. */
  static boolean decays(String name) {
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    return !(lower.endsWith(".bias")
        || lower.contains("layernorm")
        || lower.contains("norm.weight"));
  }

  long steps() {
    return steps;
  }

  /**
   * One update. A step whose gradient is not finite is skipped (gradients zeroed, weights and
   * moments unchanged) and reported by returning the non-finite norm.
   *
   * @param clipNorm clip the global gradient norm to this value (≤ 0: no clipping)
   * @return the global gradient norm before clipping
   */
  double step(double learningRate, double weightDecay, double clipNorm) {
    steps++;
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager scope = parameters.manager().newSubManager()) {
      Map<String, NDArray> gradients = new LinkedHashMap<>();
      double squared = 0;
      for (Map.Entry<String, NDArray> entry : parameters.arrays().entrySet()) {
        if (!trainable.test(entry.getKey())) {
          continue;
        }
        NDArray gradient = entry.getValue().getGradient();
        gradient.attach(scope);
        gradients.put(entry.getKey(), gradient);
        squared += gradient.square().sum().getFloat();
      }
      double norm = Math.sqrt(squared);
      if (!Double.isFinite(norm)) {
        // A non-finite gradient would poison every weight: skip this update, keep the moments.
        zeroGradients();
        return norm;
      }
      double scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
      double correction1 = 1 - Math.pow(BETA1, steps);
      double correction2 = 1 - Math.pow(BETA2, steps);
      for (Map.Entry<String, NDArray> entry : parameters.arrays().entrySet()) {
        String name = entry.getKey();
        NDArray parameter = entry.getValue();
        NDArray gradient = gradients.get(name);
        if (gradient == null) {
          continue;
        }
        NDArray g = gradient.mul((float) scale);
        NDArray m = first.get(name);
        NDArray v = second.get(name);
        m.muli((float) BETA1).addi(g.mul((float) (1 - BETA1)));
        v.muli((float) BETA2).addi(g.square().muli((float) (1 - BETA2)));
        // Temporaries must belong to the step's scope: an op on a parameter-owned array would
        // attach its result to the parameters' manager and leak it.
        NDArray update = scoped(m.div((float) correction1), scope);
        NDArray denominator =
            scoped(v.div((float) correction2), scope).sqrt().addi((float) EPSILON);
        update.divi(denominator);
        if (weightDecay > 0 && decays(name)) {
          update.addi(scoped(parameter.mul((float) weightDecay), scope));
        }
        parameter.subi(update.muli((float) learningRate));
      }
      zeroGradients();
      return norm;
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /**
   * Zeroes the accumulated gradients in place (PyTorch {@code grad.zero_()}, which also clears NaN;
   * NaN * 0 would stay NaN). Not {@code getGradient().set(Buffer)}: on the CPU that points the
   * gradient's storage at a Java buffer owned by the temporary {@code getGradient()} wrapper; once
   * the wrapper is closed the collector frees the buffer and the next backward pass accumulates
   * into freed memory (training crashed with SIGSEGV in libc a few steps after a skipped update).
   */
  private void zeroGradients() {
    parameters.forEach(
        (name, parameter) -> {
          if (trainable.test(name)) {
            JniUtils.zeroGrad((PtNDArray) parameter);
          }
        });
  }

  private static NDArray scoped(NDArray array, NDManager scope) {
    array.attach(scope);
    return array;
  }

  /** The moment estimates, for checkpoints. */
  Map<String, FloatTensor> state() {
    Map<String, FloatTensor> state = new LinkedHashMap<>();
    first.forEach((name, m) -> state.put("m." + name, tensor(m)));
    second.forEach((name, v) -> state.put("v." + name, tensor(v)));
    return state;
  }

  void restore(Map<String, FloatTensor> state, long completedSteps) {
    for (String name : List.copyOf(first.keySet())) {
      replace(first, name, require(state, "m." + name));
      replace(second, name, require(state, "v." + name));
    }
    steps = completedSteps;
  }

  private void replace(Map<String, NDArray> moments, String name, FloatTensor values) {
    NDArray current = moments.get(name);
    if (!current.getShape().equals(new Shape(values.shape()))) {
      throw new IllegalArgumentException(
          "optimizer state for ["
              + name
              + "] has shape "
              + new Shape(values.shape())
              + ", the weight has "
              + current.getShape());
    }
    moments.put(name, Parameters.copyOf(values, parameters.manager()));
    current.close();
  }

  private static FloatTensor require(Map<String, FloatTensor> state, String name) {
    FloatTensor tensor = state.get(name);
    if (tensor == null) {
      throw new IllegalArgumentException("optimizer state has no [" + name + "]");
    }
    return tensor;
  }

  private static FloatTensor tensor(NDArray array) {
    return new FloatTensor(array.getShape().getShape(), array.toFloatArray());
  }
}
