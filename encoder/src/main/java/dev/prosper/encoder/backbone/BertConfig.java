package dev.prosper.encoder.backbone;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A BERT-family encoder (bidirectional attention, post-LayerNorm, GELU).
 *
 * @param mlmTransform whether the MLM head has BERT's dense + GELU + LayerNorm transform ({@code
 *     cls.predictions.transform.*}); without it the logits are the hidden states times the word
 *     embeddings plus a learnable bias
 * @param densePooling the sentence-embedding pooling the backbone was trained with: {@code cls} or
 *     {@code mean} (used by the dense baseline only)
 */
public record BertConfig(
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("num_hidden_layers") int layers,
    @JsonProperty("num_attention_heads") int heads,
    @JsonProperty("intermediate_size") int intermediateSize,
    @JsonProperty("max_position_embeddings") int maxPositions,
    @JsonProperty("type_vocab_size") int typeVocabSize,
    @JsonProperty("layer_norm_eps") double layerNormEps,
    @JsonProperty("prosper_mlm_transform") boolean mlmTransform,
    @JsonProperty("prosper_dense_pooling") String densePooling)
    implements BackboneConfig {

  public static final String ARCHITECTURE = "bert";

  public BertConfig {
    BackboneConfig.requireSizes(vocabSize, hiddenSize, layers, heads, intermediateSize);
    BackboneConfig.require(
        maxPositions > 0 && maxPositions <= BackboneConfig.MAX_POSITIONS,
        "max_position_embeddings",
        "must be between 1 and " + BackboneConfig.MAX_POSITIONS);
    if (typeVocabSize <= 0) {
      typeVocabSize = 2;
    }
    if (layerNormEps <= 0) {
      layerNormEps = 1e-12;
    }
    if (densePooling == null) {
      densePooling = "cls";
    }
    BackboneConfig.require(
        densePooling.equals("cls") || densePooling.equals("mean"),
        "prosper_dense_pooling",
        "must be cls or mean, got [" + densePooling + "]");
  }

  @Override
  @JsonProperty("model_type")
  public String architecture() {
    return ARCHITECTURE;
  }

  @JsonIgnore
  public int headSize() {
    return hiddenSize / heads;
  }

  public BertConfig withMlmTransform(boolean transform) {
    return new BertConfig(
        vocabSize,
        hiddenSize,
        layers,
        heads,
        intermediateSize,
        maxPositions,
        typeVocabSize,
        layerNormEps,
        transform,
        densePooling);
  }

  @Override
  public Backbone backbone() {
    return new BertBackbone(this);
  }
}
