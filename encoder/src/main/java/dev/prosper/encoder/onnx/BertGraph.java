package dev.prosper.encoder.onnx;

import dev.prosper.encoder.backbone.BertBackbone;
import dev.prosper.encoder.backbone.BertConfig;
import dev.prosper.encoder.weights.Parameters;
import java.util.List;

/**
 * A BERT backbone with a model's current weights as an ONNX model (opset 17): the same forward pass
 * as {@link BertBackbone#lastHiddenState}, so that ONNX Runtime can run it for queries. Written
 * from the config and the weights, so it works for every BERT artefact, trained or not.
 *
 * <p>Inputs: {@value #INPUT_IDS} {@code [batch, length]} int64; {@value #POSITION_IDS} {@code [1,
 * length]} int64 (0, 1, …); {@value #ATTENTION_BIAS} {@code [batch, 1, 1, length]} float, 0 for
 * real tokens and {@link dev.prosper.encoder.ops.Ops#MASKED} for padding; {@value #POOLED_INDEX}
 * {@code [batch]} int64, {@code row · length + last real position}. Output: {@value #OUTPUT} {@code
 * [batch, hidden]}, the last layer at the pooled position (the paper's last pooling, eqs. 6, 7,
 * reads it). As in {@link BertBackbone}, only that position goes through the last layer.
 *
 * <p>The model file holds the graph only: every initializer is declared external, and its data is a
 * direct (off-heap) buffer ({@link GraphWriter.Model#initializers}) that ONNX Runtime takes as it
 * is ({@code SessionOptions.addExternalInitializers}), so the weights are never copied through the
 * heap.
 */
public final class BertGraph {

  public static final String INPUT_IDS = "input_ids";
  public static final String POSITION_IDS = "position_ids";
  public static final String ATTENTION_BIAS = "attention_bias";
  public static final String POOLED_INDEX = "pooled_index";
  public static final String OUTPUT = "last_hidden_state";

  /** Int8 activation levels on each side of zero. */
  static final float ACTIVATION_LEVELS = 127f;

  /** The uint8 value that stands for an activation of 0. */
  private static final float ZERO_POINT = 128f;

  private final BertConfig config;
  private final Parameters parameters;
  private final boolean int8Linears;
  private final GraphWriter g = new GraphWriter("prosper-bert-query");

  private BertGraph(BertConfig config, Parameters parameters, boolean int8Linears) {
    this.config = config;
    this.parameters = parameters;
    this.int8Linears = int8Linears;
  }

  /**
   * The model. Copies every backbone weight once into direct memory (about their size in bytes
   * outside the heap; the heap holds one weight at a time).
   */
  static GraphWriter.Model lastHiddenState(BertConfig config, Parameters parameters) {
    return lastHiddenState(config, parameters, false);
  }

  /**
   * The model, with the six linear layers of every transformer layer but the last in int8 when
   * {@code int8Linears} is set: 7-bit weights with one scale per output ({@link
   * QuantizedProjection#quantize}) times int8 activations with one scale per token, quantized on
   * the fly ({@link #int8Dense}). A short query reads every weight once, so a quarter of the bytes
   * is most of what it costs. The last layer stays float32: it runs for the pooled position only
   * (its keys and values aside), so it costs little, and its error would reach the terms
   * unsmoothed. Embeddings and norms stay float32.
   */
  static GraphWriter.Model lastHiddenState(
      BertConfig config, Parameters parameters, boolean int8Linears) {
    return new BertGraph(config, parameters, int8Linears).build();
  }

  private GraphWriter.Model build() {
    int hidden = config.hiddenSize();
    // The token-type embedding of type 0 (every PROSPER input) is folded into the positions.
    float[] positions = values("embeddings.position_embeddings.weight");
    float[] type0 = values("embeddings.token_type_embeddings.weight");
    for (int i = 0; i < positions.length; i++) {
      positions[i] += type0[i % hidden];
    }
    String words =
        gather(
            g.floats(
                "word_embeddings",
                values("embeddings.word_embeddings.weight"),
                config.vocabSize(),
                hidden),
            INPUT_IDS,
            0);
    String positionRows =
        gather(
            g.floats("position_embeddings", positions, config.maxPositions(), hidden),
            POSITION_IDS,
            0);
    String x = norm(g.node("Add", List.of(), words, positionRows), "embeddings.LayerNorm");
    int last = config.layers() - 1;
    for (int l = 0; l < last; l++) {
      x = layer(x, x, l);
    }
    String flat = g.node("Reshape", List.of(), x, g.shape(-1, hidden));
    String pooled = gather(flat, POOLED_INDEX, 0);
    String query = g.node("Reshape", List.of(), pooled, g.shape(-1, 1, hidden));
    String out = layer(query, x, last);
    g.named("Reshape", List.of(), List.of(out, g.shape(-1, hidden)), OUTPUT);

    g.input(INPUT_IDS, GraphWriter.INT64, "batch", "length");
    g.input(POSITION_IDS, GraphWriter.INT64, 1, "length");
    g.input(ATTENTION_BIAS, GraphWriter.FLOAT, "batch", 1, 1, "length");
    g.input(POOLED_INDEX, GraphWriter.INT64, "batch");
    g.output(OUTPUT, GraphWriter.FLOAT, "batch", hidden);
    return g.model();
  }

  /**
   * Layer {@code l} (post-norm) for the positions of {@code x}, attending over {@code context}: the
   * same positions, or all of them when {@code x} holds the pooled one.
   */
  private String layer(String x, String context, int l) {
    int heads = config.heads();
    int size = config.headSize();
    String[] linears = BertBackbone.LINEARS;
    String split = g.shape(0, 0, heads, size);
    String q = transpose(g.node("Reshape", List.of(), dense(x, l, linears[0]), split), 0, 2, 1, 3);
    String k =
        transpose(g.node("Reshape", List.of(), dense(context, l, linears[1]), split), 0, 2, 3, 1);
    String v =
        transpose(g.node("Reshape", List.of(), dense(context, l, linears[2]), split), 0, 2, 1, 3);
    String scale = g.scalar(1f / (float) Math.sqrt(size));
    String scores =
        g.node(
            "Add",
            List.of(),
            g.node("Mul", List.of(), g.node("MatMul", List.of(), q, k), scale),
            ATTENTION_BIAS);
    String weights = g.node("Softmax", List.of(GraphWriter.intAttribute("axis", -1)), scores);
    String attended = transpose(g.node("MatMul", List.of(), weights, v), 0, 2, 1, 3);
    String merged = g.node("Reshape", List.of(), attended, g.shape(0, 0, config.hiddenSize()));
    String attentionOut =
        norm(
            g.node("Add", List.of(), x, dense(merged, l, linears[3])),
            BertBackbone.layer(l, "attention.output.LayerNorm"));
    String inner = gelu(dense(attentionOut, l, linears[4]));
    return norm(
        g.node("Add", List.of(), attentionOut, dense(inner, l, linears[5])),
        BertBackbone.layer(l, "output.LayerNorm"));
  }

  /** GELU with erf, as BERT and PyTorch's default: {@code x · (1 + erf(x / √2)) / 2}. */
  private String gelu(String x) {
    String erf =
        g.node("Erf", List.of(), g.node("Div", List.of(), x, g.scalar((float) Math.sqrt(2))));
    String product = g.node("Mul", List.of(), x, g.node("Add", List.of(), erf, g.scalar(1f)));
    return g.node("Mul", List.of(), product, g.scalar(0.5f));
  }

  /** {@code x · weightᵀ + bias}: the {@code [out, in]} weight is written transposed. */
  private String dense(String x, int l, String linear) {
    String name = BertBackbone.layer(l, linear);
    long[] shape = parameters.get(name + ".weight").getShape().getShape();
    int out = (int) shape[0];
    int in = (int) shape[1];
    float[] weight = values(name + ".weight");
    if (int8Linears && l < config.layers() - 1) {
      return int8Dense(x, name, weight, out, in);
    }
    float[] transposed = new float[weight.length];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        transposed[i * out + o] = weight[o * in + i];
      }
    }
    String product =
        g.node("MatMul", List.of(), x, g.floats(name + ".weight", transposed, in, out));
    return g.node("Add", List.of(), product, g.floats(name + ".bias", values(name + ".bias"), out));
  }

  /**
   * {@code x · weightᵀ + bias} in int8: each token's row of {@code x} is scaled by its own largest
   * magnitude to ±{@value #ACTIVATION_LEVELS} and rounded, multiplied by the int8 weights exactly
   * ({@code MatMulInteger}, int32 sums), and scaled back by the token's and the output's scales. A
   * token's result never depends on the other tokens or texts of a batch, and one loud token
   * ({@code [CLS]}, {@code [SEP]}) does not coarsen the others, as one scale per run would.
   */
  private String int8Dense(String x, String name, float[] weight, int out, int in) {
    float[] scales = new float[out];
    byte[] quantized = QuantizedProjection.quantize(weight, out, in, scales);
    String largest =
        g.node(
            "ReduceMax",
            List.of(GraphWriter.intsAttribute("axes", -1), GraphWriter.intAttribute("keepdims", 1)),
            g.node("Abs", List.of(), x));
    // An all-zero row gets a tiny step instead of 0 (its products are 0 either way).
    String step =
        g.node(
            "Div",
            List.of(),
            g.node("Max", List.of(), largest, g.scalar(1e-30f)),
            g.scalar(ACTIVATION_LEVELS));
    // Shifted by 128 into uint8 (1..255) with 128 as the zero point: ONNX Runtime's fast integer
    // kernels take uint8 activations and int8 weights.
    String rounded =
        g.node(
            "Cast",
            List.of(GraphWriter.intAttribute("to", GraphWriter.UINT8)),
            g.node(
                "Add",
                List.of(),
                g.node("Round", List.of(), g.node("Div", List.of(), x, step)),
                g.scalar(ZERO_POINT)));
    String sums =
        g.node(
            "MatMulInteger",
            List.of(),
            rounded,
            g.int8s(name + ".weight", quantized, in, out),
            g.uint8Scalar((int) ZERO_POINT));
    String product =
        g.node(
            "Mul",
            List.of(),
            g.node(
                "Mul",
                List.of(),
                g.node("Cast", List.of(GraphWriter.intAttribute("to", GraphWriter.FLOAT)), sums),
                step),
            g.floats(name + ".scale", scales, out));
    return g.node("Add", List.of(), product, g.floats(name + ".bias", values(name + ".bias"), out));
  }

  private String norm(String x, String name) {
    int hidden = config.hiddenSize();
    return g.node(
        "LayerNormalization",
        List.of(
            GraphWriter.intAttribute("axis", -1),
            GraphWriter.floatAttribute("epsilon", (float) config.layerNormEps())),
        x,
        g.floats(name + ".weight", values(name + ".weight"), hidden),
        g.floats(name + ".bias", values(name + ".bias"), hidden));
  }

  private String gather(String data, String indices, int axis) {
    return g.node("Gather", List.of(GraphWriter.intAttribute("axis", axis)), data, indices);
  }

  private String transpose(String x, long... permutation) {
    return g.node("Transpose", List.of(GraphWriter.intsAttribute("perm", permutation)), x);
  }

  private float[] values(String name) {
    return parameters.get(name).toFloatArray();
  }
}
