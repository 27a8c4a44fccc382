package dev.prosper.encoder.backbone;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A Qwen2 decoder (causal attention, RMSNorm, rotary positions, grouped-query attention, SwiGLU).
 *
 * @param tieWordEmbeddings whether the LM head is the input embedding matrix
 */
public record Qwen2Config(
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("num_hidden_layers") int layers,
    @JsonProperty("num_attention_heads") int heads,
    @JsonProperty("num_key_value_heads") int keyValueHeads,
    @JsonProperty("intermediate_size") int intermediateSize,
    @JsonProperty("max_position_embeddings") int maxPositions,
    @JsonProperty("rms_norm_eps") double rmsNormEps,
    @JsonProperty("rope_theta") double ropeTheta,
    @JsonProperty("tie_word_embeddings") boolean tieWordEmbeddings)
    implements BackboneConfig {

  public static final String ARCHITECTURE = "qwen2";

  public Qwen2Config {
    BackboneConfig.requireSizes(vocabSize, hiddenSize, layers, heads, intermediateSize);
    BackboneConfig.require(
        (hiddenSize / heads) % 2 == 0, "num_attention_heads", "head size must be even for rotary");
    if (keyValueHeads <= 0) {
      keyValueHeads = heads;
    }
    BackboneConfig.require(
        heads % keyValueHeads == 0,
        "num_key_value_heads",
        "must divide num_attention_heads " + heads);
    if (maxPositions <= 0) {
      maxPositions = 32768;
    }
    if (rmsNormEps <= 0) {
      rmsNormEps = 1e-6;
    }
    if (ropeTheta <= 0) {
      ropeTheta = 10000;
    }
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

  @Override
  public Backbone backbone() {
    return new Qwen2Backbone(this);
  }
}
