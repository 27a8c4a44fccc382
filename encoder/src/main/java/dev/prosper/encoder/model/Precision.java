package dev.prosper.encoder.model;

/**
 * The number format of the two vocabulary projections when a query is encoded ({@link
 * ProsperModel#setQueryPrecision}): the logits of eq. 5 and the FC of eq. 8 (and, for {@link #INT8}
 * with the ONNX query runtime, the backbone's linear layers).
 */
public enum Precision {
  /** The weights as trained. */
  FLOAT32,
  /**
   * Half-size copies of the two projections, each query row multiplied on its own (a matrix-vector
   * product that reads half the bytes; the rest of the model stays float32).
   */
  FLOAT16,
  /**
   * Int8 copies of the two projections, one scale per vocabulary term and 7 bits per weight,
   * multiplied by ONNX Runtime (a quarter of the float32 bytes); with the ONNX query runtime the
   * backbone's linear layers too. Embeddings, norms and documents stay float32.
   */
  INT8;

  public String id() {
    return Choices.id(this);
  }

  /**
   * @param field the setting or option named in the error
   * @throws IllegalArgumentException naming the allowed values
   */
  public static Precision of(String field, String value) {
    return Choices.of(values(), field, value);
  }
}
