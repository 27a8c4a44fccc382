package dev.prosper.training;

import dev.prosper.encoder.model.Precision;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.model.QueryRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * How a command encodes query texts, with the node's defaults ({@code prosper.query.precision},
 * {@code prosper.query.runtime}), so that what it prints or measures is what the plugin serves.
 */
public final class QueryServingOptions {

  @Option(
      names = "--query-precision",
      description =
          "Precision of a query's vocabulary projections: int8 as the plugin serves them"
              + " (prosper.query.precision), float16 or float32.",
      defaultValue = "int8",
      showDefaultValue = CommandLine.Help.Visibility.ALWAYS)
  String precision;

  @Option(
      names = "--query-runtime",
      description =
          "What runs a query's backbone: onnx as the plugin serves it (prosper.query.runtime; BERT"
              + " backbones with last pooling, else PyTorch) or pytorch.",
      defaultValue = "onnx",
      showDefaultValue = CommandLine.Help.Visibility.ALWAYS)
  String runtime;

  /**
   * Sets both on a loaded model (one ONNX Runtime thread per query, as the node's {@code
   * prosper.query.threads} default).
   *
   * @throws IllegalArgumentException naming the option with an unknown value
   */
  public void applyTo(ProsperModel model) {
    Precision parsedPrecision = Precision.of("--query-precision", precision);
    QueryRuntime parsedRuntime = QueryRuntime.of("--query-runtime", runtime);
    model.setQueryPrecision(parsedPrecision);
    model.setQueryRuntime(parsedRuntime, 1);
  }
}
