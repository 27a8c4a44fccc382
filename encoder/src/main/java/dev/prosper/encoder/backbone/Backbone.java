package dev.prosper.encoder.backbone;

import ai.djl.ndarray.NDArray;
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

  /** LM-head logits over the vocabulary: {@code [..., hidden]} to {@code [..., vocab]}. */
  NDArray logits(Parameters parameters, NDArray hidden);
}
