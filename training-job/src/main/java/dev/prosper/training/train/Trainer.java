package dev.prosper.training.train;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.Devices;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.training.data.Dataset;
import dev.prosper.training.data.PseudoQueries;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import me.tongfei.progressbar.ProgressBar;

/**
 * The PROSPER training loop: the {@link Objective} (InfoNCE on the windowed asymmetric score plus
 * scheduled FLOPS regularisation, the dynamic window) minimised by AdamW with warm-up and decay,
 * validation after every epoch, a checkpoint per epoch and the best epoch written as the artefact.
 *
 * <p>Output directory: {@code artefact/} (best epoch), {@code checkpoints/epoch-N/} (artefact +
 * optimizer state), {@code metrics.csv}, {@code validation.json}, PNG charts.
 */
public final class Trainer {

  static final int MAX_SKIPPED_IN_A_ROW = 20;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final TrainingOptions options;
  private final PrintStream log;

  /** The teacher's scores of {@code --distill}, read before the model is loaded. */
  private Map<String, Map<String, Float>> teacherScores = Map.of();

  public Trainer(TrainingOptions options, PrintStream log) {
    this.options = options;
    this.log = log;
  }

  /**
   * The logged queries of a run: those with a positive of grade ≥ minGrade, less the validation
   * queries ({@link Validation#queries}), sorted; the cross-encoder teacher uses the same split.
   */
  public record QuerySplit(List<String> training, List<String> validation, int withoutPositives) {

    public static QuerySplit of(Dataset trainingSplit, double minGrade, int count, long seed) {
      List<String> withPositives = trainingSplit.queriesWithPositives(minGrade);
      List<String> validation = Validation.queries(trainingSplit, minGrade, count, seed);
      List<String> training = new ArrayList<>(withPositives);
      training.removeAll(new java.util.HashSet<>(validation));
      Collections.sort(training);
      return new QuerySplit(
          List.copyOf(training), validation, trainingSplit.queries().size() - withPositives.size());
    }
  }

  /** Results of a run. */
  public record Result(Path artefact, int bestEpoch, double bestMrr10, List<Double> validation) {}

  public Result run() throws IOException {
    TrainingOptions o = options;
    Dataset data = Dataset.read(o.data(), o.split()).trainingSplit(o.holdoutPercent());
    QuerySplit split = QuerySplit.of(data, o.minGrade(), o.validationQueries(), o.seed());
    int withoutPositives = split.withoutPositives();
    List<String> validation = split.validation();
    List<String> training = new ArrayList<>(split.training());
    List<String> realTraining = List.copyOf(training);
    TrainingOptions.Levers levers = o.levers();
    if (levers.distill() != null) {
      teacherScores = TeacherScores.read(levers.distill());
      List<String> leaked =
          validation.stream().filter(teacherScores::containsKey).limit(3).toList();
      if (!leaked.isEmpty()) {
        throw new IllegalArgumentException(
            "[--distill] "
                + levers.distill()
                + " scores validation queries of this run (e.g. "
                + String.join(", ", leaked)
                + "), so the teacher was trained on them: run `teacher` with the same --data,"
                + " --split, --min-grade, --holdout-percent, --validation-queries and --seed");
      }
    }
    if (levers.pseudoQueries() > 0) {
      // Never from a product judged for a validation query: validation would see its own answers.
      Map<String, String> sources = new LinkedHashMap<>(data.products());
      sources.keySet().removeAll(positiveProducts(data, validation, o.minGrade()));
      List<PseudoQueries.Query> pseudo =
          PseudoQueries.generate(sources, levers.pseudoQueries(), o.seed() + 3);
      data = data.withPseudoQueries(pseudo, o.minGrade());
      for (int i = 1; i <= pseudo.size(); i++) {
        training.add("pseudo-" + i);
      }
      log.printf(
          Locale.ROOT,
          "pseudo-queries: %d made from product titles, e.g. %s%n",
          pseudo.size(),
          pseudo.stream().limit(5).map(q -> "[" + q.text() + "]").toList());
    }
    log.printf(
        Locale.ROOT,
        "data: %s: %d products, %d queries (%d without a positive of grade >= %s are not used),"
            + " %d for training, %d held out for validation%n",
        data.description(),
        data.products().size(),
        data.queries().size(),
        withoutPositives,
        o.minGrade(),
        training.size(),
        validation.size());
    Map<String, String> validationCorpus =
        Validation.corpus(data, validation, o.validationCorpus(), o.seed() + 1);
    if (o.documentMeanTerms() > 0) {
      Validation.withoutRandomProducts(data, validation, validationCorpus)
          .ifPresent(warning -> log.println("warning: " + warning));
    }
    Path checkpoints = o.output().resolve("checkpoints");
    Files.createDirectories(checkpoints);
    Device device = Devices.resolve(o.device());
    int startEpoch = 0;
    ObjectNode state = null;
    Path resumeFrom = o.resume() ? Checkpoints.latest(checkpoints) : null;
    ProsperModel model;
    if (resumeFrom != null) {
      model = Artefact.load(resumeFrom, device);
      state = Checkpoints.state(resumeFrom);
      startEpoch = state.get("epoch").asInt() + 1;
      log.printf("resuming after epoch %d from %s%n", startEpoch, resumeFrom);
    } else {
      if (o.resume()) {
        log.println("--resume: no checkpoint in " + checkpoints + ", starting from the backbone");
      }
      model = Backbones.load(o.backbone(), o.head(), device, o.seed());
      try {
        prepareHead(model, data, validation);
      } catch (RuntimeException | IOException e) {
        model.close();
        throw e;
      }
    }
    try (model) {
      return train(
          model,
          data,
          training,
          realTraining,
          validation,
          validationCorpus,
          startEpoch,
          resumeFrom,
          state);
    }
  }

  /**
   * The levers that act on the fresh model before the contrastive stage: the vocabulary-head
   * warm-up (its result is written to {@code OUTPUT/warmup/artefact}) and the sparse bias start.
   * The positives of validation queries are not trained on in the warm-up.
   */
  private void prepareHead(ProsperModel model, Dataset data, List<String> validation)
      throws IOException {
    TrainingOptions.Levers levers = options.levers();
    if (levers.mlmSteps() == 0 && levers.initialActiveTerms() == 0) {
      return;
    }
    // The validation queries' positives are not trained on (their titles would be the answers).
    java.util.Set<String> validationProducts =
        positiveProducts(data, validation, options.minGrade());
    List<String> titles = new ArrayList<>();
    data.products()
        .forEach(
            (id, title) -> {
              if (!validationProducts.contains(id)) {
                titles.add(title);
              }
            });
    if (titles.size() < 10) {
      throw new IllegalArgumentException(
          "--mlm-steps and --initial-active-terms need product titles besides the validation"
              + " queries' positives; there are "
              + titles.size());
    }
    Collections.shuffle(titles, new Random(options.seed() + 5));
    int heldOut = Math.min(256, titles.size() / 5);
    List<String> heldOutTitles = titles.subList(0, heldOut);
    List<String> trainTitles = titles.subList(heldOut, titles.size());
    if (levers.mlmSteps() > 0) {
      MaskedLmWarmup.Result warmup =
          new MaskedLmWarmup(model)
              .run(
                  trainTitles,
                  heldOutTitles,
                  levers.mlmSteps(),
                  options.batchSize(),
                  levers.mlmLearningRate(),
                  options.seed(),
                  log);
      ObjectNode info = JSON.createObjectNode();
      info.put("stage", "vocabulary-head warm-up");
      info.put("steps", warmup.steps());
      info.put("masked_token_loss_before", warmup.lossBefore());
      info.put("masked_token_loss_after", warmup.lossAfter());
      info.set("options", JSON.valueToTree(optionsForJson()));
      Path directory = options.output().resolve("warmup");
      Artefact.write(model, directory.resolve("artefact"), info);
      JSON.writeValue(directory.resolve("warmup.json").toFile(), info);
    }
    if (levers.initialActiveTerms() > 0) {
      List<String> sample = trainTitles.subList(0, Math.min(2048, trainTitles.size()));
      double active = HeadBias.sparsify(model, sample, levers.initialActiveTerms());
      log.printf(
          Locale.ROOT,
          "sparse start: LM-head bias shifted on %d titles; %.1f basic terms per title (target"
              + " %d)%n",
          sample.size(),
          active,
          levers.initialActiveTerms());
    }
  }

  private static java.util.Set<String> positiveProducts(
      Dataset data, List<String> queries, double minGrade) {
    java.util.Set<String> products = new java.util.HashSet<>();
    for (String q : queries) {
      products.addAll(data.positives(q, minGrade));
    }
    return products;
  }

  private Result train(
      ProsperModel model,
      Dataset data,
      List<String> training,
      List<String> loggedQueries,
      List<String> validation,
      Map<String, String> validationCorpus,
      int startEpoch,
      Path resumeFrom,
      ObjectNode state)
      throws IOException {
    TrainingOptions o = options;
    HeadConfig head = model.head();
    model.parameters().forEach((name, array) -> array.setRequiresGradient(true));
    AdamW optimizer = new AdamW(model.parameters());
    TrainingOptions.Levers levers = o.levers();
    Map<String, List<String>> pools = Map.of();
    Map<String, Map<String, Float>> teacherScores = this.teacherScores;
    if (levers.distill() != null) {
      pools = TeacherScores.pools(data, teacherScores, loggedQueries, o.minGrade());
      long pairs = teacherScores.values().stream().mapToLong(Map::size).sum();
      log.printf(
          Locale.ROOT,
          "distillation: %,d teacher scores from %s; %d of %d logged training queries have scored"
              + " hard negatives; %s x KL(teacher || PROSPER) over each pair's positive and %d hard"
              + " negatives, teacher scores / %s%n",
          pairs,
          levers.distill(),
          pools.size(),
          loggedQueries.size(),
          levers.distillWeight(),
          levers.hardNegatives(),
          levers.distillTemperature());
      if (pools.isEmpty()) {
        throw new IllegalArgumentException(
            "[--distill] "
                + levers.distill()
                + " scores no product of a training query besides its positives: was it written"
                + " by `teacher` with the same --data, --min-grade, --holdout-percent and --seed?");
      }
    } else if (levers.hardNegatives() > 0) {
      // Logged queries only: a pseudo-query has one known positive, so BM25's top results for it
      // are mostly unjudged matches, not negatives.
      HardNegatives.Pools mined =
          HardNegatives.mine(data, loggedQueries, o.minGrade(), levers.hardNegativeDepth());
      pools = mined.pools();
      log.printf(
          Locale.ROOT,
          "hard negatives: %d per query from pools of %d judged below grade %s and %d BM25-mined"
              + " (top %d) products; %d of %d training queries have a pool%n",
          levers.hardNegatives(),
          mined.judged(),
          o.minGrade(),
          mined.mined(),
          levers.hardNegativeDepth(),
          pools.size(),
          training.size());
    }
    Map<String, List<String>> negativePools = pools;
    Map<String, Map<String, Float>> teacher = teacherScores;
    LexicalResidual lexical =
        levers.bm25Residual() > 0
            ? new LexicalResidual(data.products().values(), levers.bm25Residual())
            : null;
    if (lexical != null) {
      log.printf(
          Locale.ROOT,
          "BM25 residual: BM25 (english analyzer) / %s added to every logit; serve the model as"
              + " BM25 + %s x PROSPER%n",
          levers.bm25Residual(),
          levers.bm25Residual());
    }
    if (levers.titleToQuery() > 0) {
      log.printf(
          Locale.ROOT,
          "title-to-query: %s x a second InfoNCE term, each positive title picking its query among"
              + " the batch's (included in rank_loss)%n",
          levers.titleToQuery());
    }
    if (levers.typoRate() > 0) {
      log.printf(
          Locale.ROOT,
          "typo-aware training: a share %s of the pairs' queries get one typing mistake per"
              + " epoch%n",
          levers.typoRate());
    }
    IntFunction<List<List<Batches.Pair>>> epochBatches =
        epoch ->
            Batches.withTypos(
                Batches.epoch(
                    data,
                    training,
                    o.minGrade(),
                    o.batchSize(),
                    o.seed(),
                    epoch,
                    negativePools,
                    levers.hardNegatives(),
                    levers.positivesPerQuery(),
                    teacher),
                levers.typoRate(),
                o.seed(),
                epoch);
    int stepsPerEpoch = epochBatches.apply(0).size();
    if (o.maxStepsPerEpoch() > 0) {
      stepsPerEpoch = Math.min(stepsPerEpoch, o.maxStepsPerEpoch());
    }
    if (stepsPerEpoch == 0) {
      throw new IllegalArgumentException(
          "no training batch: need at least 2 training queries with a positive of grade >= "
              + o.minGrade());
    }
    long totalSteps = (long) stepsPerEpoch * o.epochs();
    long warmupSteps = Math.max(1, Math.round(o.warmupEpochs() * stepsPerEpoch));
    long rampSteps = Math.round(o.lambdaRampEpochs() * stepsPerEpoch);
    int queryWindow = head.queryWindow();
    int documentWindow = head.documentWindow();
    int bestEpoch = -1;
    double bestMrr = -1;
    List<Double> history = new ArrayList<>();
    if (state != null) {
      Checkpoints.restore(resumeFrom, optimizer, state.get("step").asLong());
      queryWindow = state.get("k_q").asInt();
      documentWindow = state.get("k_d").asInt();
      bestEpoch = state.get("best_epoch").asInt();
      bestMrr = state.get("best_mrr10").asDouble();
      for (var value : state.get("validation")) {
        history.add(value.asDouble());
      }
    }
    MetricsLog metrics =
        new MetricsLog(o.output().resolve("metrics.csv"), state != null ? optimizer.steps() : -1);
    log.printf(
        Locale.ROOT,
        "model: %s, %,d weights on %s; %d epochs x %d steps of %d pairs, warm-up %d steps%n",
        o.backbone(),
        model.parameters().size(),
        model.parameters().device(),
        o.epochs(),
        stepsPerEpoch,
        o.batchSize(),
        warmupSteps);
    long step = optimizer.steps();
    int skippedInARow = 0;
    for (int epoch = startEpoch; epoch < o.epochs(); epoch++) {
      List<List<Batches.Pair>> batches = epochBatches.apply(epoch);
      batches = batches.subList(0, Math.min(batches.size(), stepsPerEpoch));
      long pairs = 0;
      int skipped = 0;
      long started = System.nanoTime();
      try (ProgressBar bar =
          dev.prosper.training.Progress.bar(
              "epoch " + (epoch + 1) + "/" + o.epochs(), batches.size(), log)) {
        for (List<Batches.Pair> batch : batches) {
          double lr = Schedules.learningRate(o.learningRate(), step, warmupSteps, totalSteps);
          double lambdaQ = Schedules.flopsWeight(o.lambdaQuery(), step, rampSteps);
          double lambdaD = Schedules.flopsWeight(o.lambdaDocument(), step, rampSteps);
          Objective.Weights weights =
              new Objective.Weights(
                  lambdaQ,
                  lambdaD,
                  o.levers().l1Query(),
                  o.levers().l1Document(),
                  o.levers().titleToQuery(),
                  o.levers().distill() != null ? o.levers().distillWeight() : 0,
                  o.levers().distillTemperature());
          long t0 = System.nanoTime();
          Objective.StepFigures figures =
              Objective.forwardBackward(
                  model, batch, queryWindow, documentWindow, weights, lexical);
          long t1 = System.nanoTime();
          double gradNorm = optimizer.step(lr, o.weightDecay(), o.clipNorm());
          if (!Double.isFinite(gradNorm)) {
            skipped++;
            if (++skippedInARow > MAX_SKIPPED_IN_A_ROW) {
              throw new IllegalStateException(
                  "training diverged: "
                      + skippedInARow
                      + " steps in a row had a non-finite gradient (last at step "
                      + (step + 1)
                      + "); lower --lr or raise --clip-norm");
            }
          } else {
            skippedInARow = 0;
          }
          long t2 = System.nanoTime();
          metrics.append(
              epoch + 1,
              step + 1,
              figures,
              weights,
              lr,
              gradNorm,
              queryWindow,
              documentWindow,
              (t1 - t0) / 1e9,
              (t2 - t1) / 1e9);
          if (head.lfw() == HeadConfig.Lfw.DYNAMIC) {
            queryWindow = Objective.shrinkQueryWindow(queryWindow, figures.queryNonZeros());
            documentWindow =
                Objective.shrinkDocumentWindow(documentWindow, figures.documentNonZeros());
          }
          step++;
          pairs += batch.size();
          bar.step();
          bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f lr %.2e", figures.loss(), lr));
        }
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      HeadConfig windows = head.withWindows(queryWindow, documentWindow);
      Validation.Result validated =
          Validation.mrr10(
              model,
              windows,
              o.documentMeanTerms(),
              data,
              validation,
              validationCorpus,
              o.minGrade(),
              log);
      double mrr = validated.mrr10();
      HeadConfig current = windows.withDocumentMinWeight(validated.documentMinWeight());
      int queryTerms = current.servedTopK(Mode.QUERY);
      history.add(mrr);
      log.printf(
          Locale.ROOT,
          "epoch %d: %.1f pairs/s, %d updates skipped (non-finite gradient), validation MRR@10"
              + " %.4f on %d queries (%d query terms) over %d products%s%n",
          epoch + 1,
          pairs / seconds,
          skipped,
          mrr,
          validation.size(),
          queryTerms,
          validationCorpus.size(),
          o.documentMeanTerms() > 0
              ? String.format(
                  Locale.ROOT,
                  " (document terms weighing >= %.4f: %.0f on average)",
                  current.documentMinWeight(),
                  o.documentMeanTerms())
              : "");
      double peak = dev.prosper.training.bench.EncoderBenchmark.peakRssMiB();
      if (!Double.isNaN(peak)) {
        log.printf(Locale.ROOT, "peak resident memory so far: %,d MiB%n", Math.round(peak));
      }
      ObjectNode trainingInfo =
          trainingInfo(epoch, step, mrr, history, queryWindow, documentWindow);
      Path checkpoint = Checkpoints.of(o.output(), epoch + 1);
      if (mrr > bestMrr) {
        bestMrr = mrr;
        bestEpoch = epoch + 1;
        trainingInfo.put("best_epoch", bestEpoch);
        trainingInfo.put("best_mrr10", bestMrr);
        Artefact.write(model.withHead(current), o.output().resolve("artefact"), trainingInfo);
      }
      trainingInfo.put("best_epoch", bestEpoch);
      trainingInfo.put("best_mrr10", bestMrr);
      Checkpoints.write(checkpoint, model, current, optimizer, trainingInfo);
      ObjectNode summary = JSON.createObjectNode();
      summary.put("metric", "MRR@10");
      summary.put("queries", validation.size());
      summary.put("query_terms", queryTerms);
      summary.put("products", validationCorpus.size());
      ArrayNode perEpoch = summary.putArray("epochs");
      history.forEach(perEpoch::add);
      summary.put("best_epoch", bestEpoch);
      summary.put("best", bestMrr);
      JSON.writeValue(o.output().resolve("validation.json").toFile(), summary);
    }
    Charts.write(metrics.file(), history, o.output());
    Path artefact = o.output().resolve("artefact");
    log.printf(
        Locale.ROOT,
        "best epoch %d (validation MRR@10 %.4f) written to %s; peak resident memory %.0f MiB%n",
        bestEpoch,
        bestMrr,
        artefact,
        dev.prosper.training.bench.EncoderBenchmark.peakRssMiB());
    return new Result(artefact, bestEpoch, bestMrr, history);
  }

  private ObjectNode trainingInfo(
      int epoch, long step, double mrr, List<Double> history, int kq, int kd) {
    ObjectNode info = JSON.createObjectNode();
    info.put("epoch", epoch);
    info.put("epochs_completed", epoch + 1);
    info.put("step", step);
    info.put("validation_mrr10", mrr);
    ArrayNode values = info.putArray("validation");
    history.forEach(values::add);
    info.put("k_q", kq);
    info.put("k_d", kd);
    info.set("options", JSON.valueToTree(optionsForJson()));
    return info;
  }

  private Map<String, Object> optionsForJson() {
    Map<String, Object> map = new LinkedHashMap<>();
    TrainingOptions o = options;
    map.put("data", o.data().toString());
    map.put("split", o.split());
    map.put("min_grade", o.minGrade());
    map.put("holdout_percent", o.holdoutPercent());
    map.put("backbone", o.backbone());
    map.put("epochs", o.epochs());
    map.put("batch_size", o.batchSize());
    map.put("learning_rate", o.learningRate());
    map.put("weight_decay", o.weightDecay());
    map.put("warmup_epochs", o.warmupEpochs());
    map.put("lambda_q", o.lambdaQuery());
    map.put("lambda_d", o.lambdaDocument());
    map.put("lambda_ramp_epochs", o.lambdaRampEpochs());
    map.put("clip_norm", o.clipNorm());
    map.put("validation_queries", o.validationQueries());
    map.put("max_steps_per_epoch", o.maxStepsPerEpoch());
    map.put("seed", o.seed());
    map.put("terms", o.head().terms().id());
    map.put("document_top_k", o.head().documentTopK());
    map.put("document_mean_terms", o.documentMeanTerms());
    map.put("hard_negatives", o.levers().hardNegatives());
    map.put("bm25_residual", o.levers().bm25Residual());
    map.put("title_to_query", o.levers().titleToQuery());
    map.put("distill", o.levers().distill() == null ? null : o.levers().distill().toString());
    map.put("distill_weight", o.levers().distillWeight());
    map.put("distill_temperature", o.levers().distillTemperature());
    map.put("typo_rate", o.levers().typoRate());
    map.put("hard_negative_depth", o.levers().hardNegativeDepth());
    map.put("mlm_steps", o.levers().mlmSteps());
    map.put("mlm_lr", o.levers().mlmLearningRate());
    map.put("initial_active_terms", o.levers().initialActiveTerms());
    map.put("pseudo_queries", o.levers().pseudoQueries());
    map.put("positives_per_query", o.levers().positivesPerQuery());
    map.put("l1_q", o.levers().l1Query());
    map.put("l1_d", o.levers().l1Document());
    return map;
  }
}
