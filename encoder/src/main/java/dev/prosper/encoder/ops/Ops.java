package dev.prosper.encoder.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/** Small tensor helpers shared by the backbones; every result stays on the input's manager. */
public final class Ops {

  /** Added to attention scores of positions that must not be attended to. */
  public static final float MASKED = -1e9f;

  private Ops() {}

  /** {@code x · weightᵀ + bias} with a {@code [out, in]} weight; bias may be null. */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return (bias == null ? Linear.linear(x, weight) : Linear.linear(x, weight, bias))
        .singletonOrThrow();
  }

  /** {@code [batch, length, heads * size]} to {@code [batch, heads, length, size]}. */
  public static NDArray splitHeads(NDArray x, int heads) {
    Shape shape = x.getShape();
    return x.reshape(shape.get(0), shape.get(1), heads, shape.get(2) / heads).transpose(0, 2, 1, 3);
  }

  /** The inverse of {@link #splitHeads}. */
  public static NDArray mergeHeads(NDArray x) {
    Shape shape = x.getShape();
    return x.transpose(0, 2, 1, 3).reshape(shape.get(0), shape.get(2), shape.get(1) * shape.get(3));
  }

  /** Softmax attention; {@code bias} is added to the scores and broadcasts over heads. */
  public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias) {
    double scale = 1.0 / Math.sqrt(q.getShape().get(3));
    NDArray scores = Scalars.times(q.matMul(k.transpose(0, 1, 3, 2)), scale).add(bias);
    return scores.softmax(-1).matMul(v);
  }

  /** Padding mask {@code [batch, length]} as an additive bias {@code [batch, 1, 1, length]}. */
  public static NDArray paddingBias(NDArray mask) {
    Shape shape = mask.getShape();
    return mask.toType(DataType.FLOAT32, false)
        .sub(1f)
        .mul(-MASKED)
        .reshape(shape.get(0), 1, 1, shape.get(1));
  }

  /**
   * The rows of {@code [batch, length, dim]} at each sequence's last non-padding position: {@code
   * [batch, dim]}.
   *
   * @param mask {@code [batch, length]}, 1 for real tokens, padding after them
   */
  public static NDArray lastPosition(NDArray states, NDArray mask) {
    Shape shape = states.getShape();
    NDArray lengths = mask.sum(new int[] {1}).sub(1).reshape(shape.get(0), 1);
    NDArray select =
        states.getManager().arange(0, (int) shape.get(1), 1, DataType.INT64).reshape(1, -1);
    NDArray oneHot = select.eq(lengths).toType(DataType.FLOAT32, false).expandDims(2);
    return states.mul(oneHot).sum(new int[] {1});
  }

  /** log(1 + relu(x)), the saturation of the paper's eq. 5. */
  public static NDArray saturate(NDArray x) {
    return x.maximum(Scalars.of(x, 0)).add(1f).log();
  }

  public static NDArray concatLast(NDArray a, NDArray b) {
    return NDArrays.concat(new NDList(a, b), -1);
  }
}
