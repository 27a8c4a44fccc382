package dev.prosper.training;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.Devices;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.training.data.Dataset;
import dev.prosper.training.eval.Bm25Retriever;
import dev.prosper.training.eval.DenseRetriever;
import dev.prosper.training.eval.Fusion;
import dev.prosper.training.eval.QuerySetOptions;
import dev.prosper.training.eval.RankingMetrics;
import dev.prosper.training.eval.Retriever;
import dev.prosper.training.eval.SparseRetriever;
import dev.prosper.training.eval.UnknownWords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code evaluate}: exact first-stage retrieval quality of artefacts and baselines. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description =
        "Retrieves the top 1000 products for every query over the whole product set, exactly, with each PROSPER artefact and each baseline on the same queries, and reports Hit@1/10/100/1000, MRR@10, Recall@10/100/1000, nDCG@10 (graded) and sparsity (mean query/document terms and mean overlapping terms per query-document pair). Writes report.md and report.json.")
public final class EvaluateCommand implements Callable<Integer> {

  private static final String BM25_STANDARD = "BM25 (standard analyzer)";
  private static final String BM25_ENGLISH = "BM25 (english analyzer)";

  @Mixin QuerySetOptions querySet;

  @Option(
      names = "--model",
      description = "NAME=ARTEFACT (directory or zip); repeat for several (ablations).")
  Map<String, Path> models = new LinkedHashMap<>();

  @Option(
      names = "--baselines",
      split = ",",
      description =
          "Any of bm25-standard, bm25-english, dense (the backbone's sentence embedding),"
              + " untrained (PROSPER head on the backbone, not trained), or none.")
  List<String> baselines = List.of("bm25-standard", "bm25-english", "dense", "untrained");

  @Option(
      names = "--backbone",
      description = "Backbone of the dense and untrained baselines (default: the first model's).")
  String backbone;

  @Option(
      names = "--output",
      required = true,
      description = "Directory for report.md and report.json.")
  Path output;

  @Option(
      names = "--query-top-k",
      split = ",",
      description =
          "Serve queries with at most this many terms (default: each artefact's query_top_k,"
              + " as the plugin serves it; 0: its whole window k_q). Several values (e.g."
              + " 8,16,32) give one row each, from one encoding of the products.")
  List<Integer> queryTopK = List.of();

  @Option(
      names = "--document-top-k",
      split = ",",
      description =
          "Index documents with at most this many terms (0: as served, each artefact's"
              + " document_top_k, which is k_d unless it was trained with --document-top-k, then"
              + " its document_min_weight if it has one)."
              + " Several values (e.g. 0,64,32,16) give one row each: index-time"
              + " pruning of one encoding of the products, largest first.")
  List<Integer> documentTopK = List.of(0);

  @Option(
      names = "--document-mean-terms",
      split = ",",
      description =
          "Also index documents pruned by weight: every term at or above one catalogue-wide"
              + " threshold, chosen so that products keep this many terms on average (of the"
              + " most --document-top-k keeps). Several values give one row each.")
  List<Double> documentMeanTerms = List.of();

  @Option(names = "--device", description = "auto, cpu or gpu.")
  String device = "auto";

  @Mixin QueryServingOptions queries;

  @Option(
      names = "--permutations",
      description =
          "Paired randomisation test of every row against the strongest lexical baseline in the"
              + " run (BM25 english, else BM25 standard): sign flips per metric (0: no test).")
  int permutations = 10_000;

  @Option(
      names = "--hybrid",
      description =
          "Also evaluate the first model fused with BM25 (english analyzer): linear fusion"
              + " BM25 + w * PROSPER with w chosen by MRR@10 on the model's own validation queries"
              + " (held out from its training; needs --holdout-percent) — the weight of a `bool`"
              + " query's prosper_sparse clause on the node — min-max fusion with its alpha"
              + " chosen the same way, and reciprocal rank fusion (k 60).")
  boolean hybrid;

  @Option(
      names = "--hybrid-weights",
      split = ",",
      description = "Weights w tried for the linear fusion.")
  List<Double> hybridWeights = List.of(0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0);

  @Option(
      names = "--hybrid-alphas",
      split = ",",
      description =
          "PROSPER's weights alpha tried for the min-max fusion (1 - alpha) x BM25 + alpha x"
              + " PROSPER, each ranking's scores mapped to [0, 1] per query, as neural-search's"
              + " normalization-processor (min_max, arithmetic_mean) fuses a hybrid query.")
  List<Double> hybridAlphas = List.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9);

  @Option(
      names = "--run-depth",
      description =
          "Also write run.tsv: each row's top N products per query with their scores (system,"
              + " query_id, rank, product_id, score; 0: no run file). With --hybrid it also holds"
              + " the validation queries' BM25 and PROSPER rankings the fusion weight is chosen on"
              + " (systems named \"validation: ...\"), to tune other fusions offline.")
  int runDepth = 0;

  /** Query ids of the evaluated queries (run file). */
  private List<String> queryIds = List.of();

  /** The run file's lines, when --run-depth is set. */
  private final StringBuilder run =
      new StringBuilder("system\tquery_id\trank\tproduct_id\tscore\n");

  /**
   * For each query with a positive (the per-query values' order), whether it has a word no product
   * title contains ({@link UnknownWords}).
   */
  private boolean[] unknownWords = new boolean[0];

  /** Per-query metric values of every row, for the significance test. */
  private final Map<String, Map<String, double[]>> perQuery = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    QuerySetOptions.QuerySet set = querySet.load();
    Dataset dataset = set.dataset();
    List<String> texts = set.texts();
    queryIds = set.ids();
    if (runDepth < 0) {
      throw new IllegalArgumentException("[--run-depth] must be 0 or positive, got " + runDepth);
    }
    List<Map<String, Double>> judgements = set.judgements();
    double minGrade = querySet.minGrade;
    unknownWords =
        UnknownWords.ofJudgedQueries(texts, judgements, minGrade, dataset.products().values());
    System.err.printf(
        Locale.ROOT,
        "evaluating %d queries (positives: grade >= %s) over %d products (%s)%n",
        texts.size(),
        minGrade,
        dataset.products().size(),
        dataset.description());
    Device dev = Devices.resolve(device);
    Map<String, Map<String, Double>> results = new LinkedHashMap<>();
    String backboneName = backbone;
    HeadConfig baselineHead = null;
    for (Map.Entry<String, Path> model : models.entrySet()) {
      Artefact.Opened opened = Artefact.open(model.getValue(), dev, m -> {});
      Artefact.Manifest manifest = opened.manifest();
      if (baselineHead == null) {
        baselineHead = manifest.head();
      }
      if (backboneName == null) {
        backboneName = manifest.training().path("options").path("backbone").asText(null);
      }
      try (ProsperModel loaded = opened.model()) {
        queries.applyTo(loaded);
        SparseRetriever retriever =
            sparse(model.getKey(), loaded, dataset, texts, judgements, results);
        if (hybrid && model.getKey().equals(models.keySet().iterator().next())) {
          hybrid(model.getKey(), manifest, loaded, retriever, dataset, texts, judgements, results);
        }
      }
    }
    for (String baseline : baselines) {
      switch (baseline) {
        case "none" -> {}
        case "bm25-standard" -> {
          try (Bm25Retriever bm25 = new Bm25Retriever(dataset.products(), new StandardAnalyzer())) {
            results.put(BM25_STANDARD, evaluate(BM25_STANDARD, bm25, texts, judgements));
          }
        }
        case "bm25-english" -> {
          try (Bm25Retriever bm25 = new Bm25Retriever(dataset.products(), new EnglishAnalyzer())) {
            results.put(BM25_ENGLISH, evaluate(BM25_ENGLISH, bm25, texts, judgements));
          }
        }
        case "dense", "untrained" -> {
          if (backboneName == null) {
            throw new IllegalArgumentException(
                "[--backbone] is needed for the " + baseline + " baseline");
          }
          try (ProsperModel base =
              Backbones.load(
                  backboneName,
                  baselineHead == null ? HeadConfig.DEFAULT : baselineHead,
                  dev,
                  42)) {
            base.setBatchSize(64);
            if (baseline.equals("dense")) {
              DenseRetriever dense;
              try (ProgressBar bar = bar("dense " + backboneName, dataset.products().size())) {
                dense = new DenseRetriever(base, dataset.products(), bar::stepBy);
              }
              String row = "dense " + backboneName + " (" + densePooling(base) + ")";
              results.put(row, evaluate(row, dense, texts, judgements));
            } else {
              sparse(
                  "untrained PROSPER on " + backboneName,
                  base,
                  dataset,
                  texts,
                  judgements,
                  results);
            }
          }
        }
        default ->
            throw new IllegalArgumentException(
                "[--baselines] unknown baseline ["
                    + baseline
                    + "]: use bm25-standard, bm25-english, dense, untrained");
      }
    }
    write(results, texts.size(), dataset);
    return 0;
  }

  private static String densePooling(ProsperModel model) {
    return model.config() instanceof dev.prosper.encoder.backbone.BertConfig bert
        ? bert.densePooling() + " pooling"
        : "last-token pooling";
  }

  /** The fusion rows of a model with BM25 (english analyzer), see {@link Fusion}. */
  private void hybrid(
      String name,
      Artefact.Manifest manifest,
      ProsperModel model,
      SparseRetriever retriever,
      Dataset dataset,
      List<String> texts,
      List<Map<String, Double>> judgements,
      Map<String, Map<String, Double>> results)
      throws IOException {
    if (hybridWeights.isEmpty() || hybridWeights.stream().anyMatch(w -> !(w > 0))) {
      throw new IllegalArgumentException("[--hybrid-weights] must be positive numbers");
    }
    if (hybridAlphas.isEmpty() || hybridAlphas.stream().anyMatch(a -> !(a >= 0 && a <= 1))) {
      throw new IllegalArgumentException("[--hybrid-alphas] must be numbers in 0..1");
    }
    retriever.useQueryTopK(model.head().queryTopK());
    // The queries the trainer held out for validation (never trained on, never evaluated here):
    // same seed and count as the run recorded in the artefact.
    var trained = manifest.training().path("options");
    long seed = trained.path("seed").asLong(42);
    int count = trained.path("validation_queries").asInt(500);
    QuerySetOptions.QuerySet validation =
        querySet.trainingSide(
            training ->
                dev.prosper.training.train.Validation.queries(
                    training, querySet.minGrade, count, seed),
            dataset.products());
    if (validation.texts().isEmpty()) {
      throw new IllegalArgumentException(
          "[--hybrid] needs training-side queries with a positive to choose the weight; there"
              + " are none outside --holdout-percent");
    }
    try (Bm25Retriever bm25 = new Bm25Retriever(dataset.products(), new EnglishAnalyzer())) {
      var lexical = bm25.searchScored(validation.texts(), 1000);
      var sparse = retriever.searchScored(validation.texts(), 1000);
      // The rankings the weight is chosen on, for tuning other fusions offline.
      appendRun("validation: " + BM25_ENGLISH, validation.ids(), lexical);
      appendRun("validation: " + name, validation.ids(), sparse);
      double bestWeight =
          chooseOnValidation(
              "hybrid weight",
              hybridWeights,
              w -> Fusion.linearAll(lexical, sparse, w, 1000),
              validation);
      double bestAlpha =
          chooseOnValidation(
              "min-max hybrid alpha",
              hybridAlphas,
              a -> Fusion.minMaxAll(lexical, sparse, a, 1000),
              validation);
      var heldLexical = bm25.searchScored(texts, 1000);
      var heldSparse = retriever.searchScored(texts, 1000);
      String linear =
          String.format(
              Locale.ROOT,
              "hybrid: BM25 + %s x %s (weight from %d validation queries)",
              trim(bestWeight),
              name,
              validation.texts().size());
      putFusion(
          results, linear, Fusion.linearAll(heldLexical, heldSparse, bestWeight, 1000), judgements);
      String minMax =
          String.format(
              Locale.ROOT,
              "hybrid: min-max, %s x BM25 + %s x %s (alpha from %d validation queries)",
              trim(Math.round((1 - bestAlpha) * 1000) / 1000.0),
              trim(bestAlpha),
              name,
              validation.texts().size());
      putFusion(
          results, minMax, Fusion.minMaxAll(heldLexical, heldSparse, bestAlpha, 1000), judgements);
      String rrf = "hybrid: reciprocal rank fusion of BM25 and " + name;
      putFusion(results, rrf, Fusion.reciprocalRankAll(heldLexical, heldSparse, 1000), judgements);
    }
  }

  private void putFusion(
      Map<String, Map<String, Double>> results,
      String row,
      List<List<Retriever.Scored>> fused,
      List<Map<String, Double>> judgements) {
    results.put(row, rankingMetrics(row, Fusion.ids(fused), judgements));
    appendRun(row, queryIds, fused);
  }

  /** The value of the grid whose fusion has the best MRR@10 on the validation queries. */
  private double chooseOnValidation(
      String what,
      List<Double> grid,
      java.util.function.DoubleFunction<List<List<Retriever.Scored>>> fuse,
      QuerySetOptions.QuerySet validation) {
    double best = grid.get(0);
    double bestMrr = -1;
    for (double value : grid) {
      double mrr =
          RankingMetrics.compute(
                  Fusion.ids(fuse.apply(value)), validation.judgements(), querySet.minGrade)
              .get("MRR@10");
      System.err.printf(
          Locale.ROOT,
          "%s %.2f: MRR@10 %.4f on the model's %d validation queries%n",
          what,
          value,
          mrr,
          validation.texts().size());
      if (mrr > bestMrr) {
        bestMrr = mrr;
        best = value;
      }
    }
    return best;
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
  }

  /** One row per requested query top-k, from one encoding of the products. */
  private SparseRetriever sparse(
      String name,
      ProsperModel model,
      Dataset dataset,
      List<String> texts,
      List<Map<String, Double>> judgements,
      Map<String, Map<String, Double>> results) {
    model.setBatchSize(64);
    List<Integer> sizes = queryTopK.isEmpty() ? List.of(model.head().queryTopK()) : queryTopK;
    List<Integer> documentSizes = documentTopK.isEmpty() ? List.of(0) : documentTopK;
    int served = model.head().servedTopK(dev.prosper.encoder.head.Mode.DOCUMENT);
    int widest = served;
    for (int k : documentSizes) {
      if (k < 0) {
        throw new IllegalArgumentException("[--document-top-k] must be 0 or positive, got " + k);
      }
      widest = Math.max(widest, k);
    }
    for (int k : sizes) {
      if (k < 0) {
        throw new IllegalArgumentException("[--query-top-k] must be 0 or positive, got " + k);
      }
    }
    documentMeanTerms.forEach(SparseRetriever::checkMeanTerms);
    // One encoding keeps the most terms any row needs; every row prunes it to its own size.
    SparseRetriever retriever;
    try (ProgressBar bar = bar("encode products", dataset.products().size())) {
      retriever = new SparseRetriever(model, dataset.products(), sizes.get(0), widest, bar::stepBy);
    }
    for (int documentK : documentSizes) {
      if (documentK == 0) {
        retriever.pruneDocumentsAsServed();
      } else {
        retriever.pruneDocuments(documentK);
      }
      String documents =
          documentSizes.size() > 1 || !documentMeanTerms.isEmpty()
              ? "document top-k " + (documentK == 0 ? "as served" : documentK)
              : null;
      evaluateQuerySizes(name, retriever, sizes, documents, texts, judgements, results);
    }
    for (double mean : documentMeanTerms) {
      float threshold = retriever.pruneDocumentsToMeanTerms(mean);
      String documents =
          String.format(
              Locale.ROOT, "document mean terms %s, weight >= %.4f", trim(mean), threshold);
      evaluateQuerySizes(name, retriever, sizes, documents, texts, judgements, results);
    }
    retriever.pruneDocumentsAsServed();
    return retriever;
  }

  /** One row per query top-k over the documents as the retriever indexes them now. */
  private void evaluateQuerySizes(
      String name,
      SparseRetriever retriever,
      List<Integer> sizes,
      String documents,
      List<String> texts,
      List<Map<String, Double>> judgements,
      Map<String, Map<String, Double>> results) {
    for (int k : sizes) {
      retriever.useQueryTopK(k);
      List<String> labels = new ArrayList<>();
      if (sizes.size() > 1) {
        labels.add("query top-k " + (k == 0 ? "k_q" : k));
      }
      if (documents != null) {
        labels.add(documents);
      }
      String row = labels.isEmpty() ? name : name + " (" + String.join(", ", labels) + ")";
      results.put(row, evaluate(row, retriever, texts, judgements));
    }
  }

  private Map<String, Double> evaluate(
      String row, Retriever retriever, List<String> texts, List<Map<String, Double>> judgements) {
    List<List<Retriever.Scored>> scored = retriever.searchScored(texts, 1000);
    List<List<String>> rankings = new ArrayList<>(scored.size());
    for (int q = 0; q < scored.size(); q++) {
      rankings.add(scored.get(q).stream().map(Retriever.Scored::id).toList());
    }
    appendRun(row, queryIds, scored);
    Map<String, Double> metrics = new LinkedHashMap<>(rankingMetrics(row, rankings, judgements));
    metrics.putAll(retriever.statistics());
    return metrics;
  }

  /** Appends each query's top --run-depth products of a row to the run file. */
  private void appendRun(String row, List<String> ids, List<List<Retriever.Scored>> scored) {
    for (int q = 0; q < scored.size(); q++) {
      List<Retriever.Scored> results = scored.get(q);
      for (int r = 0; r < Math.min(runDepth, results.size()); r++) {
        run.append(
            String.format(
                Locale.ROOT,
                "%s\t%s\t%d\t%s\t%.9g%n",
                row,
                ids.get(q),
                r + 1,
                results.get(r).id(),
                results.get(r).score()));
      }
    }
  }

  private Map<String, Double> rankingMetrics(
      String row, List<List<String>> rankings, List<Map<String, Double>> judgements) {
    Map<String, double[]> values = RankingMetrics.perQuery(rankings, judgements, querySet.minGrade);
    perQuery.put(row, values);
    return RankingMetrics.means(values);
  }

  /**
   * p-values of every other row against the reference row, per metric (paired randomisation test on
   * the same queries); empty when there is no reference or no test.
   */
  private Map<String, Map<String, Double>> pValues(String reference) {
    Map<String, Map<String, Double>> pValues = new LinkedHashMap<>();
    if (reference == null || permutations <= 0) {
      return pValues;
    }
    Map<String, double[]> base = perQuery.get(reference);
    perQuery.forEach(
        (row, values) -> {
          if (row.equals(reference)) {
            return;
          }
          Map<String, Double> p = new LinkedHashMap<>();
          for (String metric : RankingMetrics.NAMES) {
            p.put(
                metric,
                RankingMetrics.pairedRandomizationP(
                    values.get(metric), base.get(metric), permutations, 42));
          }
          pValues.put(row, p);
        });
    return pValues;
  }

  private static ProgressBar bar(String task, long max) {
    return Progress.bar(task, max, System.err);
  }

  private void write(Map<String, Map<String, Double>> results, int queries, Dataset dataset)
      throws IOException {
    Files.createDirectories(output);
    List<String> columns = new ArrayList<>(RankingMetrics.NAMES);
    columns.addAll(List.of("mean query terms", "mean document terms", "mean overlapping terms"));
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "%d queries, %d products, positives grade >= %s (%s)%n%n",
            queries,
            dataset.products().size(),
            querySet.minGrade,
            dataset.description()));
    md.append(RankingMetrics.markdownTable(results, columns));
    String reference =
        results.containsKey(BM25_ENGLISH)
            ? BM25_ENGLISH
            : results.containsKey(BM25_STANDARD) ? BM25_STANDARD : null;
    Map<String, Map<String, Double>> pValues = pValues(reference);
    if (!pValues.isEmpty()) {
      md.append(
          String.format(
              Locale.ROOT,
              "%nTwo-sided p-values against %s (paired randomisation test on the same queries,"
                  + " %,d sign flips per metric):%n%n",
              reference,
              permutations));
      md.append(RankingMetrics.markdownTable(pValues, RankingMetrics.NAMES));
    }
    Map<String, Map<String, Double>> unknownMeans = UnknownWords.means(perQuery, unknownWords);
    Map<String, Map<String, Double>> knownMeans =
        UnknownWords.means(perQuery, UnknownWords.not(unknownWords));
    int unknownCount = UnknownWords.count(unknownWords);
    md.append(
        String.format(
            Locale.ROOT,
            "%nThe %d queries with a word no product title contains (misspellings, words run"
                + " together, unknown brands: what `train --typo-rate` targets):%n%n",
            unknownCount));
    md.append(RankingMetrics.markdownTable(unknownMeans, UnknownWords.METRICS));
    md.append(
        String.format(
            Locale.ROOT,
            "%nThe other %d queries (every word in some title):%n%n",
            unknownWords.length - unknownCount));
    md.append(RankingMetrics.markdownTable(knownMeans, UnknownWords.METRICS));
    Files.writeString(output.resolve("report.md"), md);
    if (runDepth > 0) {
      Files.writeString(output.resolve("run.tsv"), run);
    }
    dev.prosper.training.eval.SparsityCharts.write(results, reference, output);
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode json = mapper.createObjectNode();
    json.put("queries", queries);
    json.put("products", dataset.products().size());
    json.put("min_grade", querySet.minGrade);
    json.put("dataset", dataset.description());
    json.set("results", mapper.valueToTree(results));
    ObjectNode byWords = json.putObject("by_catalogue_words");
    byWords.set("unknown_word", mapper.valueToTree(unknownMeans));
    byWords.set("known_words", mapper.valueToTree(knownMeans));
    if (!pValues.isEmpty()) {
      ObjectNode test = json.putObject("significance");
      test.put("against", reference);
      test.put("test", "two-sided paired randomisation (sign flip)");
      test.put("permutations", permutations);
      test.set("p_values", mapper.valueToTree(pValues));
    }
    mapper.writeValue(output.resolve("report.json").toFile(), json);
    System.out.print(md);
  }
}
