package dev.prosper.encoder.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads one safetensors file: an 8-byte little-endian header length, a JSON header that locates
 * each tensor, then the raw tensor bytes.
 *
 * <p>The header is validated in full when the file is opened (every byte range inside the file,
 * consistent with its dtype and shape), so a truncated or corrupted checkpoint fails before any
 * weight is used, with the file and tensor named. Tensor data is read through a memory mapping at
 * long offsets, so files over 2 GiB work. Not thread-safe; close it when done.
 */
public final class SafetensorsFile implements AutoCloseable {

  /**
   * The largest header read (16 MB, below the format's own 100 MB): a 12-layer model's header is
   * about 20 kB, and the header is read onto the heap before it is checked.
   */
  private static final long MAX_HEADER_BYTES = 16_000_000L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(
      Path path,
      FileChannel channel,
      long dataStart,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /**
   * Opens and validates a safetensors file.
   *
   * @throws IOException naming the file and the problem when it cannot be read or is not a valid
   *     safetensors file
   */
  public static SafetensorsFile open(Path path) throws IOException {
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
    try {
      long fileSize = channel.size();
      if (fileSize < 8) {
        throw invalid(path, "file is " + fileSize + " bytes, too short for a header");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
        throw invalid(
            path,
            "header length " + headerLength + " does not fit a file of " + fileSize + " bytes");
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      JsonNode header;
      try {
        header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
      } catch (JsonProcessingException e) {
        throw invalid(path, "header is not valid JSON: " + e.getOriginalMessage());
      }
      if (header == null || !header.isObject()) {
        throw invalid(path, "header is not a JSON object");
      }
      long dataStart = 8 + headerLength;
      Map<String, TensorInfo> tensors = new LinkedHashMap<>();
      Map<String, String> metadata = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        if (entry.getKey().equals("__metadata__")) {
          entry
              .getValue()
              .fields()
              .forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        } else {
          tensors.put(
              entry.getKey(),
              parseTensor(path, entry.getKey(), entry.getValue(), fileSize - dataStart));
        }
      }
      return new SafetensorsFile(
          path,
          channel,
          dataStart,
          Collections.unmodifiableMap(tensors),
          Collections.unmodifiableMap(metadata));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static TensorInfo parseTensor(Path path, String name, JsonNode node, long dataSize)
      throws IOException {
    JsonNode dtypeNode = node.get("dtype");
    JsonNode shapeNode = node.get("shape");
    JsonNode offsetsNode = node.get("data_offsets");
    if (dtypeNode == null
        || shapeNode == null
        || !shapeNode.isArray()
        || offsetsNode == null
        || !offsetsNode.isArray()
        || offsetsNode.size() != 2) {
      throw invalid(path, "tensor [" + name + "] needs dtype, shape and two data_offsets");
    }
    DType dtype;
    try {
      dtype = DType.parse(dtypeNode.asText());
    } catch (IllegalArgumentException e) {
      throw invalid(path, "tensor [" + name + "]: " + e.getMessage());
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode dimension = shapeNode.get(i);
      if (!dimension.canConvertToLong() || dimension.asLong() < 0) {
        throw invalid(path, "tensor [" + name + "] has an invalid shape " + shapeNode);
      }
      shape[i] = dimension.asLong();
    }
    long begin = offsetsNode.get(0).asLong(-1);
    long end = offsetsNode.get(1).asLong(-1);
    if (begin < 0 || end < begin || end > dataSize) {
      throw invalid(
          path,
          "tensor ["
              + name
              + "] lies at bytes ["
              + begin
              + ", "
              + end
              + ") but the data section"
              + " holds "
              + dataSize
              + " bytes (truncated file?)");
    }
    TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
    long expected = Math.multiplyExact(info.elementCount(), (long) dtype.bytes());
    if (end - begin != expected) {
      throw invalid(
          path,
          "tensor ["
              + name
              + "] is "
              + (end - begin)
              + " bytes but "
              + dtype
              + " "
              + Arrays.toString(shape)
              + " needs "
              + expected);
    }
    return info;
  }

  /** The file this reads. */
  public Path path() {
    return path;
  }

  /** Every tensor of the file, in header order; unmodifiable. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The header's {@code __metadata__} strings; unmodifiable, empty when absent. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * An F32 tensor's bytes as a read-only little-endian view of the memory mapping (no copy, no heap
   * array): for copying straight into native memory.
   *
   * @throws IllegalArgumentException if there is no such tensor or it is not F32
   */
  public ByteBuffer mapF32(String name) throws IOException {
    TensorInfo info = tensor(name);
    if (info.dtype() != DType.F32) {
      throw new IllegalArgumentException(
          "tensor [" + name + "] in " + path + " is " + info.dtype() + ", not F32");
    }
    return map(info);
  }

  /** A tensor's header entry; {@link IllegalArgumentException} naming it when there is none. */
  private TensorInfo tensor(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new IllegalArgumentException("no tensor [" + name + "] in " + path);
    }
    return info;
  }

  /** A tensor's bytes: a read-only little-endian view of the memory mapping. */
  private ByteBuffer map(TensorInfo info) throws IOException {
    return channel
        .map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.end() - info.begin())
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Reads a floating-point tensor as float32 (F64 is narrowed, F16 and BF16 widened exactly).
   *
   * @throws IllegalArgumentException if the file has no such tensor, its type is not floating
   *     point, or it holds more values than a Java array can
   */
  public FloatTensor readFloats(String name) throws IOException {
    TensorInfo info = tensor(name);
    if (!info.dtype().isFloatingPoint()) {
      throw new IllegalArgumentException(
          "tensor [" + name + "] in " + path + " is " + info.dtype() + ", not floating point");
    }
    long count = info.elementCount();
    if (count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "tensor [" + name + "] in " + path + " has " + count + " values, too many for one array");
    }
    float[] values = new float[(int) count];
    if (count > 0) {
      ByteBuffer bytes = map(info);
      if (info.dtype() == DType.F32) {
        bytes.asFloatBuffer().get(values);
      } else {
        for (int i = 0; i < values.length; i++) {
          values[i] = info.dtype().readFloat(bytes);
        }
      }
    }
    return new FloatTensor(info.shape().clone(), values);
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, position + buffer.position());
      if (read < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }

  private static IOException invalid(Path path, String problem) {
    return new IOException("invalid safetensors file " + path + ": " + problem);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
