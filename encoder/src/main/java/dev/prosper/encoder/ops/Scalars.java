package dev.prosper.encoder.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands for arithmetic that autograd differentiates.
 *
 * <p>DJL's {@code NDArray.mul(Number)}, {@code div(Number)}, {@code maximum(Number)} and the like
 * wrap the number in a temporary array backed by a Java buffer and close it as soon as the
 * operation returns. PyTorch keeps that operand for the backward pass (the factor of a product, the
 * divisor, the comparison operand of a maximum) without owning its memory, so once the collector
 * frees the buffer the backward pass reads whatever was written there since: training silently got
 * wrong gradients, depending on when the collector ran. Use these scalars instead in any
 * computation that is differentiated; they live in memory PyTorch owns, on the manager of the array
 * they combine with.
 */
public final class Scalars {

  private Scalars() {}

  /** A 0-dimensional array holding {@code value}, of {@code like}'s type, on its manager. */
  public static NDArray of(NDArray like, double value) {
    return like.getManager().full(new Shape(), (float) value, like.getDataType());
  }

  /** {@code x * factor}, safe to differentiate. */
  public static NDArray times(NDArray x, double factor) {
    return x.mul(of(x, factor));
  }

  /** {@code x / divisor}, safe to differentiate. */
  public static NDArray dividedBy(NDArray x, double divisor) {
    return x.div(of(x, divisor));
  }
}
