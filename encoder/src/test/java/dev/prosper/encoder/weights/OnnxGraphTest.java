package dev.prosper.encoder.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosper.encoder.testing.MinilmFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads the real all-MiniLM-L6-v2 ONNX file (6 layers, hidden 384) shipped in a Maven jar. */
class OnnxGraphTest {

  @TempDir static Path dir;
  static Path onnxFile;
  static OnnxGraph graph;

  @BeforeAll
  static void read() throws IOException {
    onnxFile = MinilmFiles.onnx(dir);
    graph = OnnxGraph.read(onnxFile);
  }

  @Test
  void namedBertWeightsHaveHuggingFaceNamesAndShapes() {
    Map<String, FloatTensor> weights = graph.initializers();
    assertArrayEquals(
        new long[] {30522, 384}, weights.get("embeddings.word_embeddings.weight").shape());
    assertArrayEquals(
        new long[] {512, 384}, weights.get("embeddings.position_embeddings.weight").shape());
    assertArrayEquals(
        new long[] {384}, weights.get("encoder.layer.5.output.LayerNorm.weight").shape());
    float[] gamma = weights.get("embeddings.LayerNorm.weight").values();
    assertTrue(Arrays.stream(toDoubles(gamma)).allMatch(Double::isFinite));
  }

  @Test
  void matMulWeightsFollowTheGraphSixPerLayer() {
    // Anonymous linear weights, in graph order: query, key, value, attention output,
    // intermediate, output, stored [in, out].
    List<long[]> shapes = new ArrayList<>();
    for (OnnxGraph.Node node : graph.nodes()) {
      if (node.opType().equals("MatMul")
          && graph.initializers().containsKey(node.inputs().get(1))) {
        shapes.add(graph.initializers().get(node.inputs().get(1)).shape());
      }
    }
    assertEquals(36, shapes.size());
    long[][] perLayer = {{384, 384}, {384, 384}, {384, 384}, {384, 384}, {384, 1536}, {1536, 384}};
    for (int i = 0; i < shapes.size(); i++) {
      assertArrayEquals(perLayer[i % 6], shapes.get(i), "MatMul " + i);
    }
  }

  @Test
  void truncatedFilesFailWithTheFileNamed() throws IOException {
    byte[] head = new byte[4096];
    try (InputStream in = Files.newInputStream(onnxFile)) {
      in.readNBytes(head, 0, head.length);
    }
    Path truncated = Files.write(dir.resolve("truncated.onnx"), head);
    IOException error = assertThrows(IOException.class, () -> OnnxGraph.read(truncated));
    assertTrue(error.getMessage().contains("truncated.onnx"), error.getMessage());
  }

  private static double[] toDoubles(float[] values) {
    double[] doubles = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      doubles[i] = values[i];
    }
    return doubles;
  }
}
