package dev.prosper.training;

import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.model.Devices;
import dev.prosper.encoder.model.ProsperModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code encode}: the weighted terms of texts, literal terms marked. */
@Command(
    name = "encode",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    description =
        "Prints the weighted terms of each text as the artefact encodes it (query mode: window k_q; document mode: window k_d), largest first. '*' marks literal terms (present in the text). These are the weights the OpenSearch plugin stores and queries with.")
public final class EncodeCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Artefact directory or zip.")
  Path model;

  @Option(names = "--mode", description = "query or document.")
  String mode = "query";

  @Option(
      names = "--top-k",
      description =
          "Terms to keep (0: as served: a query keeps the artefact's query_top_k, a document its"
              + " window k_d).")
  int topK = 0;

  @Option(
      names = "--normalize",
      description =
          "Weights as served: normalised as the artefact's normalization says (query-l2: queries"
              + " L2-normalised, documents as they are).")
  boolean normalize;

  @Option(names = "--json", description = "One JSON object per text instead of a table.")
  boolean json;

  @Option(names = "--device", description = "auto, cpu or gpu.")
  String device = "cpu";

  @Mixin QueryServingOptions queries;

  @Parameters(arity = "1..*", paramLabel = "TEXT", description = "Texts to encode.")
  List<String> texts;

  @Override
  public Integer call() throws Exception {
    Mode parsed = Mode.of(mode);
    if (topK < 0) {
      throw new IllegalArgumentException("[--top-k] must be 0 or positive, got " + topK);
    }
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        new com.fasterxml.jackson.databind.ObjectMapper();
    try (ProsperModel loaded = Artefact.load(model, Devices.resolve(device))) {
      queries.applyTo(loaded);
      int k = loaded.head().servedTopK(parsed, topK > 0 ? topK : null, Integer.MAX_VALUE);
      List<SparseVector> encoded =
          normalize ? loaded.encode(texts, parsed, k) : loaded.encodeUnnormalized(texts, parsed, k);
      for (int i = 0; i < texts.size(); i++) {
        SparseVector text = encoded.get(i);
        if (json) {
          var node = mapper.createObjectNode();
          node.put("text", texts.get(i));
          var terms = node.putArray("terms");
          for (SparseVector.Term term : text.terms()) {
            terms
                .addObject()
                .put("term", term.term())
                .put("weight", term.weight())
                .put("literal", term.literal());
          }
          System.out.println(mapper.writeValueAsString(node));
          continue;
        }
        System.out.printf(
            Locale.ROOT, "%s (%s mode, %d terms)%n", texts.get(i), parsed.id(), text.size());
        for (SparseVector.Term term : text.terms()) {
          System.out.printf(
              Locale.ROOT,
              "  %s %-20s %.6f%n",
              term.literal() ? "*" : " ",
              term.term(),
              term.weight());
        }
      }
    }
    return 0;
  }
}
