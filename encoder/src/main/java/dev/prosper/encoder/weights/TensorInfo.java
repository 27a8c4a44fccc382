package dev.prosper.encoder.weights;

import java.util.Arrays;

/**
 * Where one tensor lies in a safetensors file: its type, shape and byte range relative to the start
 * of the file's data section (after the header).
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

  /** Number of elements: the product of the shape (1 for a scalar). */
  public long elementCount() {
    return elementCount(shape);
  }

  /**
   * The product of a shape's dimensions (1 for a scalar).
   *
   * @throws ArithmeticException if it overflows a long
   */
  public static long elementCount(long[] shape) {
    long count = 1;
    for (long dimension : shape) {
      count = Math.multiplyExact(count, dimension);
    }
    return count;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TensorInfo info
        && name.equals(info.name)
        && dtype == info.dtype
        && Arrays.equals(shape, info.shape)
        && begin == info.begin
        && end == info.end;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + Arrays.hashCode(shape)) + Long.hashCode(begin);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " bytes [" + begin + ", " + end + ")";
  }
}
