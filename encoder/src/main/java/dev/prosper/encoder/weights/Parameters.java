package dev.prosper.encoder.weights;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The named float32 weights of a model as DJL arrays on one device, in a stable order. Names follow
 * the Hugging Face checkpoints of the backbone ({@code
 * encoder.layer.0.attention.self.query.weight}, {@code model.layers.0.self_attn.q_proj.weight});
 * linear weights are stored as {@code [out, in]}.
 */
public final class Parameters implements AutoCloseable {

  private final NDManager manager;
  private final Map<String, NDArray> arrays = new LinkedHashMap<>();

  private Parameters(NDManager manager) {
    this.manager = manager;
  }

  /** An empty set whose arrays live on {@code device}. */
  public static Parameters create(Device device) {
    return new Parameters(NDManager.newBaseManager(device));
  }

  /** The manager that owns the weights; create per-call sub-managers from it. */
  public NDManager manager() {
    return manager;
  }

  public Device device() {
    return manager.getDevice();
  }

  /**
   * The array of a weight.
   *
   * @throws IllegalStateException if there is no weight of that name
   */
  public NDArray get(String name) {
    NDArray array = arrays.get(name);
    if (array == null) {
      throw new IllegalStateException("model has no weight [" + name + "]");
    }
    return array;
  }

  public boolean contains(String name) {
    return arrays.containsKey(name);
  }

  /** Adds or replaces a weight, copying the values onto the device. */
  public void put(String name, FloatTensor tensor) {
    put(name, copyOf(tensor, manager));
  }

  /**
   * Adds or replaces a weight from F32 little-endian bytes in a direct buffer (a memory mapping),
   * copied into memory PyTorch owns without a heap array on the way.
   */
  public void put(String name, ByteBuffer f32, long[] shape) {
    try (NDArray staged = manager.create(f32, new Shape(shape), DataType.FLOAT32)) {
      NDArray copy = staged.duplicate();
      copy.attach(manager);
      put(name, copy);
    }
  }

  private void put(String name, NDArray array) {
    array.setName(name);
    NDArray previous = arrays.put(name, array);
    if (previous != null) {
      previous.close();
    }
  }

  /**
   * A copy of {@code tensor} in memory that PyTorch allocated and owns, not a view of a Java direct
   * buffer: such a view stays valid only while its Java array object does, which views, gradients
   * and autograd's saved tensors do not guarantee (see {@link Scalars}).
   */
  public static NDArray copyOf(FloatTensor tensor, NDManager manager) {
    try (NDArray staged = manager.create(tensor.values(), new Shape(tensor.shape()))) {
      NDArray copy = staged.duplicate();
      copy.attach(manager);
      return copy;
    }
  }

  /** Weight names in order; unmodifiable. */
  public Map<String, NDArray> arrays() {
    return Collections.unmodifiableMap(arrays);
  }

  /** Copies every weight back to Java arrays, in order. */
  public Map<String, FloatTensor> toTensors() {
    Map<String, FloatTensor> tensors = new LinkedHashMap<>();
    forEach((name, array) -> tensors.put(name, tensor(array)));
    return tensors;
  }

  public void forEach(BiConsumer<String, NDArray> action) {
    arrays.forEach(action);
  }

  /** Total number of scalar weights. */
  public long size() {
    return arrays.values().stream().mapToLong(NDArray::size).sum();
  }

  static FloatTensor tensor(NDArray array) {
    return new FloatTensor(array.getShape().getShape(), array.toFloatArray());
  }

  @Override
  public void close() {
    manager.close();
  }
}
