package dev.prosper.encoder.weights;

import java.util.Arrays;

/** A dense float32 tensor in row-major order, as read from or written to a checkpoint. */
public record FloatTensor(long[] shape, float[] values) {

  /**
   * @throws IllegalArgumentException if the shape's element count differs from {@code
   *     values.length}
   */
  public FloatTensor {
    long count = 1;
    for (long dimension : shape) {
      if (dimension < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      count = Math.multiplyExact(count, dimension);
    }
    if (count != values.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + count + " values, got " + values.length);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof FloatTensor tensor
        && Arrays.equals(shape, tensor.shape)
        && Arrays.equals(values, tensor.values);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "FloatTensor" + Arrays.toString(shape);
  }
}
