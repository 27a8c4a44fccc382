package dev.prosper.training.train;

import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.training.Progress;
import dev.prosper.training.data.Dataset;
import dev.prosper.training.eval.RankingMetrics;
import dev.prosper.training.eval.SparseRetriever;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import me.tongfei.progressbar.ProgressBar;

/**
 * The trainer's validation: queries held out from training, searched with the served vectors over
 * their judged products plus random others; MRR@10 picks the best epoch.
 */
public final class Validation {

  private Validation() {}

  /**
   * The queries a run holds out for validation: {@code count} (at most a fifth) of the training
   * split's queries with a positive, drawn with the seed. {@code evaluate --hybrid} uses the same
   * queries to choose a fusion weight.
   */
  public static List<String> queries(Dataset trainingSplit, double minGrade, int count, long seed) {
    List<String> shuffled = new ArrayList<>(trainingSplit.queriesWithPositives(minGrade));
    Collections.shuffle(shuffled, new Random(seed));
    return List.copyOf(shuffled.subList(0, Math.min(count, shuffled.size() / 5)));
  }

  /** Every product judged for a validation query, plus random others up to {@code size}. */
  static Map<String, String> corpus(Dataset data, List<String> validation, int size, long seed) {
    if (size <= 0 || size >= data.products().size()) {
      return data.products();
    }
    return data.sampleProducts(validation, size, seed).products();
  }

  /**
   * The validation products that choose the served weight threshold: when the corpus is a sample,
   * its random products only, not the ones it holds because a validation query judged them (those
   * were picked by the queries, not drawn like the catalogue; with them in, every default-recipe
   * model served 64.2 to 64.7 terms per product over the whole catalogue for a target of 64); every
   * product when the corpus is the whole catalogue.
   */
  static java.util.function.Predicate<String> drawnLikeTheCatalogue(
      Dataset data, List<String> validation, Map<String, String> corpus) {
    if (corpus.size() >= data.products().size()) {
      return id -> true;
    }
    java.util.Set<String> judged = data.judgedProducts(validation);
    return id -> !judged.contains(id);
  }

  /**
   * Why the threshold cannot be chosen on products drawn like the catalogue, when {@code corpus}
   * holds none (the judged products alone fill it) and {@link #drawnLikeTheCatalogue} falls back to
   * all of them; empty when it holds some.
   */
  static java.util.Optional<String> withoutRandomProducts(
      Dataset data, List<String> validation, Map<String, String> corpus) {
    if (corpus.keySet().stream().anyMatch(drawnLikeTheCatalogue(data, validation, corpus))) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        String.format(
            java.util.Locale.ROOT,
            "the validation corpus (%d products) holds only products judged for the validation"
                + " queries, so the document weight threshold (--document-mean-terms) is chosen"
                + " on them, not on products drawn like the catalogue, and served documents may"
                + " keep more or fewer terms on average; raise --validation-corpus above %d",
            corpus.size(),
            data.judgedProducts(validation).size()));
  }

  /**
   * The validation score and the document weight threshold it was measured with.
   *
   * @param documentMinWeight the threshold served documents keep terms above (0: none)
   */
  record Result(double mrr10, float documentMinWeight) {}

  /**
   * MRR@10 of the model under {@code head} on the validation queries, each served with the head's
   * {@code query_top_k} terms, as the plugin serves them (so the best epoch is the best one for
   * serving). With {@code documentMeanTerms} the corpus is indexed with one weight threshold, the
   * one at which its products keep that many terms on average, which the artefact then records.
   */
  static Result mrr10(
      ProsperModel model,
      HeadConfig head,
      double documentMeanTerms,
      Dataset data,
      List<String> validation,
      Map<String, String> corpus,
      double minGrade,
      PrintStream log) {
    ProsperModel view = model.withHead(head);
    view.setBatchSize(64);
    SparseRetriever retriever;
    try (ProgressBar bar = Progress.bar("validation", corpus.size(), log)) {
      retriever = new SparseRetriever(view, corpus, head.queryTopK(), 0, bar::stepBy);
    }
    float threshold =
        documentMeanTerms > 0
            ? retriever.pruneDocumentsToMeanTerms(
                documentMeanTerms, drawnLikeTheCatalogue(data, validation, corpus))
            : head.documentMinWeight();
    List<String> texts = validation.stream().map(q -> data.queries().get(q)).toList();
    List<Map<String, Double>> judgements =
        validation.stream().map(q -> data.qrels().getOrDefault(q, Map.of())).toList();
    double mrr =
        RankingMetrics.compute(retriever.search(texts, 100), judgements, minGrade).get("MRR@10");
    return new Result(mrr, threshold);
  }
}
