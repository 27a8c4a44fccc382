package dev.prosper.encoder.backbone;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import dev.prosper.encoder.ops.Ops;
import dev.prosper.encoder.weights.Parameters;
import java.util.LinkedHashMap;
import java.util.Map;

/** BERT: embeddings + LayerNorm, post-norm transformer layers, GELU, MLM head. */
public final class BertBackbone implements Backbone {

  private final BertConfig config;

  BertBackbone(BertConfig config) {
    this.config = config;
  }

  @Override
  public BertConfig config() {
    return config;
  }

  public static String layer(int index, String name) {
    return "encoder.layer." + index + "." + name;
  }

  /** The linear layers of one transformer layer, in the order the ONNX graphs use them. */
  public static final String[] LINEARS = {
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense"
  };

  @Override
  public Map<String, long[]> parameterShapes() {
    long v = config.vocabSize();
    long h = config.hiddenSize();
    long i = config.intermediateSize();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put("embeddings.word_embeddings.weight", new long[] {v, h});
    shapes.put("embeddings.position_embeddings.weight", new long[] {config.maxPositions(), h});
    shapes.put("embeddings.token_type_embeddings.weight", new long[] {config.typeVocabSize(), h});
    shapes.put("embeddings.LayerNorm.weight", new long[] {h});
    shapes.put("embeddings.LayerNorm.bias", new long[] {h});
    for (int l = 0; l < config.layers(); l++) {
      for (String linear : LINEARS) {
        long out = linear.equals("intermediate.dense") ? i : h;
        long in = linear.equals("output.dense") ? i : h;
        shapes.put(layer(l, linear + ".weight"), new long[] {out, in});
        shapes.put(layer(l, linear + ".bias"), new long[] {out});
      }
      for (String norm : new String[] {"attention.output.LayerNorm", "output.LayerNorm"}) {
        shapes.put(layer(l, norm + ".weight"), new long[] {h});
        shapes.put(layer(l, norm + ".bias"), new long[] {h});
      }
    }
    if (config.mlmTransform()) {
      shapes.put("cls.predictions.transform.dense.weight", new long[] {h, h});
      shapes.put("cls.predictions.transform.dense.bias", new long[] {h});
      shapes.put("cls.predictions.transform.LayerNorm.weight", new long[] {h});
      shapes.put("cls.predictions.transform.LayerNorm.bias", new long[] {h});
    }
    shapes.put("cls.predictions.bias", new long[] {v});
    return shapes;
  }

  @Override
  public NDArray hiddenStates(Parameters p, NDArray ids, NDArray mask) {
    NDArray x = embeddings(p, ids);
    NDArray bias = Ops.paddingBias(mask);
    for (int l = 0; l < config.layers(); l++) {
      x = layer(p, x, x, l, bias);
    }
    return x;
  }

  /**
   * Only the last real position goes through the last layer: its keys and values come from every
   * position, but no other position's query, output projection or feed-forward block is computed.
   */
  @Override
  public NDArray lastHiddenState(Parameters p, NDArray ids, NDArray mask) {
    NDArray x = embeddings(p, ids);
    NDArray bias = Ops.paddingBias(mask);
    for (int l = 0; l < config.layers() - 1; l++) {
      x = layer(p, x, x, l, bias);
    }
    NDArray last = Ops.lastPosition(x, mask).expandDims(1);
    return layer(p, last, x, config.layers() - 1, bias).squeeze(1);
  }

  /** Word, position and token-type embeddings with their LayerNorm: {@code [batch, length, h]}. */
  private NDArray embeddings(Parameters p, NDArray ids) {
    NDManager manager = ids.getManager();
    long length = ids.getShape().get(1);
    if (length > config.maxPositions()) {
      throw new IllegalArgumentException(
          "sequence length "
              + length
              + " exceeds max_position_embeddings "
              + config.maxPositions());
    }
    NDArray positions = manager.arange(0, (int) length, 1, DataType.INT64).reshape(1, length);
    NDArray types = manager.zeros(new Shape(1, 1), DataType.INT64);
    NDArray x =
        embed(ids, p.get("embeddings.word_embeddings.weight"))
            .add(embed(positions, p.get("embeddings.position_embeddings.weight")))
            .add(embed(types, p.get("embeddings.token_type_embeddings.weight")));
    return norm(p, x, "embeddings.LayerNorm");
  }

  /**
   * Layer {@code l} (post-norm) for the positions of {@code x}, attending over {@code context} (the
   * same positions, or all of them when {@code x} holds a subset).
   */
  private NDArray layer(Parameters p, NDArray x, NDArray context, int l, NDArray paddingBias) {
    x =
        norm(
            p,
            x.add(attention(p, x, context, l, paddingBias)),
            layer(l, "attention.output.LayerNorm"));
    return norm(p, x.add(mlp(p, x, l)), layer(l, "output.LayerNorm"));
  }

  /** Layer {@code l}'s bidirectional multi-head self-attention and its output projection. */
  private NDArray attention(Parameters p, NDArray x, NDArray context, int l, NDArray paddingBias) {
    NDArray q = Ops.splitHeads(dense(p, x, layer(l, LINEARS[0])), config.heads());
    NDArray k = Ops.splitHeads(dense(p, context, layer(l, LINEARS[1])), config.heads());
    NDArray v = Ops.splitHeads(dense(p, context, layer(l, LINEARS[2])), config.heads());
    NDArray attended = Ops.mergeHeads(Ops.attention(q, k, v, paddingBias));
    return dense(p, attended, layer(l, LINEARS[3]));
  }

  /** Layer {@code l}'s feed-forward block: GELU between the intermediate and output layers. */
  private static NDArray mlp(Parameters p, NDArray x, int l) {
    NDArray inner = Activation.gelu(dense(p, x, layer(l, LINEARS[4])));
    return dense(p, inner, layer(l, LINEARS[5]));
  }

  @Override
  public NDArray vocabularyInput(Parameters p, NDArray hidden) {
    if (!config.mlmTransform()) {
      return hidden;
    }
    return norm(
        p,
        Activation.gelu(dense(p, hidden, "cls.predictions.transform.dense")),
        "cls.predictions.transform.LayerNorm");
  }

  @Override
  public String vocabularyWeight() {
    return "embeddings.word_embeddings.weight";
  }

  @Override
  public String vocabularyBias() {
    return "cls.predictions.bias";
  }

  private static NDArray embed(NDArray ids, NDArray table) {
    return Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
  }

  private static NDArray dense(Parameters p, NDArray x, String name) {
    return Ops.linear(x, p.get(name + ".weight"), p.get(name + ".bias"));
  }

  private NDArray norm(Parameters p, NDArray x, String name) {
    return LayerNorm.layerNorm(
            x,
            new Shape(config.hiddenSize()),
            p.get(name + ".weight"),
            p.get(name + ".bias"),
            (float) config.layerNormEps())
        .singletonOrThrow();
  }
}
