import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.model.ProsperModel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Experiment script (not a supported command): the element-wise mean of two artefacts' weights
 * trained from the same backbone (a "model soup"), written as a new artefact with the first one's
 * head, tokenizer and served sizes. A weight threshold the first artefact records was chosen for
 * its own weights, so use artefacts without one (train --document-mean-terms 0) or re-measure.
 *
 * <pre>
 * java -Dai.djl.offline=true -cp training-job/target/training-job.jar \
 *   scripts/AverageArtefacts.java FIRST SECOND OUTPUT
 * </pre>
 */
public class AverageArtefacts {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: AverageArtefacts FIRST SECOND OUTPUT");
      System.exit(2);
    }
    try (ProsperModel first = Artefact.load(Path.of(args[0]), Device.cpu());
        ProsperModel second = Artefact.load(Path.of(args[1]), Device.cpu())) {
      if (!first.parameters().arrays().keySet().equals(second.parameters().arrays().keySet())) {
        throw new IllegalArgumentException("the two artefacts have different weights");
      }
      for (var entry : first.parameters().arrays().entrySet()) {
        NDArray other = second.parameters().get(entry.getKey());
        if (!entry.getValue().getShape().equals(other.getShape())) {
          throw new IllegalArgumentException(
              "weight [" + entry.getKey() + "] has shapes " + entry.getValue().getShape()
                  + " and " + other.getShape());
        }
        entry.getValue().addi(other).divi(2f);
      }
      Artefact.write(first, Path.of(args[2]), null);
    }
    System.err.println("wrote " + args[2] + " (mean of " + Arrays.toString(args).replace(", " + args[2], "") + ")");
  }
}
