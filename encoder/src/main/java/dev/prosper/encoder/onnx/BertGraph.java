package dev.prosper.encoder.onnx;

import dev.prosper.encoder.backbone.BertBackbone;
import dev.prosper.encoder.backbone.BertConfig;
import dev.prosper.encoder.weights.Parameters;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

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
 * direct (off-heap) buffer ({@link Model#initializers}) that ONNX Runtime takes as it is ({@code
 * SessionOptions.addExternalInitializers}), so the weights are never copied through the heap.
 */
public final class BertGraph {

  public static final String INPUT_IDS = "input_ids";
  public static final String POSITION_IDS = "position_ids";
  public static final String ATTENTION_BIAS = "attention_bias";
  public static final String POOLED_INDEX = "pooled_index";
  public static final String OUTPUT = "last_hidden_state";

  /** ONNX TensorProto.DataType codes. */
  private static final int FLOAT = 1;

  private static final int INT64 = 7;

  /** ONNX AttributeProto.AttributeType codes. */
  private static final int ATTRIBUTE_FLOAT = 1;

  private static final int ATTRIBUTE_INT = 2;
  private static final int ATTRIBUTE_INTS = 7;

  private final BertConfig config;
  private final Parameters parameters;
  private final Protobuf graph = new Protobuf();

  /** Initializers smaller than this are written into the graph (see {@link #tensor}). */
  private static final int INLINE_BYTES = 256;

  private final Map<String, Initializer> initializers = new LinkedHashMap<>();
  private int names;

  /** An initializer's data (direct, native byte order) and ONNX element type and dimensions. */
  public record Initializer(ByteBuffer data, int dataType, long[] dims) {
    public boolean isFloat() {
      return dataType == FLOAT;
    }
  }

  /** The serialized ModelProto (graph only) and the data of its external initializers by name. */
  public record Model(byte[] graph, Map<String, Initializer> initializers) {}

  private BertGraph(BertConfig config, Parameters parameters) {
    this.config = config;
    this.parameters = parameters;
  }

  /**
   * The model. Copies every backbone weight once into direct memory (about their size in bytes
   * outside the heap; the heap holds one weight at a time).
   */
  public static Model lastHiddenState(BertConfig config, Parameters parameters) {
    BertGraph graph = new BertGraph(config, parameters);
    return new Model(graph.build(), Map.copyOf(graph.initializers));
  }

  private byte[] build() {
    int hidden = config.hiddenSize();
    graph.string(2, "prosper-bert-query");
    // The token-type embedding of type 0 (every PROSPER input) is folded into the positions.
    float[] positions = values("embeddings.position_embeddings.weight");
    float[] type0 = values("embeddings.token_type_embeddings.weight");
    for (int i = 0; i < positions.length; i++) {
      positions[i] += type0[i % hidden];
    }
    String words =
        gather(
            initializer(
                "word_embeddings",
                values("embeddings.word_embeddings.weight"),
                config.vocabSize(),
                hidden),
            INPUT_IDS,
            0);
    String positionRows =
        gather(
            initializer("position_embeddings", positions, config.maxPositions(), hidden),
            POSITION_IDS,
            0);
    String x = norm(node("Add", List.of(), words, positionRows), "embeddings.LayerNorm");
    int last = config.layers() - 1;
    for (int l = 0; l < last; l++) {
      x = layer(x, x, l);
    }
    String flat = node("Reshape", List.of(), x, shape(-1, hidden));
    String pooled = gather(flat, POOLED_INDEX, 0);
    String query = node("Reshape", List.of(), pooled, shape(-1, 1, hidden));
    String out = layer(query, x, last);
    graph.message(1, nodeProto("Reshape", List.of(), List.of(out, shape(-1, hidden)), OUTPUT));

    graph.message(11, valueInfo(INPUT_IDS, INT64, "batch", "length"));
    graph.message(11, valueInfo(POSITION_IDS, INT64, 1, "length"));
    graph.message(11, valueInfo(ATTENTION_BIAS, FLOAT, "batch", 1, 1, "length"));
    graph.message(11, valueInfo(POOLED_INDEX, INT64, "batch"));
    graph.message(12, valueInfo(OUTPUT, FLOAT, "batch", hidden));

    Protobuf opset = new Protobuf().string(1, "").varint(2, 17);
    return new Protobuf()
        .varint(1, 8)
        .string(2, "prosper")
        .message(7, graph)
        .message(8, opset)
        .toByteArray();
  }

  /**
   * Layer {@code l} (post-norm) for the positions of {@code x}, attending over {@code context}: the
   * same positions, or all of them when {@code x} holds the pooled one.
   */
  private String layer(String x, String context, int l) {
    int heads = config.heads();
    int size = config.headSize();
    String[] linears = BertBackbone.LINEARS;
    String split = shape(0, 0, heads, size);
    String q = transpose(node("Reshape", List.of(), dense(x, l, linears[0]), split), 0, 2, 1, 3);
    String k =
        transpose(node("Reshape", List.of(), dense(context, l, linears[1]), split), 0, 2, 3, 1);
    String v =
        transpose(node("Reshape", List.of(), dense(context, l, linears[2]), split), 0, 2, 1, 3);
    String scale = scalar(1f / (float) Math.sqrt(size));
    String scores =
        node(
            "Add",
            List.of(),
            node("Mul", List.of(), node("MatMul", List.of(), q, k), scale),
            ATTENTION_BIAS);
    String weights = node("Softmax", List.of(intAttribute("axis", -1)), scores);
    String attended = transpose(node("MatMul", List.of(), weights, v), 0, 2, 1, 3);
    String merged = node("Reshape", List.of(), attended, shape(0, 0, config.hiddenSize()));
    String attentionOut =
        norm(
            node("Add", List.of(), x, dense(merged, l, linears[3])),
            BertBackbone.layer(l, "attention.output.LayerNorm"));
    String inner = gelu(dense(attentionOut, l, linears[4]));
    return norm(
        node("Add", List.of(), attentionOut, dense(inner, l, linears[5])),
        BertBackbone.layer(l, "output.LayerNorm"));
  }

  /** GELU with erf, as BERT and PyTorch's default: {@code x · (1 + erf(x / √2)) / 2}. */
  private String gelu(String x) {
    String erf = node("Erf", List.of(), node("Div", List.of(), x, scalar((float) Math.sqrt(2))));
    String product = node("Mul", List.of(), x, node("Add", List.of(), erf, scalar(1f)));
    return node("Mul", List.of(), product, scalar(0.5f));
  }

  /** {@code x · weightᵀ + bias}: the {@code [out, in]} weight is written transposed. */
  private String dense(String x, int l, String linear) {
    String name = BertBackbone.layer(l, linear);
    long[] shape = parameters.get(name + ".weight").getShape().getShape();
    int out = (int) shape[0];
    int in = (int) shape[1];
    float[] weight = values(name + ".weight");
    float[] transposed = new float[weight.length];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        transposed[i * out + o] = weight[o * in + i];
      }
    }
    String product =
        node("MatMul", List.of(), x, initializer(name + ".weight", transposed, in, out));
    return node(
        "Add", List.of(), product, initializer(name + ".bias", values(name + ".bias"), out));
  }

  private String norm(String x, String name) {
    int hidden = config.hiddenSize();
    return node(
        "LayerNormalization",
        List.of(
            intAttribute("axis", -1),
            new Protobuf()
                .string(1, "epsilon")
                .float32(2, (float) config.layerNormEps())
                .varint(20, ATTRIBUTE_FLOAT)),
        x,
        initializer(name + ".weight", values(name + ".weight"), hidden),
        initializer(name + ".bias", values(name + ".bias"), hidden));
  }

  private String gather(String data, String indices, int axis) {
    return node("Gather", List.of(intAttribute("axis", axis)), data, indices);
  }

  private String transpose(String x, long... permutation) {
    Protobuf perm = new Protobuf().string(1, "perm").varint(20, ATTRIBUTE_INTS);
    for (long p : permutation) {
      perm.varint(8, p);
    }
    return node("Transpose", List.of(perm), x);
  }

  private static Protobuf intAttribute(String name, long value) {
    return new Protobuf().string(1, name).varint(3, value).varint(20, ATTRIBUTE_INT);
  }

  /** Adds a node with a fresh output name and returns that name. */
  private String node(String opType, List<Protobuf> attributes, String... inputs) {
    String output = "t" + names++;
    graph.message(1, nodeProto(opType, attributes, List.of(inputs), output));
    return output;
  }

  private Protobuf nodeProto(
      String opType, List<Protobuf> attributes, List<String> inputs, String output) {
    Protobuf node = new Protobuf();
    for (String input : inputs) {
      node.string(1, input);
    }
    node.string(2, output).string(3, output).string(4, opType);
    for (Protobuf attribute : attributes) {
      node.message(5, attribute);
    }
    return node;
  }

  private float[] values(String name) {
    return parameters.get(name).toFloatArray();
  }

  /** A float initializer of the given shape; returns its name. */
  private String initializer(String name, float[] values, long... dims) {
    return tensor(
        name, FLOAT, values.length * Float.BYTES, data -> data.asFloatBuffer().put(values), dims);
  }

  private String scalar(float value) {
    return initializer("c" + names++, new float[] {value});
  }

  /** An int64 shape constant for Reshape. */
  private String shape(long... values) {
    return tensor(
        "s" + names++,
        INT64,
        values.length * Long.BYTES,
        data -> data.asLongBuffer().put(values),
        values.length);
  }

  /**
   * An initializer (TensorProto) of {@code bytes} bytes that {@code fill} writes; returns its name.
   * Constants (shapes and scalars, under {@link #INLINE_BYTES}) are written into the graph
   * (little-endian raw data), where shape inference reads them; weights are declared external and
   * their data kept, in direct memory of the native byte order, in {@link #initializers}.
   */
  private String tensor(
      String name, int dataType, int bytes, Consumer<ByteBuffer> fill, long... dims) {
    Protobuf tensor = new Protobuf();
    for (long d : dims) {
      tensor.varint(1, d);
    }
    tensor.varint(2, dataType).string(8, name);
    if (bytes < INLINE_BYTES) {
      ByteBuffer raw = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
      fill.accept(raw);
      tensor.bytes(9, raw.array());
    } else {
      ByteBuffer data = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
      fill.accept(data);
      // external_data {key: "location"} and data_location EXTERNAL; the session supplies the data.
      Protobuf location = new Protobuf().string(1, "location").string(2, "prosper-memory");
      tensor.message(13, location).varint(14, 1);
      initializers.put(name, new Initializer(data, dataType, dims));
    }
    graph.message(5, tensor);
    return name;
  }

  /** A tensor's name, element type and dimensions (a number or a symbolic name each). */
  private static Protobuf valueInfo(String name, int elementType, Object... dims) {
    Protobuf shape = new Protobuf();
    for (Object d : dims) {
      Protobuf dim = new Protobuf();
      if (d instanceof Integer size) {
        dim.varint(1, size);
      } else {
        dim.string(2, (String) d);
      }
      shape.message(1, dim);
    }
    Protobuf tensor = new Protobuf().varint(1, elementType).message(2, shape);
    return new Protobuf().string(1, name).message(2, new Protobuf().message(1, tensor));
  }
}
