package dev.prosper.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dense baseline with the pretrained all-MiniLM-L6-v2 encoder. */
class DenseRetrieverTest {

  @Test
  void embeddingsAreUnitVectorsAndRankTheParaphraseFirst() throws Exception {
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 3)) {
      float[][] e =
          DenseRetriever.embed(
              model,
              List.of(
                  "outdoor patio umbrella", "umbrella for the garden terrace", "cordless drill"));
      double norm = 0;
      for (float value : e[0]) {
        norm += value * value;
      }
      assertEquals(1.0, norm, 1e-4);
      assertTrue(dot(e[0], e[1]) > dot(e[0], e[2]));
      DenseRetriever retriever =
          new DenseRetriever(
              model,
              Map.of("a", "cordless drill 18v", "b", "garden terrace umbrella", "c", "led bulb"),
              null);
      assertEquals("b", retriever.search(List.of("outdoor patio umbrella"), 3).get(0).get(0));
    }
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }
}
