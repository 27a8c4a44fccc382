package dev.prosper.encoder.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import dev.prosper.encoder.ops.Ops;
import dev.prosper.encoder.weights.Parameters;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Qwen2: pre-RMSNorm decoder layers with causal grouped-query attention (biases on q, k, v), rotary
 * position embeddings (rotate-half convention) and a SwiGLU MLP; LM head tied to the input
 * embeddings or separate ({@code lm_head.weight}).
 */
public final class Qwen2Backbone implements Backbone {

  private final Qwen2Config config;

  Qwen2Backbone(Qwen2Config config) {
    this.config = config;
  }

  @Override
  public Qwen2Config config() {
    return config;
  }

  public static String layer(int index, String name) {
    return "model.layers." + index + "." + name;
  }

  @Override
  public Map<String, long[]> parameterShapes() {
    long v = config.vocabSize();
    long h = config.hiddenSize();
    long kv = (long) config.keyValueHeads() * config.headSize();
    long i = config.intermediateSize();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("model.embed_tokens.weight", new long[] {v, h});
    for (int l = 0; l < config.layers(); l++) {
      shapes.put(layer(l, "input_layernorm.weight"), new long[] {h});
      shapes.put(layer(l, "self_attn.q_proj.weight"), new long[] {h, h});
      shapes.put(layer(l, "self_attn.q_proj.bias"), new long[] {h});
      shapes.put(layer(l, "self_attn.k_proj.weight"), new long[] {kv, h});
      shapes.put(layer(l, "self_attn.k_proj.bias"), new long[] {kv});
      shapes.put(layer(l, "self_attn.v_proj.weight"), new long[] {kv, h});
      shapes.put(layer(l, "self_attn.v_proj.bias"), new long[] {kv});
      shapes.put(layer(l, "self_attn.o_proj.weight"), new long[] {h, h});
      shapes.put(layer(l, "post_attention_layernorm.weight"), new long[] {h});
      shapes.put(layer(l, "mlp.gate_proj.weight"), new long[] {i, h});
      shapes.put(layer(l, "mlp.up_proj.weight"), new long[] {i, h});
      shapes.put(layer(l, "mlp.down_proj.weight"), new long[] {h, i});
    }
    shapes.put("model.norm.weight", new long[] {h});
    if (!config.tieWordEmbeddings()) {
      shapes.put("lm_head.weight", new long[] {v, h});
    }
    return shapes;
  }

  @Override
  public NDArray hiddenStates(Parameters p, NDArray ids, NDArray mask) {
    NDManager manager = ids.getManager();
    int length = Math.toIntExact(ids.getShape().get(1));
    NDArray[] rotary = rotary(manager, length);
    NDArray bias = Ops.paddingBias(mask).add(causalBias(manager, length));
    NDArray x =
        Embedding.embedding(ids, p.get("model.embed_tokens.weight"), SparseFormat.DENSE)
            .singletonOrThrow();
    for (int l = 0; l < config.layers(); l++) {
      NDArray h = rmsNorm(x, p.get(layer(l, "input_layernorm.weight")));
      x = x.add(attention(p, h, l, rotary, bias));
      h = rmsNorm(x, p.get(layer(l, "post_attention_layernorm.weight")));
      x = x.add(mlp(p, h, l));
    }
    return rmsNorm(x, p.get("model.norm.weight"));
  }

  /**
   * Layer {@code l}'s causal self-attention: rotary positions on queries and keys, grouped-query
   * attention (each key/value head shared by {@code heads / key_value_heads} query heads), output
   * projection.
   */
  private NDArray attention(Parameters p, NDArray h, int l, NDArray[] rotary, NDArray bias) {
    int groups = config.heads() / config.keyValueHeads();
    NDArray q = Ops.splitHeads(proj(p, h, l, "q_proj", true), config.heads());
    NDArray k = Ops.splitHeads(proj(p, h, l, "k_proj", true), config.keyValueHeads());
    NDArray v = Ops.splitHeads(proj(p, h, l, "v_proj", true), config.keyValueHeads());
    q = rotate(q, rotary);
    k = rotate(k, rotary);
    if (groups > 1) {
      k = k.repeat(1, groups);
      v = v.repeat(1, groups);
    }
    NDArray context = Ops.mergeHeads(Ops.attention(q, k, v, bias));
    return proj(p, context, l, "o_proj", false);
  }

  /** Layer {@code l}'s SwiGLU feed-forward block: down(silu(gate(h)) ⊙ up(h)). */
  private static NDArray mlp(Parameters p, NDArray h, int l) {
    NDArray gate = Ops.linear(h, p.get(layer(l, "mlp.gate_proj.weight")), null);
    NDArray up = Ops.linear(h, p.get(layer(l, "mlp.up_proj.weight")), null);
    NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);
    return Ops.linear(act, p.get(layer(l, "mlp.down_proj.weight")), null);
  }

  @Override
  public String vocabularyWeight() {
    return config.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
  }

  @Override
  public String vocabularyBias() {
    return null;
  }

  private static NDArray proj(Parameters p, NDArray x, int l, String name, boolean bias) {
    String prefix = layer(l, "self_attn." + name);
    return Ops.linear(x, p.get(prefix + ".weight"), bias ? p.get(prefix + ".bias") : null);
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray rms = x.square().mean(new int[] {-1}, true).add((float) config.rmsNormEps()).sqrt();
    return x.div(rms).mul(weight);
  }

  /** cos and sin tables {@code [1, 1, length, headSize]} for positions 0..length-1. */
  private NDArray[] rotary(NDManager manager, int length) {
    int size = config.headSize();
    int half = size / 2;
    float[] cos = new float[length * size];
    float[] sin = new float[length * size];
    for (int t = 0; t < length; t++) {
      for (int i = 0; i < half; i++) {
        double angle = t / Math.pow(config.ropeTheta(), (2.0 * i) / size);
        float c = (float) Math.cos(angle);
        float s = (float) Math.sin(angle);
        cos[t * size + i] = c;
        cos[t * size + i + half] = c;
        sin[t * size + i] = s;
        sin[t * size + i + half] = s;
      }
    }
    Shape shape = new Shape(1, 1, length, size);
    return new NDArray[] {manager.create(cos, shape), manager.create(sin, shape)};
  }

  private NDArray rotate(NDArray x, NDArray[] rotary) {
    int half = config.headSize() / 2;
    NDArray first = x.get(new NDIndex("..., :{}", half));
    NDArray second = x.get(new NDIndex("..., {}:", half));
    NDArray rotated = Ops.concatLast(second.neg(), first);
    return x.mul(rotary[0]).add(rotated.mul(rotary[1]));
  }

  /** {@code [length, length]}: 0 where key position ≤ query position, a large negative above. */
  private static NDArray causalBias(NDManager manager, int length) {
    float[] bias = new float[length * length];
    for (int i = 0; i < length; i++) {
      for (int j = i + 1; j < length; j++) {
        bias[i * length + j] = Ops.MASKED;
      }
    }
    return manager.create(bias, new Shape(length, length));
  }
}
