package dev.prosper.training.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code metrics.csv}: one line per update (loss and its parts, schedules, sparsity, timings). */
final class MetricsLog {

  static final String HEADER =
      "epoch,step,loss,rank_loss,flops_q,flops_d,lambda_q,lambda_d,lr,grad_norm,active_q,active_d,k_q,k_d,seconds_forward_backward,seconds_update,nonzero_q,nonzero_d,distill_loss";

  private final Path file;

  /**
   * Starts the file, or, for a resumed run, keeps its lines up to {@code resumedSteps} (later lines
   * belong to an epoch that was not checkpointed and is trained again).
   */
  MetricsLog(Path file, long resumedSteps) throws IOException {
    this.file = file;
    if (resumedSteps < 0 || !Files.exists(file)) {
      Files.writeString(file, HEADER + "\n");
      return;
    }
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (kept.isEmpty() || Long.parseLong(line.split(",")[1]) <= resumedSteps) {
        kept.add(line);
      }
    }
    Files.write(file, kept);
  }

  Path file() {
    return file;
  }

  /** Appends the line of one update. */
  void append(
      int epoch,
      long step,
      Objective.StepFigures figures,
      Objective.Weights weights,
      double lr,
      double gradNorm,
      int queryWindow,
      int documentWindow,
      double secondsForwardBackward,
      double secondsUpdate)
      throws IOException {
    Files.writeString(
        file,
        String.format(
            Locale.ROOT,
            "%d,%d,%.6f,%.6f,%.6f,%.6f,%.6g,%.6g,%.6g,%.4f,%.1f,%.1f,%d,%d,%.3f,%.3f,%.1f,%.1f,%.6f%n",
            epoch,
            step,
            figures.loss(),
            figures.rankLoss(),
            figures.flopsQuery(),
            figures.flopsDocument(),
            weights.flopsQuery(),
            weights.flopsDocument(),
            lr,
            gradNorm,
            figures.activeQuery(),
            figures.activeDocument(),
            queryWindow,
            documentWindow,
            secondsForwardBackward,
            secondsUpdate,
            Objective.mean(figures.queryNonZeros()),
            Objective.mean(figures.documentNonZeros()),
            figures.distillLoss()),
        StandardOpenOption.APPEND);
  }
}
