package dev.prosper.encoder.model;

/**
 * What runs the backbone when a query is encoded ({@link ProsperModel#setQueryRuntime}); documents
 * and training always use PyTorch.
 */
public enum QueryRuntime {
  /** The model's own eager PyTorch pass, one native call per operation. */
  PYTORCH,
  /**
   * The backbone written as an ONNX graph from the current weights and run by ONNX Runtime on the
   * CPU: one native call per query. For BERT backbones with last pooling on the CPU; other models
   * keep PyTorch.
   */
  ONNX;

  public String id() {
    return Choices.id(this);
  }

  /**
   * @param field the setting or option named in the error
   * @throws IllegalArgumentException naming the allowed values
   */
  public static QueryRuntime of(String field, String value) {
    return Choices.of(values(), field, value);
  }
}
