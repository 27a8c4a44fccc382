package dev.prosper.encoder.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes one ONNX model (a GraphProto in a ModelProto) node by node, for the graphs built from a
 * model's weights ({@link BertGraph}, {@link QuantizedProjection}). Weights are declared external:
 * their data stays in direct (off-heap) buffers ({@link Model#initializers}) that ONNX Runtime
 * takes as they are ({@code SessionOptions.addExternalInitializers}), so they are never copied
 * through the heap; small constants are written into the graph, where shape inference reads them.
 */
final class GraphWriter {

  /** ONNX TensorProto.DataType codes. */
  static final int FLOAT = 1;

  static final int UINT8 = 2;
  static final int INT8 = 3;
  static final int INT64 = 7;

  /** ONNX AttributeProto.AttributeType codes. */
  private static final int ATTRIBUTE_FLOAT = 1;

  private static final int ATTRIBUTE_INT = 2;
  private static final int ATTRIBUTE_INTS = 7;

  /** The domain of ONNX Runtime's own operators (e.g. {@code DynamicQuantizeMatMul}). */
  static final String MICROSOFT = "com.microsoft";

  /** Initializers smaller than this are written into the graph (see {@link #tensor}). */
  private static final int INLINE_BYTES = 256;

  /** An initializer's data (direct, native byte order) and ONNX element type and dimensions. */
  public record Initializer(ByteBuffer data, int dataType, long[] dims) {}

  /** The serialized ModelProto (graph only) and the data of its external initializers by name. */
  public record Model(byte[] graph, Map<String, Initializer> initializers) {}

  private final Protobuf graph = new Protobuf();
  private final Map<String, Initializer> initializers = new LinkedHashMap<>();
  private boolean microsoftOperators;
  private int names;

  GraphWriter(String name) {
    graph.string(2, name);
  }

  /** The model (opset 17, and ONNX Runtime's domain when a node used it). */
  Model model() {
    Protobuf model = new Protobuf().varint(1, 8).string(2, "prosper").message(7, graph);
    model.message(8, new Protobuf().string(1, "").varint(2, 17));
    if (microsoftOperators) {
      model.message(8, new Protobuf().string(1, MICROSOFT).varint(2, 1));
    }
    return new Model(model.toByteArray(), Map.copyOf(initializers));
  }

  /** Adds a node of the default domain with a fresh output name and returns that name. */
  String node(String opType, List<Protobuf> attributes, String... inputs) {
    String output = "t" + names++;
    named(opType, attributes, List.of(inputs), output);
    return output;
  }

  /** Adds a node of the default domain whose output is {@code output} (a graph output). */
  void named(String opType, List<Protobuf> attributes, List<String> inputs, String output) {
    graph.message(1, nodeProto(opType, "", attributes, inputs, output));
  }

  /**
   * Adds a node of ONNX Runtime's own domain ({@value #MICROSOFT}); an empty input name leaves an
   * optional input out.
   */
  String microsoftNode(String opType, String... inputs) {
    microsoftOperators = true;
    String output = "t" + names++;
    graph.message(1, nodeProto(opType, MICROSOFT, List.of(), List.of(inputs), output));
    return output;
  }

  private static Protobuf nodeProto(
      String opType, String domain, List<Protobuf> attributes, List<String> inputs, String output) {
    Protobuf node = new Protobuf();
    for (String input : inputs) {
      node.string(1, input);
    }
    node.string(2, output).string(3, output).string(4, opType);
    for (Protobuf attribute : attributes) {
      node.message(5, attribute);
    }
    if (!domain.isEmpty()) {
      node.string(7, domain);
    }
    return node;
  }

  static Protobuf intAttribute(String name, long value) {
    return new Protobuf().string(1, name).varint(3, value).varint(20, ATTRIBUTE_INT);
  }

  static Protobuf floatAttribute(String name, float value) {
    return new Protobuf().string(1, name).float32(2, value).varint(20, ATTRIBUTE_FLOAT);
  }

  static Protobuf intsAttribute(String name, long... values) {
    Protobuf attribute = new Protobuf().string(1, name).varint(20, ATTRIBUTE_INTS);
    for (long value : values) {
      attribute.varint(8, value);
    }
    return attribute;
  }

  /** A float initializer of the given shape; returns its name. */
  String floats(String name, float[] values, long... dims) {
    return tensor(
        name, FLOAT, values.length * Float.BYTES, data -> data.asFloatBuffer().put(values), dims);
  }

  /** An int8 initializer of the given shape; returns its name. */
  String int8s(String name, byte[] values, long... dims) {
    return tensor(name, INT8, values.length, data -> data.duplicate().put(values), dims);
  }

  /** A uint8 scalar written into the graph; returns its name. */
  String uint8Scalar(int value) {
    return tensor("c" + names++, UINT8, 1, data -> data.put((byte) value));
  }

  String scalar(float value) {
    return floats("c" + names++, new float[] {value});
  }

  /** An int64 shape constant for Reshape. */
  String shape(long... values) {
    return tensor(
        "s" + names++,
        INT64,
        values.length * Long.BYTES,
        data -> data.asLongBuffer().put(values),
        values.length);
  }

  /** Declares a graph input: its name, element type and dimensions (a number or a name each). */
  void input(String name, int elementType, Object... dims) {
    graph.message(11, valueInfo(name, elementType, dims));
  }

  /** Declares a graph output, as {@link #input}. */
  void output(String name, int elementType, Object... dims) {
    graph.message(12, valueInfo(name, elementType, dims));
  }

  /**
   * An initializer (TensorProto) of {@code bytes} bytes that {@code fill} writes; returns its name.
   * Constants (under {@link #INLINE_BYTES}) are written into the graph (little-endian raw data);
   * weights are declared external and their data kept, in direct memory of the native byte order,
   * in {@link #initializers}.
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
