package dev.prosper.encoder.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.prosper.encoder.testing.MinilmFiles;
import dev.prosper.encoder.tokenizer.TokenBatch;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java BERT on DJL against onnxruntime running the pretrained graph it was imported from. */
class BertParityTest {

  @TempDir Path directory;

  @Test
  void hiddenStatesMatchOnnxRuntimeOnAPaddedBatch() throws Exception {
    List<String> texts =
        List.of(
            "9 ft. patio umbrella",
            "DEWALT 20V MAX cordless drill/driver kit with two lithium-ion batteries and charger",
            "a",
            "Ästhetik café – 日本 emoji 🙂");
    try (ProsperModel model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 7)) {
      assertEquals(6, ((BertConfig) model.config()).layers());
      TokenBatch batch = model.tokenize(texts);
      assertTrue(batch.length(2) < batch.ids()[0].length, "the batch must be padded");
      float[] ours;
      try (NDManager manager = model.parameters().manager().newSubManager()) {
        NDArray[] in = ProsperModel.inputs(manager, batch);
        ours = model.backbone().hiddenStates(model.parameters(), in[0], in[1]).toFloatArray();
      }
      float[][][] reference = runOnnx(MinilmFiles.onnx(directory), batch);
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
