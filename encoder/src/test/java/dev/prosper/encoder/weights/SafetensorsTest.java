package dev.prosper.encoder.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

  @TempDir Path dir;

  private static FloatTensor random(Random random, long... shape) {
    int count = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return new FloatTensor(shape, values);
  }

  private static Map<String, FloatTensor> sampleTensors() {
    Random random = new Random(11);
    Map<String, FloatTensor> tensors = new LinkedHashMap<>();
    tensors.put("embeddings.word_embeddings.weight", random(random, 50, 8));
    tensors.put("encoder.layer.0.attention.self.query.bias", random(random, 8));
    tensors.put("scalar", random(random));
    tensors.put("empty", new FloatTensor(new long[] {0, 4}, new float[0]));
    return tensors;
  }

  @Test
  void f32RoundTripIsExact() throws IOException {
    Map<String, FloatTensor> tensors = sampleTensors();
    Path file = dir.resolve("model.safetensors");
    SafetensorsWriter.write(file, tensors, DType.F32, Map.of("format", "pt"));
    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertEquals(tensors.keySet(), read.tensors().keySet());
      assertEquals(Map.of("format", "pt"), read.metadata());
      for (Map.Entry<String, FloatTensor> entry : tensors.entrySet()) {
        assertEquals(entry.getValue(), read.readFloats(entry.getKey()));
      }
    }
  }

  @Test
  void halfPrecisionTypesWidenExactly() throws IOException {
    Map<String, FloatTensor> tensors = sampleTensors();
    for (DType storeAs : new DType[] {DType.BF16, DType.F16}) {
      Path file = dir.resolve(storeAs + ".safetensors");
      SafetensorsWriter.write(file, tensors, storeAs, Map.of());
      try (SafetensorsFile read = SafetensorsFile.open(file)) {
        float[] original = tensors.get("embeddings.word_embeddings.weight").values();
        float[] widened = read.readFloats("embeddings.word_embeddings.weight").values();
        for (int i = 0; i < original.length; i++) {
          float expected =
              storeAs == DType.BF16
                  ? Float.intBitsToFloat(Float.floatToRawIntBits(original[i]) & 0xFFFF0000)
                  : Float.float16ToFloat(Float.floatToFloat16(original[i]));
          assertEquals(expected, widened[i], 0f, storeAs + " value " + i);
        }
        assertEquals(storeAs, read.tensors().get("scalar").dtype());
      }
    }
  }

  @Test
  void knownBf16BitPatternsDecode() throws IOException {
    // 0x3F80 = 1.0, 0xC000 = -2.0, 0x7F80 = +inf, 0x0001 = smallest subnormal.
    short[] bits = {0x3F80, (short) 0xC000, 0x7F80, 0x0001};
    Path file = writeRaw("{\"t\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}", bits);
    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertArrayEquals(
          new float[] {1f, -2f, Float.POSITIVE_INFINITY, Float.intBitsToFloat(0x00010000)},
          read.readFloats("t").values());
    }
  }

  @Test
  void shardedCheckpointsResolveEachTensorToItsShard() throws IOException {
    Map<String, FloatTensor> tensors = sampleTensors();
    Map<String, FloatTensor> first = new LinkedHashMap<>();
    Map<String, FloatTensor> second = new LinkedHashMap<>();
    int i = 0;
    for (Map.Entry<String, FloatTensor> entry : tensors.entrySet()) {
      (i++ % 2 == 0 ? first : second).put(entry.getKey(), entry.getValue());
    }
    SafetensorsWriter.write(
        dir.resolve("model-00001-of-00002.safetensors"), first, DType.F32, Map.of());
    SafetensorsWriter.write(
        dir.resolve("model-00002-of-00002.safetensors"), second, DType.BF16, Map.of());
    StringBuilder weightMap = new StringBuilder();
    for (String name : tensors.keySet()) {
      String shard =
          first.containsKey(name)
              ? "model-00001-of-00002.safetensors"
              : "model-00002-of-00002.safetensors";
      weightMap
          .append(weightMap.isEmpty() ? "" : ",")
          .append('"')
          .append(name)
          .append("\":\"")
          .append(shard)
          .append('"');
    }
    Files.writeString(
        dir.resolve(CheckpointWeights.INDEX_FILE),
        "{\"metadata\":{},\"weight_map\":{" + weightMap + "}}");
    try (CheckpointWeights weights = CheckpointWeights.open(dir)) {
      assertEquals(tensors.keySet(), weights.tensors().keySet());
      assertEquals(first.get("scalar"), weights.readFloats("scalar"));
      assertEquals(
          DType.BF16, weights.tensors().get("encoder.layer.0.attention.self.query.bias").dtype());
      IllegalArgumentException missing =
          assertThrows(IllegalArgumentException.class, () -> weights.readFloats("nope"));
      assertTrue(missing.getMessage().contains("[nope]"));
    }
  }

  @Test
  void missingWeightsAndBadIndexesAreNamed() throws IOException {
    IOException none = assertThrows(IOException.class, () -> CheckpointWeights.open(dir));
    assertTrue(none.getMessage().contains("model.safetensors"), none.getMessage());

    SafetensorsWriter.write(
        dir.resolve("a.safetensors"),
        Map.of("x", sampleTensors().get("scalar")),
        DType.F32,
        Map.of());
    Files.writeString(
        dir.resolve(CheckpointWeights.INDEX_FILE), "{\"weight_map\":{\"y\":\"a.safetensors\"}}");
    IOException wrongShard = assertThrows(IOException.class, () -> CheckpointWeights.open(dir));
    assertTrue(
        wrongShard.getMessage().contains("tensor [y] is not in shard a.safetensors"),
        wrongShard.getMessage());

    Files.writeString(
        dir.resolve(CheckpointWeights.INDEX_FILE), "{\"weight_map\":{\"x\":\"../a.safetensors\"}}");
    IOException outside = assertThrows(IOException.class, () -> CheckpointWeights.open(dir));
    assertTrue(
        outside.getMessage().contains("outside the checkpoint directory"), outside.getMessage());
  }

  @Test
  void corruptedFilesFailOnOpenWithTheProblemNamed() throws IOException {
    assertInvalid(new byte[] {1, 2, 3}, "too short");
    assertInvalid(header(1_000_000, "{}".getBytes(StandardCharsets.UTF_8)), "does not fit");
    assertInvalid(header(5, "{\"a\":".getBytes(StandardCharsets.UTF_8)), "not valid JSON");
    assertInvalid(
        withData("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
        "truncated file");
    assertInvalid(
        withData("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16),
        "needs 12");
    assertInvalid(
        withData("{\"t\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16),
        "unknown safetensors dtype [Q4]");
    assertInvalid(withData("{\"t\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16), "data_offsets");
    assertInvalid(
        withData("{\"t\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 16),
        "invalid shape");
  }

  @Test
  void integerTensorsAreLocatedButNotReadAsFloats() throws IOException {
    Path file =
        writeRaw(
            "{\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
            new short[4]);
    try (SafetensorsFile read = SafetensorsFile.open(file)) {
      assertEquals(DType.I64, read.tensors().get("position_ids").dtype());
      IllegalArgumentException error =
          assertThrows(IllegalArgumentException.class, () -> read.readFloats("position_ids"));
      assertTrue(error.getMessage().contains("not floating point"));
    }
  }

  private void assertInvalid(byte[] content, String expected) throws IOException {
    Path file = Files.write(dir.resolve("bad.safetensors"), content);
    IOException error = assertThrows(IOException.class, () -> SafetensorsFile.open(file));
    assertTrue(error.getMessage().contains(expected), error.getMessage());
    assertTrue(error.getMessage().contains("bad.safetensors"), error.getMessage());
  }

  private static byte[] header(long declaredLength, byte[] json) {
    return ByteBuffer.allocate(8 + json.length)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putLong(declaredLength)
        .put(json)
        .array();
  }

  private static byte[] withData(String json, int dataBytes) {
    byte[] head =
        header(json.getBytes(StandardCharsets.UTF_8).length, json.getBytes(StandardCharsets.UTF_8));
    return Arrays.copyOf(head, head.length + dataBytes);
  }

  private Path writeRaw(String json, short[] data) throws IOException {
    byte[] head =
        header(json.getBytes(StandardCharsets.UTF_8).length, json.getBytes(StandardCharsets.UTF_8));
    ByteBuffer all =
        ByteBuffer.allocate(head.length + data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    all.put(head);
    for (short value : data) {
      all.putShort(value);
    }
    return Files.write(dir.resolve("raw.safetensors"), all.array());
  }
}
