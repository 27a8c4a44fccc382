package dev.prosper.training.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.weights.DType;
import dev.prosper.encoder.weights.FloatTensor;
import dev.prosper.encoder.weights.SafetensorsFile;
import dev.prosper.encoder.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A run's checkpoints, {@code OUTPUT/checkpoints/epoch-N/}: the artefact of the epoch, the
 * optimizer state ({@code optimizer.safetensors}) and the trainer's state ({@code trainer.json}).
 */
final class Checkpoints {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Checkpoints() {}

  /** The directory of epoch {@code epoch} (1-based). */
  static Path of(Path output, int epoch) {
    return output.resolve("checkpoints").resolve("epoch-" + epoch);
  }

  /** The latest complete checkpoint, or {@code null}. */
  static Path latest(Path checkpoints) throws IOException {
    Path latest = null;
    int best = -1;
    try (var entries = Files.list(checkpoints)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (name.startsWith("epoch-") && Files.isRegularFile(entry.resolve("trainer.json"))) {
          int epoch = Integer.parseInt(name.substring("epoch-".length()));
          if (epoch > best) {
            best = epoch;
            latest = entry;
          }
        }
      }
    }
    return latest;
  }

  /** The trainer's state saved with a checkpoint. */
  static ObjectNode state(Path checkpoint) throws IOException {
    return (ObjectNode) JSON.readTree(checkpoint.resolve("trainer.json").toFile());
  }

  /** Restores the optimizer's moments and step count from a checkpoint. */
  static void restore(Path checkpoint, AdamW optimizer, long step) throws IOException {
    try (SafetensorsFile file = SafetensorsFile.open(checkpoint.resolve("optimizer.safetensors"))) {
      Map<String, FloatTensor> tensors = new HashMap<>();
      for (String name : file.tensors().keySet()) {
        tensors.put(name, file.readFloats(name));
      }
      optimizer.restore(tensors, step);
    }
  }

  /** Writes a checkpoint: the model under {@code head}, the optimizer and the trainer's state. */
  static void write(
      Path checkpoint, ProsperModel model, HeadConfig head, AdamW optimizer, ObjectNode state)
      throws IOException {
    Artefact.write(model.withHead(head), checkpoint, state);
    SafetensorsWriter.write(
        checkpoint.resolve("optimizer.safetensors"), optimizer.state(), DType.F32, Map.of());
    JSON.writeValue(checkpoint.resolve("trainer.json").toFile(), state);
  }
}
