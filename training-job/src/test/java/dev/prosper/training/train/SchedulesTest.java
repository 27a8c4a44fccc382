package dev.prosper.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SchedulesTest {

  @Test
  void learningRateWarmsUpLinearlyThenDecaysToZero() {
    // 100 steps, warm-up 30: step 0 -> 1/30 of the peak, step 29 -> peak, then linear to 0.
    assertEquals(3e-5 / 30, Schedules.learningRate(3e-5, 0, 30, 100), 1e-15);
    assertEquals(3e-5 * 15 / 30, Schedules.learningRate(3e-5, 14, 30, 100), 1e-15);
    assertEquals(3e-5, Schedules.learningRate(3e-5, 29, 30, 100), 1e-15);
    assertEquals(3e-5, Schedules.learningRate(3e-5, 30, 30, 100), 1e-15);
    assertEquals(3e-5 * 35 / 70, Schedules.learningRate(3e-5, 65, 30, 100), 1e-15);
    assertEquals(0, Schedules.learningRate(3e-5, 100, 30, 100), 1e-15);
  }

  @Test
  void flopsWeightRisesQuadraticallyToItsTarget() {
    // The paper's λ_q = 5e-3 over 1.5 epochs of 100 steps: 150 ramp steps.
    assertEquals(0, Schedules.flopsWeight(5e-3, 0, 150), 0);
    assertEquals(5e-3 / 4, Schedules.flopsWeight(5e-3, 75, 150), 1e-12);
    assertEquals(5e-3 * 0.01, Schedules.flopsWeight(5e-3, 15, 150), 1e-12);
    assertEquals(5e-3, Schedules.flopsWeight(5e-3, 150, 150), 0);
    assertEquals(5e-3, Schedules.flopsWeight(5e-3, 400, 150), 0);
    assertEquals(1e-3, Schedules.flopsWeight(1e-3, 3, 0), 0);
  }

  @Test
  void dynamicWindowShrinksWhenMoreThanNinetyPercentAreBelowIt() {
    double[] mostlySmall = new double[20];
    java.util.Arrays.fill(mostlySmall, 100);
    mostlySmall[0] = 300;
    assertEquals(128, Objective.shrink(256, Objective.QUERY_WINDOWS, mostlySmall));
    mostlySmall[1] = 300;
    mostlySmall[2] = 300; // 17 of 20 below: 85 %
    assertEquals(256, Objective.shrink(256, Objective.QUERY_WINDOWS, mostlySmall));
    assertEquals(64, Objective.shrink(64, Objective.QUERY_WINDOWS, new double[] {1, 1, 1}));
  }

  @Test
  void weightDecaySkipsBiasesAndNorms() {
    assertEquals(false, AdamW.decays("encoder.layer.0.output.dense.bias"));
    assertEquals(false, AdamW.decays("embeddings.LayerNorm.weight"));
    assertEquals(false, AdamW.decays("model.layers.1.input_layernorm.weight"));
    assertEquals(false, AdamW.decays("model.norm.weight"));
    assertEquals(true, AdamW.decays("encoder.layer.0.output.dense.weight"));
    assertEquals(true, AdamW.decays("prosper.lrn.weight"));
  }
}
