package dev.prosper.encoder.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.tokenizer.TokenBatch;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Java BERT on DJL against onnxruntime running the pretrained graph it was imported from. */
class BertParityTest {

  @TempDir Path directory;

  @ParameterizedTest
  @CsvSource({"minilm-l6, 6", "bge-small-zh, 4"})
  void hiddenStatesMatchOnnxRuntimeOnAPaddedBatch(String backbone, int layers) throws Exception {
    List<String> texts =
        List.of(
            "9 ft. patio umbrella",
            "DEWALT 20V MAX cordless drill/driver kit with two lithium-ion batteries and charger",
            "a",
            "Ästhetik café – 日本 emoji 🙂 大落地窗 墙面底漆");
    try (ProsperModel model = Backbones.load(backbone, HeadConfig.DEFAULT, Device.cpu(), 7)) {
      assertEquals(layers, ((BertConfig) model.config()).layers());
      TokenBatch batch = model.tokenize(texts);
      assertTrue(batch.length(2) < batch.ids()[0].length, "the batch must be padded");
      float[] ours;
      try (NDManager manager = model.parameters().manager().newSubManager()) {
        NDArray[] in = ProsperModel.inputs(manager, batch);
        ours = model.backbone().hiddenStates(model.parameters(), in[0], in[1]).toFloatArray();
      }
      float[][][] reference = runOnnx(onnxFile(backbone), batch);
      int hidden = model.config().hiddenSize();
      int length = batch.ids()[0].length;
      double worst = 0;
      int compared = 0;
      for (int r = 0; r < texts.size(); r++) {
        for (int t = 0; t < batch.length(r); t++) {
          for (int h = 0; h < hidden; h++) {
            float expected = reference[r][t][h];
            float actual = ours[(r * length + t) * hidden + h];
            worst = Math.max(worst, Math.abs(expected - actual));
            compared++;
          }
        }
      }
      assertTrue(compared > 10_000, "compared " + compared);
      assertTrue(worst < 1e-4, "largest difference from onnxruntime: " + worst);
    }
  }

  @Test
  void lastHiddenStateIsTheFullPassAtEachTextsLastPosition() throws Exception {
    List<String> texts =
        List.of("9 ft. patio umbrella", "a", "DEWALT 20V MAX cordless drill/driver kit");
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 7);
        NDManager manager = model.parameters().manager().newSubManager()) {
      TokenBatch batch = model.tokenize(texts);
      NDArray[] in = ProsperModel.inputs(manager, batch);
      float[] full = model.backbone().hiddenStates(model.parameters(), in[0], in[1]).toFloatArray();
      float[] last =
          model.backbone().lastHiddenState(model.parameters(), in[0], in[1]).toFloatArray();
      int hidden = model.config().hiddenSize();
      int length = batch.ids()[0].length;
      assertEquals(texts.size() * hidden, last.length);
      for (int r = 0; r < texts.size(); r++) {
        int position = batch.length(r) - 1;
        for (int h = 0; h < hidden; h++) {
          assertEquals(
              full[(r * length + position) * hidden + h],
              last[r * hidden + h],
              1e-5,
              "text " + r + " dimension " + h);
        }
      }
    }
  }

  private Path onnxFile(String backbone) throws Exception {
    String resource = Backbones.PRETRAINED.get(backbone).onnxResource();
    Path file = directory.resolve(backbone + ".onnx");
    try (var in = BertParityTest.class.getResourceAsStream(resource)) {
      java.nio.file.Files.copy(in, file);
    }
    return file;
  }

  @Test
  void masksLmCheckpointsUseTheirMlmHead() throws Exception {
    Path checkpoint =
        dev.prosper.encoder.testing.TinyCheckpoints.writeBert(
            directory.resolve("mlm"), 120, 4, true);
    try (ProsperModel model =
            Backbones.load(checkpoint.toString(), HeadConfig.DEFAULT, Device.cpu(), 7);
        var file =
            dev.prosper.encoder.weights.SafetensorsFile.open(
                checkpoint.resolve("model.safetensors"));
        NDManager manager = model.parameters().manager().newSubManager()) {
      assertTrue(((BertConfig) model.config()).mlmTransform());
      float[] hidden = new float[32];
      for (int i = 0; i < 32; i++) {
        hidden[i] = (float) Math.sin(i);
      }
      float[] logits =
          model
              .backbone()
              .logits(
                  model.parameters(), manager.create(hidden, new ai.djl.ndarray.types.Shape(1, 32)))
              .toFloatArray();
      float[] w = file.readFloats("cls.predictions.transform.dense.weight").values();
      float[] b = file.readFloats("cls.predictions.transform.dense.bias").values();
      float[] embeddings = file.readFloats("bert.embeddings.word_embeddings.weight").values();
      float[] bias = file.readFloats("cls.predictions.bias").values();
      double[] h = new double[32];
      double mean = 0;
      for (int o = 0; o < 32; o++) {
        double sum = b[o];
        for (int i = 0; i < 32; i++) {
          sum += w[o * 32 + i] * hidden[i];
        }
        h[o] = 0.5 * sum * (1 + erf(sum / Math.sqrt(2)));
        mean += h[o] / 32;
      }
      double variance = 0;
      for (double v : h) {
        variance += (v - mean) * (v - mean) / 32;
      }
      for (int o = 0; o < 32; o++) {
        h[o] = (h[o] - mean) / Math.sqrt(variance + 1e-12);
      }
      for (int v = 0; v < 120; v++) {
        double expected = bias[v];
        for (int i = 0; i < 32; i++) {
          expected += h[i] * embeddings[v * 32 + i];
        }
        assertEquals(expected, logits[v], 1e-4, "logit " + v);
      }
    }
  }

  /** Abramowitz–Stegun 7.1.26 is too coarse; this series is exact to double precision here. */
  private static double erf(double x) {
    double sum = 0;
    double term = x;
    for (int n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= -x * x / (n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  static float[][][] runOnnx(Path onnx, TokenBatch batch) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
      long[][] types = new long[batch.size()][batch.ids()[0].length];
      Map<String, OnnxTensor> inputs = new HashMap<>();
      try {
        for (String name : session.getInputNames()) {
          long[][] values =
              switch (name) {
                case "input_ids" -> batch.ids();
                case "attention_mask" -> batch.attentionMask();
                case "token_type_ids" -> types;
                default -> throw new IllegalStateException("unexpected ONNX input " + name);
              };
          inputs.put(name, OnnxTensor.createTensor(env, values));
        }
        try (OrtSession.Result result = session.run(inputs)) {
          return (float[][][]) result.get(0).getValue();
        }
      } finally {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }
}
