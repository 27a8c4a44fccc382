package dev.prosper.training.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/** PNG charts of a run, next to its metrics.csv: loss, sparsity and validation curves. */
final class Charts {

  private Charts() {}

  static void write(Path metricsCsv, List<Double> validation, Path directory) throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<String> lines = Files.readAllLines(metricsCsv);
    List<String> header = List.of(lines.get(0).split(","));
    List<double[]> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] parts = line.split(",");
      double[] row = new double[parts.length];
      for (int i = 0; i < parts.length; i++) {
        row[i] = Double.parseDouble(parts[i]);
      }
      rows.add(row);
    }
    if (rows.isEmpty()) {
      return;
    }
    save(
        chart("Training loss", "step", "loss", header, rows, "loss", "rank_loss"),
        directory,
        "loss");
    save(
        chart(
            "Active terms (after the window: active; before it: nonzero)",
            "step",
            "terms",
            header,
            rows,
            "active_q",
            "active_d",
            "nonzero_q",
            "nonzero_d"),
        directory,
        "sparsity");
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title("Validation MRR@10")
            .xAxisTitle("epoch")
            .yAxisTitle("MRR@10")
            .build();
    double[] epochs = new double[validation.size()];
    double[] values = new double[validation.size()];
    for (int i = 0; i < epochs.length; i++) {
      epochs[i] = i + 1;
      values[i] = validation.get(i);
    }
    if (epochs.length > 0) {
      chart.addSeries("MRR@10", epochs, values);
      save(chart, directory, "validation");
    }
  }

  private static XYChart chart(
      String title,
      String x,
      String y,
      List<String> header,
      List<double[]> rows,
      String... series) {
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title(title)
            .xAxisTitle(x)
            .yAxisTitle(y)
            .build();
    chart.getStyler().setMarkerSize(0);
    int step = header.indexOf("step");
    for (String name : series) {
      int column = header.indexOf(name);
      if (column < 0) {
        continue; // a metrics.csv from an older version
      }
      double[] xs = new double[rows.size()];
      double[] ys = new double[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        xs[i] = rows.get(i)[step];
        ys[i] = rows.get(i)[column];
      }
      chart.addSeries(name, xs, ys);
    }
    return chart;
  }

  private static void save(XYChart chart, Path directory, String name) throws IOException {
    BitmapEncoder.saveBitmap(
        chart, directory.resolve(name + ".png").toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
