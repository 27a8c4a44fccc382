package dev.prosper.encoder.weights;

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
