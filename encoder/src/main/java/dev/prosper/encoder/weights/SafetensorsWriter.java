package dev.prosper.encoder.weights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes float32 tensors to a safetensors file, stored as F32, F16 or BF16. The header is padded
 * with spaces to a multiple of 8 bytes, as the format recommends, and tensors are written in the
 * map's iteration order, so the same input gives the same bytes.
 */
public final class SafetensorsWriter {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetensorsWriter() {}

  /**
   * @param tensors tensors by name, written in iteration order
   * @param storeAs the element type on disk: {@link DType#F32}, {@link DType#F16} or {@link
   *     DType#BF16} (BF16 keeps the upper 16 bits, i.e. rounds toward zero)
   * @param metadata strings for the header's {@code __metadata__}, may be empty
   */
  public static void write(
      Path file, Map<String, FloatTensor> tensors, DType storeAs, Map<String, String> metadata)
      throws IOException {
    if (storeAs != DType.F32 && storeAs != DType.F16 && storeAs != DType.BF16) {
      throw new IllegalArgumentException("can store F32, F16 or BF16, not " + storeAs);
    }
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, FloatTensor> entry : tensors.entrySet()) {
      ObjectNode node = header.putObject(entry.getKey());
      node.put("dtype", storeAs.name());
      var shape = node.putArray("shape");
      for (long dimension : entry.getValue().shape()) {
        shape.add(dimension);
      }
      long size = (long) entry.getValue().values().length * storeAs.bytes();
      node.putArray("data_offsets").add(offset).add(offset + size);
      offset += size;
    }
    byte[] headerJson = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (headerJson.length + 7) / 8 * 8;
    try (OutputStream out = Files.newOutputStream(file)) {
      ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
      prefix.putLong(padded).put(headerJson);
      while (prefix.hasRemaining()) {
        prefix.put((byte) ' ');
      }
      out.write(prefix.array());
      for (FloatTensor tensor : tensors.values()) {
        out.write(encode(tensor.values(), storeAs));
      }
    }
  }

  private static byte[] encode(float[] values, DType storeAs) {
    ByteBuffer bytes =
        ByteBuffer.allocate(values.length * storeAs.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : values) {
      storeAs.writeFloat(bytes, value);
    }
    return bytes.array();
  }
}
