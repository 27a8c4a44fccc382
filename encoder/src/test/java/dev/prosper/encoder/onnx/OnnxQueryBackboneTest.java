package dev.prosper.encoder.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prosper.encoder.backbone.BertConfig;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.tokenizer.TokenBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generated ONNX graph of the pretrained all-MiniLM-L6-v2 backbone against the DJL pass. */
class OnnxQueryBackboneTest {

  @Test
  void lastHiddenStateMatchesTheDjlBackboneOnAPaddedBatch() throws Exception {
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 3);
        OnnxQueryBackbone onnx =
            new OnnxQueryBackbone((BertConfig) model.config(), model.parameters(), 1, false)) {
      TokenBatch batch =
          model.tokenize(
              List.of("cordless drill", "75 ft. expandable garden hose with nozzle", "sofa"));
      float[] actual = onnx.lastHiddenState(batch);
      float[] expected;
      try (NDManager manager = model.parameters().manager().newSubManager()) {
        NDArray[] in = ProsperModel.inputs(manager, batch);
        expected =
            model.backbone().lastHiddenState(model.parameters(), in[0], in[1]).toFloatArray();
      }
      assertEquals(expected.length, actual.length);
      assertEquals(3 * model.config().hiddenSize(), actual.length);
      double worst = 0;
      for (int i = 0; i < expected.length; i++) {
        worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
      }
      assertEquals(0.0, worst, 1e-4, "largest difference from the DJL backbone");
      // One text alone gives what it gave in the padded batch.
      float[] alone = onnx.lastHiddenState(batch.select(new int[] {2}));
      int h = model.config().hiddenSize();
      for (int i = 0; i < h; i++) {
        assertEquals(actual[2 * h + i], alone[i], 1e-4, "dimension " + i);
      }
    }
  }

  @Test
  void int8LinearsStayCloseToTheFloatBackbone() throws Exception {
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 3);
        OnnxQueryBackbone exact =
            new OnnxQueryBackbone((BertConfig) model.config(), model.parameters(), 1, false);
        OnnxQueryBackbone int8 =
            new OnnxQueryBackbone((BertConfig) model.config(), model.parameters(), 1, true)) {
      TokenBatch batch =
          model.tokenize(
              List.of(
                  "cordless drill", "75 ft. expandable garden hose with nozzle", "husky ht-2500"));
      float[] expected = exact.lastHiddenState(batch);
      float[] actual = int8.lastHiddenState(batch);
      int h = model.config().hiddenSize();
      double worstCosine = 1;
      double largestDifference = 0;
      for (int r = 0; r < 3; r++) {
        double dot = 0;
        double a = 0;
        double b = 0;
        for (int i = r * h; i < (r + 1) * h; i++) {
          dot += expected[i] * actual[i];
          a += expected[i] * expected[i];
          b += actual[i] * actual[i];
          largestDifference = Math.max(largestDifference, Math.abs(expected[i] - actual[i]));
        }
        worstCosine = Math.min(worstCosine, dot / Math.sqrt(a * b));
      }
      // Measured: 0.992 for the worst of these rows (0.975 with one activation scale per text);
      // what it costs in retrieval is measured held out (README, "Query speed").
      assertTrue(worstCosine > 0.985, "cosine to the float32 backbone " + worstCosine);
      // Every token has its own activation scale: the shortest text, padded in the batch, gives
      // exactly what it gives alone.
      float[] alone = int8.lastHiddenState(batch.select(new int[] {0}));
      for (int i = 0; i < h; i++) {
        assertEquals(actual[i], alone[i], 0f, "dimension " + i);
      }
      // Not the float graph by accident: quantization moves the states.
      assertTrue(largestDifference > 1e-4, "largest difference " + largestDifference);
    }
  }
}
