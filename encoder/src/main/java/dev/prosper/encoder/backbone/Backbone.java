package dev.prosper.encoder.backbone;

import ai.djl.ndarray.NDArray;
import dev.prosper.encoder.ops.Ops;
import dev.prosper.encoder.weights.Parameters;
import java.util.Map;

/**
 * The forward pass of a backbone language model as a pure function of its {@link Parameters}.
 * Results are attached to the manager of the input arrays, so a caller that runs a batch in a
 * sub-manager frees everything by closing it; gradients flow to the parameters when recorded.
 */
public sealed interface Backbone permits BertBackbone, Qwen2Backbone {

  BackboneConfig config();

  /**
   * The shape of every weight the backbone and its LM head need, in checkpoint order; a model's
   * {@link Parameters} hold exactly these plus the PROSPER head's.
   */
  Map<String, long[]> parameterShapes();

  /**
   * Last-layer hidden states.
   *
   * @param ids token ids {@code [batch, length]} (int64), padding after the real tokens
   * @param mask attention mask {@code [batch, length]} (int64), 1 for real tokens
   * @return {@code [batch, length, hidden]}
   */
  NDArray hiddenStates(Parameters parameters, NDArray ids, NDArray mask);

  /**
   * The last layer's hidden state at each sequence's last real position, what last pooling (the
   * paper's eqs. 6, 7) reads: {@code [batch, hidden]}. The same values as {@link #hiddenStates} at
   * that position (up to float rounding); a backbone may skip work for the other positions.
   */
  default NDArray lastHiddenState(Parameters parameters, NDArray ids, NDArray mask) {
    return Ops.lastPosition(hiddenStates(parameters, ids, mask), mask);
  }

  /**
   * The LM head up to its vocabulary projection ({@code [..., hidden]}, e.g. BERT's MLM transform);
   * {@link #logits} is this followed by the projection.
   */
  default NDArray vocabularyInput(Parameters parameters, NDArray hidden) {
    return hidden;
  }

  /** The name of the LM head's {@code [vocab, hidden]} projection weight. */
  String vocabularyWeight();

  /** The name of the LM head's {@code [vocab]} bias, or null when it has none. */
  String vocabularyBias();

  /** LM-head logits over the vocabulary: {@code [..., hidden]} to {@code [..., vocab]}. */
  default NDArray logits(Parameters parameters, NDArray hidden) {
    String bias = vocabularyBias();
    return Ops.linear(
        vocabularyInput(parameters, hidden),
        parameters.get(vocabularyWeight()),
        bias == null ? null : parameters.get(bias));
  }
}
