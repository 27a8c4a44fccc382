package dev.prosper.encoder.weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes and float initializers of an ONNX model file: enough to import the weights of the
 * pretrained encoders that ship as ONNX (their weights are the graph's initializers, some of them
 * anonymous, so a loader follows the nodes to tell them apart).
 *
 * <p>Reads the protobuf wire format directly for the few fields it needs (ModelProto.graph,
 * GraphProto.node/initializer, NodeProto.input/output/op_type, TensorProto.dims/data_type/
 * float_data/name/raw_data); everything else is skipped. Files up to 2 GiB; external tensor data is
 * refused with a clear message.
 */
public final class OnnxGraph {

  /** One graph node: its operator and the names of its inputs and outputs. */
  public record Node(String opType, List<String> inputs, List<String> outputs) {}

  /** TensorProto.DataType codes of the floating-point types, and their safetensors twins. */
  private static final Map<Integer, DType> FLOAT_TYPES =
      Map.of(1, DType.F32, 10, DType.F16, 16, DType.BF16);

  private final List<Node> nodes;
  private final Map<String, FloatTensor> initializers;

  private OnnxGraph(List<Node> nodes, Map<String, FloatTensor> initializers) {
    this.nodes = nodes;
    this.initializers = initializers;
  }

  /** Nodes in graph (topological) order; unmodifiable. */
  public List<Node> nodes() {
    return nodes;
  }

  /** Floating-point initializers by name, widened to float32; unmodifiable. */
  public Map<String, FloatTensor> initializers() {
    return initializers;
  }

  /**
   * Reads an ONNX file.
   *
   * @throws IOException naming the file when it is not a readable ONNX model
   */
  public static OnnxGraph read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      if (channel.size() > Integer.MAX_VALUE) {
        throw new IOException("ONNX file " + file + " is over 2 GiB; not supported");
      }
      ByteBuffer bytes =
          channel
              .map(FileChannel.MapMode.READ_ONLY, 0, channel.size())
              .order(ByteOrder.LITTLE_ENDIAN);
      List<Node> nodes = new ArrayList<>();
      Map<String, FloatTensor> initializers = new LinkedHashMap<>();
      try {
        Wire model = new Wire(bytes, 0, bytes.limit());
        boolean sawGraph = false;
        while (model.hasMore()) {
          int tag = model.tag();
          if (tag >>> 3 == 7 && (tag & 7) == 2) {
            sawGraph = true;
            readGraph(model.message(), nodes, initializers, file);
          } else {
            model.skip(tag);
          }
        }
        if (!sawGraph) {
          throw new IOException("ONNX file " + file + " has no graph");
        }
      } catch (IndexOutOfBoundsException | IllegalStateException e) {
        throw new IOException("ONNX file " + file + " is truncated or not an ONNX model", e);
      }
      return new OnnxGraph(
          Collections.unmodifiableList(nodes), Collections.unmodifiableMap(initializers));
    }
  }

  private static void readGraph(
      Wire graph, List<Node> nodes, Map<String, FloatTensor> initializers, Path file)
      throws IOException {
    while (graph.hasMore()) {
      int tag = graph.tag();
      int field = tag >>> 3;
      if (field == 1 && (tag & 7) == 2) {
        nodes.add(readNode(graph.message()));
      } else if (field == 5 && (tag & 7) == 2) {
        readInitializer(graph.message(), initializers, file);
      } else {
        graph.skip(tag);
      }
    }
  }

  private static Node readNode(Wire node) {
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    String opType = "";
    while (node.hasMore()) {
      int tag = node.tag();
      switch (tag >>> 3) {
        case 1 -> inputs.add(node.string());
        case 2 -> outputs.add(node.string());
        case 4 -> opType = node.string();
        default -> node.skip(tag);
      }
    }
    return new Node(opType, List.copyOf(inputs), List.copyOf(outputs));
  }

  private static void readInitializer(Wire tensor, Map<String, FloatTensor> initializers, Path file)
      throws IOException {
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    String name = "";
    ByteBuffer raw = null;
    List<Float> floatData = new ArrayList<>();
    boolean external = false;
    while (tensor.hasMore()) {
      int tag = tensor.tag();
      int field = tag >>> 3;
      int wireType = tag & 7;
      if (field == 1 && wireType == 0) {
        dims.add(tensor.varint());
      } else if (field == 1 && wireType == 2) {
        Wire packed = tensor.message();
        while (packed.hasMore()) {
          dims.add(packed.varint());
        }
      } else if (field == 2 && wireType == 0) {
        dataType = (int) tensor.varint();
      } else if (field == 4 && wireType == 2) {
        Wire packed = tensor.message();
        while (packed.hasMore()) {
          floatData.add(packed.fixed32Float());
        }
      } else if (field == 4 && wireType == 5) {
        floatData.add(tensor.fixed32Float());
      } else if (field == 8 && wireType == 2) {
        name = tensor.string();
      } else if (field == 9 && wireType == 2) {
        raw = tensor.bytes();
      } else if (field == 14 && wireType == 0) {
        external = tensor.varint() == 1;
      } else {
        tensor.skip(tag);
      }
    }
    DType dtype = FLOAT_TYPES.get(dataType);
    if (dtype == null) {
      return; // integer constants (shapes, indices) are not weights
    }
    if (external) {
      throw new IOException(
          "ONNX file " + file + ": initializer [" + name + "] keeps its data in an external file");
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    long count = TensorInfo.elementCount(shape);
    float[] values = new float[Math.toIntExact(count)];
    if (raw != null) {
      if (raw.remaining() != count * dtype.bytes()) {
        throw new IOException(
            "ONNX file "
                + file
                + ": initializer ["
                + name
                + "] has "
                + raw.remaining()
                + " bytes for "
                + count
                + " values");
      }
      ByteBuffer data = raw.order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < values.length; i++) {
        values[i] = dtype.readFloat(data);
      }
    } else if (dtype == DType.F32 && floatData.size() == count) {
      for (int i = 0; i < values.length; i++) {
        values[i] = floatData.get(i);
      }
    } else if (count != 0) {
      throw new IOException("ONNX file " + file + ": initializer [" + name + "] has no data");
    }
    initializers.put(name, new FloatTensor(shape, values));
  }

  /** A cursor over one protobuf message within the mapped file. */
  private static final class Wire {
    private final ByteBuffer buffer;
    private int position;
    private final int end;

    Wire(ByteBuffer buffer, int start, int end) {
      this.buffer = buffer;
      this.position = start;
      this.end = end;
    }

    boolean hasMore() {
      return position < end;
    }

    int tag() {
      return (int) varint();
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = buffer.get(position++);
        result |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return result;
        }
      }
      throw new IllegalStateException("malformed varint");
    }

    float fixed32Float() {
      float value = buffer.getFloat(position);
      position += 4;
      return value;
    }

    Wire message() {
      int length = Math.toIntExact(varint());
      if (length < 0 || position + length > end) {
        throw new IllegalStateException("length-delimited field runs past its message");
      }
      Wire inner = new Wire(buffer, position, position + length);
      position += length;
      return inner;
    }

    ByteBuffer bytes() {
      Wire inner = message();
      return buffer.slice(inner.position, inner.end - inner.position);
    }

    String string() {
      ByteBuffer slice = bytes();
      byte[] text = new byte[slice.remaining()];
      slice.get(text);
      return new String(text, StandardCharsets.UTF_8);
    }

    void skip(int tag) {
      switch (tag & 7) {
        case 0 -> varint();
        case 1 -> position += 8;
        case 2 -> message();
        case 5 -> position += 4;
        default -> throw new IllegalStateException("unsupported wire type " + (tag & 7));
      }
      if (position > end) {
        throw new IllegalStateException("field runs past its message");
      }
    }
  }
}
