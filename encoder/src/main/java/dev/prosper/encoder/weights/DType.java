package dev.prosper.encoder.weights;

import java.nio.ByteBuffer;

/**
 * Element types of the safetensors format. Every type can be located and validated; {@link
 * #isFloatingPoint() floating-point} types can also be read as float32 (BF16 and F16 are widened in
 * Java because DJL cannot hold BF16 arrays).
 */
public enum DType {
  F64(8, true),
  F32(4, true),
  F16(2, true),
  BF16(2, true),
  I64(8, false),
  I32(4, false),
  I16(2, false),
  I8(1, false),
  U8(1, false),
  BOOL(1, false);

  private final int bytes;
  private final boolean floatingPoint;

  DType(int bytes, boolean floatingPoint) {
    this.bytes = bytes;
    this.floatingPoint = floatingPoint;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** Whether tensors of this type can be read as float32. */
  public boolean isFloatingPoint() {
    return floatingPoint;
  }

  /**
   * Reads the next element of this floating-point type from a little-endian buffer as float32: F64
   * is narrowed, F16 and BF16 widen exactly (BF16 is the upper half of a float32).
   *
   * @throws IllegalStateException if this type is not floating point
   */
  float readFloat(ByteBuffer bytes) {
    return switch (this) {
      case F64 -> (float) bytes.getDouble();
      case F32 -> bytes.getFloat();
      case F16 -> Float.float16ToFloat(bytes.getShort());
      case BF16 -> Float.intBitsToFloat((bytes.getShort() & 0xFFFF) << 16);
      default -> throw new IllegalStateException("not a floating-point dtype: " + this);
    };
  }

  /**
   * Writes a float32 as one element of this type: F16 rounds to nearest, BF16 keeps the upper 16
   * bits (rounds toward zero).
   *
   * @throws IllegalStateException if this type is not F32, F16 or BF16
   */
  void writeFloat(ByteBuffer bytes, float value) {
    switch (this) {
      case F32 -> bytes.putFloat(value);
      case F16 -> bytes.putShort(Float.floatToFloat16(value));
      case BF16 -> bytes.putShort((short) (Float.floatToRawIntBits(value) >>> 16));
      default -> throw new IllegalStateException("cannot store float32 as " + this);
    }
  }

  /**
   * Parses a safetensors dtype name such as {@code "BF16"}.
   *
   * @throws IllegalArgumentException naming the type when the format does not define it
   */
  public static DType parse(String name) {
    for (DType type : values()) {
      if (type.name().equals(name)) {
        return type;
      }
    }
    throw new IllegalArgumentException("unknown safetensors dtype [" + name + "]");
  }
}
