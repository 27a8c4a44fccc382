package dev.prosper.training.train;

/** Learning-rate and FLOPS-weight schedules as functions of the step. */
public final class Schedules {

  private Schedules() {}

  /**
   * Linear warm-up from 0 to {@code peak} over {@code warmupSteps}, then linear decay to 0 at
   * {@code totalSteps}. Step numbers start at 0.
   */
  public static double learningRate(double peak, long step, long warmupSteps, long totalSteps) {
    if (step < warmupSteps) {
      return peak * (step + 1) / warmupSteps;
    }
    if (totalSteps <= warmupSteps) {
      return peak;
    }
    return peak * Math.max(0, (double) (totalSteps - step) / (totalSteps - warmupSteps));
  }

  /** λ raised quadratically from 0 to {@code target} over {@code rampSteps}, then constant. */
  public static double flopsWeight(double target, long step, long rampSteps) {
    if (rampSteps <= 0) {
      return target;
    }
    double progress = Math.min(1, (double) step / rampSteps);
    return target * progress * progress;
  }
}
