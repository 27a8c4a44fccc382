package dev.prosper.training.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The paper's Figure 4 from an evaluation: MRR@10 and Recall@1000 of every sparse row against its
 * mean document terms ({@code quality-vs-document-terms.png}) and its mean overlapping terms per
 * query–product pair ({@code quality-vs-overlap.png}), with BM25 (english) as reference lines.
 */
public final class SparsityCharts {

  static final String DOCUMENT_TERMS = "mean document terms";
  static final String OVERLAP = "mean overlapping terms";

  private SparsityCharts() {}

  /**
   * @return the files written (none when no row has term statistics)
   */
  public static List<Path> write(
      Map<String, Map<String, Double>> results, String reference, Path directory)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    List<Path> written = new ArrayList<>();
    for (String axis : List.of(DOCUMENT_TERMS, OVERLAP)) {
      List<String> rows =
          results.entrySet().stream()
              .filter(e -> e.getValue().containsKey(axis) && e.getValue().get(axis) > 0)
              .map(Map.Entry::getKey)
              .toList();
      if (rows.isEmpty()) {
        continue;
      }
      XYChart chart =
          new XYChartBuilder()
              .width(900)
              .height(560)
              .title("Quality against " + axis + " (paper Figure 4)")
              .xAxisTitle(axis + " (log scale)")
              .yAxisTitle("metric")
              .build();
      chart.getStyler().setXAxisLogarithmic(true);
      chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      chart.getStyler().setMarkerSize(9);
      chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
      double min = Double.MAX_VALUE;
      double max = 0;
      for (String metric : List.of("MRR@10", "Recall@1000")) {
        double[] xs = new double[rows.size()];
        double[] ys = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
          xs[i] = results.get(rows.get(i)).get(axis);
          ys[i] = results.get(rows.get(i)).getOrDefault(metric, Double.NaN);
          min = Math.min(min, xs[i]);
          max = Math.max(max, xs[i]);
        }
        chart.addSeries("PROSPER " + metric, xs, ys);
      }
      if (reference != null && results.containsKey(reference)) {
        for (String metric : List.of("MRR@10", "Recall@1000")) {
          double value = results.get(reference).get(metric);
          XYSeries line =
              chart.addSeries(
                  reference + " " + metric, new double[] {min, max}, new double[] {value, value});
          line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
          line.setMarker(SeriesMarkers.NONE);
        }
      }
      String name =
          axis.equals(DOCUMENT_TERMS) ? "quality-vs-document-terms" : "quality-vs-overlap";
      Path file = directory.resolve(name + ".png");
      BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
      written.add(file);
    }
    return written;
  }
}
