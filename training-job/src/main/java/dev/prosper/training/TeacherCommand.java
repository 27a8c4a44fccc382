package dev.prosper.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.Devices;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.training.data.Dataset;
import dev.prosper.training.eval.Bm25Retriever;
import dev.prosper.training.train.CrossEncoderTeacher;
import dev.prosper.training.train.HardNegatives;
import dev.prosper.training.train.TeacherScores;
import dev.prosper.training.train.Trainer;
import dev.prosper.training.train.TrainingOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code teacher}: trains a cross-encoder on the training queries' judgements and scores each
 * query's candidates with it, the file {@code train --distill} reads.
 */
@Command(
    name = "teacher",
    mixinStandardHelpOptions = true,
    showDefaultValues = true,
    sortOptions = false,
    description =
        "Trains a cross-encoder teacher (a BERT backbone reading query and title together, a score"
            + " layer on [CLS]) on the same training queries as `train` with the same options"
            + " (validation queries and --holdout-percent queries left out), reports its MRR@10 on"
            + " the validation queries as a reranker of BM25's top results beside BM25's own, and"
            + " writes OUTPUT/teacher-scores.tsv (query id, product id, score) for each training"
            + " query's positives and hard negatives (products judged below --min-grade, then"
            + " BM25's unjudged top results), the input of `train --distill`. The teacher scores"
            + " the queries it was trained on (one epoch sees one positive and --negatives of each"
            + " query's pool). Its own weights are not kept.")
public final class TeacherCommand implements Callable<Integer> {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Mixin DataOptions dataOptions = new DataOptions();

  @Option(names = "--backbone", description = "A BERT-family backbone (bge-small-en, minilm-l6).")
  String backbone = "bge-small-en";

  @Option(names = "--output", required = true, description = "Output directory.")
  Path output;

  @Option(names = "--epochs", description = "Epochs over the training queries.")
  int epochs = 1;

  @Option(names = "--batch-queries", description = "Queries per batch (each with its group).")
  int batchQueries = 16;

  @Option(names = "--negatives", description = "Negatives per query in its softmax group.")
  int negatives = 3;

  @Option(names = "--lr", description = "Peak learning rate (linear warm-up, then decay).")
  double learningRate = 5e-5;

  @Option(names = "--max-length", description = "Tokens of a query and title pair.")
  int maxLength = 64;

  @Option(
      names = "--hard-negative-depth",
      description = "BM25 (english analyzer) results mined per query for negatives.")
  int hardNegativeDepth = 50;

  @Option(
      names = "--candidates",
      description =
          "Products scored per training query: its positives (at most half of them), then its"
              + " hard negatives in order.")
  int candidates = 16;

  @Option(
      names = "--validation-queries",
      description = "Validation queries, drawn as `train` draws them (give train's value).")
  int validationQueries = 500;

  @Option(
      names = "--rerank-depth",
      description = "BM25 results the teacher reranks per validation query.")
  int rerankDepth = 20;

  @Option(names = "--max-steps", description = "Cap on steps per epoch (0: no cap).")
  int maxSteps = 0;

  @Option(names = "--seed", description = "Random seed (give train's value).")
  long seed = 42;

  @Option(names = "--device", description = "auto, cpu or gpu.")
  String device = "auto";

  @Override
  public Integer call() throws Exception {
    Path data = dataOptions.data;
    String split = dataOptions.split;
    double minGrade = dataOptions.minGrade;
    int holdoutPercent = dataOptions.holdoutPercent;
    TrainingOptions.require(epochs >= 1, "--epochs", "must be at least 1, got " + epochs);
    TrainingOptions.require(
        batchQueries >= 1, "--batch-queries", "must be at least 1, got " + batchQueries);
    TrainingOptions.require(negatives >= 1, "--negatives", "must be at least 1, got " + negatives);
    TrainingOptions.require(
        learningRate > 0 && Double.isFinite(learningRate),
        "--lr",
        "must be a positive number, got " + learningRate);
    TrainingOptions.require(
        Double.isFinite(minGrade), "--min-grade", "must be a number, got " + minGrade);
    TrainingOptions.require(
        holdoutPercent >= 0 && holdoutPercent < 100,
        "--holdout-percent",
        "must be in 0..99, got " + holdoutPercent);
    TrainingOptions.require(
        maxLength >= CrossEncoderTeacher.MIN_LENGTH && maxLength <= 512,
        "--max-length",
        "must be in " + CrossEncoderTeacher.MIN_LENGTH + "..512, got " + maxLength);
    TrainingOptions.require(
        candidates >= 2, "--candidates", "must be at least 2, got " + candidates);
    TrainingOptions.require(
        rerankDepth >= 1, "--rerank-depth", "must be at least 1, got " + rerankDepth);
    TrainingOptions.require(maxSteps >= 0, "--max-steps", "must not be negative, got " + maxSteps);
    TrainingOptions.require(
        hardNegativeDepth >= 0,
        "--hard-negative-depth",
        "must not be negative, got " + hardNegativeDepth);
    TrainingOptions.require(
        validationQueries >= 1,
        "--validation-queries",
        "must be at least 1, got " + validationQueries);
    PrintStream log = System.err;
    Dataset dataset = Dataset.read(data, split).trainingSplit(holdoutPercent);
    Trainer.QuerySplit queries = Trainer.QuerySplit.of(dataset, minGrade, validationQueries, seed);
    if (queries.training().size() < batchQueries) {
      throw new IllegalArgumentException(
          "[--data] "
              + queries.training().size()
              + " training queries with a positive of grade >= "
              + minGrade
              + ", fewer than --batch-queries "
              + batchQueries);
    }
    Files.createDirectories(output);
    HardNegatives.Pools pools =
        HardNegatives.mine(dataset, queries.training(), minGrade, hardNegativeDepth);
    log.printf(
        Locale.ROOT,
        "teacher: %s on %d training queries (%d held out for validation); pools of %d judged"
            + " below grade %s and %d BM25-mined products%n",
        backbone,
        queries.training().size(),
        queries.validation().size(),
        pools.judged(),
        minGrade,
        pools.mined());
    ObjectNode report = JSON.createObjectNode();
    // The tokenizer cuts each text at the head's max length: a pair's query and title both fit.
    HeadOptions head = new HeadOptions();
    head.maxLength = maxLength;
    try (ProsperModel model =
        Backbones.load(backbone, head.toHeadConfig(256, 32), Devices.resolve(device), seed)) {
      CrossEncoderTeacher teacher = new CrossEncoderTeacher(model, maxLength, seed);
      CrossEncoderTeacher.Trained trained =
          teacher.train(
              dataset,
              queries.training(),
              pools.pools(),
              minGrade,
              new CrossEncoderTeacher.Schedule(
                  epochs, batchQueries, negatives, learningRate, 0.1, maxSteps),
              seed,
              log);
      log.printf(
          Locale.ROOT,
          "teacher trained: %d steps, %.0f s at %.1f pairs/s, last loss %.4f%n",
          trained.steps(),
          trained.seconds(),
          trained.pairsPerSecond(),
          trained.lastLoss());
      double[] validation = validate(teacher, dataset, queries.validation(), log);
      log.printf(
          Locale.ROOT,
          "validation (%d queries, BM25's top %d reranked): MRR@10 BM25 %.4f, teacher %.4f;"
              + " a positive among the %d: %.4f%n",
          queries.validation().size(),
          rerankDepth,
          validation[0],
          validation[1],
          rerankDepth,
          validation[2]);
      Path scores = output.resolve(TeacherScores.FILE);
      int pairs = scoreCandidates(teacher, dataset, queries.training(), pools.pools(), scores, log);
      log.printf(Locale.ROOT, "%d teacher scores written to %s%n", pairs, scores);
      report.put("backbone", backbone);
      report.put("training_queries", queries.training().size());
      report.put("validation_queries", queries.validation().size());
      report.put("steps", trained.steps());
      report.put("training_seconds", trained.seconds());
      report.put("pairs_per_second", trained.pairsPerSecond());
      report.put("rerank_depth", rerankDepth);
      report.put("validation_mrr10_bm25", validation[0]);
      report.put("validation_mrr10_teacher", validation[1]);
      report.put("validation_positive_in_candidates", validation[2]);
      report.put("scored_pairs", pairs);
      report.put("data", data.toString());
      report.put("split", split);
      report.put("min_grade", minGrade);
      report.put("holdout_percent", holdoutPercent);
      report.put("seed", seed);
    }
    JSON.writeValue(output.resolve("teacher.json").toFile(), report);
    return 0;
  }

  /** MRR@10 of BM25's order, of the teacher's order of BM25's top results, and their recall. */
  private double[] validate(
      CrossEncoderTeacher teacher, Dataset dataset, List<String> validation, PrintStream log)
      throws java.io.IOException {
    List<List<String>> rankings;
    try (Bm25Retriever bm25 = new Bm25Retriever(dataset.products(), new EnglishAnalyzer())) {
      rankings =
          bm25.search(validation.stream().map(q -> dataset.queries().get(q)).toList(), rerankDepth);
    }
    double bm25Mrr = 0;
    double teacherMrr = 0;
    double found = 0;
    try (ProgressBar bar = Progress.bar("validation", validation.size(), log)) {
      for (int i = 0; i < validation.size(); i++) {
        String q = validation.get(i);
        Set<String> positives = new HashSet<>(dataset.positives(q, dataOptions.minGrade));
        List<String> ranking = rankings.get(i);
        bm25Mrr += reciprocalRank(ranking, positives);
        List<String> titles = ranking.stream().map(id -> dataset.products().get(id)).toList();
        float[] scores =
            teacher.score(
                java.util.Collections.nCopies(titles.size(), dataset.queries().get(q)), titles);
        List<Integer> order = new ArrayList<>();
        for (int j = 0; j < ranking.size(); j++) {
          order.add(j);
        }
        order.sort((a, b) -> Float.compare(scores[b], scores[a]));
        teacherMrr += reciprocalRank(order.stream().map(ranking::get).toList(), positives);
        found += ranking.stream().anyMatch(positives::contains) ? 1 : 0;
        bar.step();
      }
    }
    int n = validation.size();
    return new double[] {bm25Mrr / n, teacherMrr / n, found / n};
  }

  private static double reciprocalRank(List<String> ranking, Set<String> positives) {
    for (int r = 0; r < Math.min(10, ranking.size()); r++) {
      if (positives.contains(ranking.get(r))) {
        return 1.0 / (r + 1);
      }
    }
    return 0;
  }

  /** Scores each training query's candidates and writes them; returns the number of pairs. */
  private int scoreCandidates(
      CrossEncoderTeacher teacher,
      Dataset dataset,
      List<String> training,
      Map<String, List<String>> pools,
      Path file,
      PrintStream log)
      throws java.io.IOException {
    List<TeacherScores.Entry> pending = new ArrayList<>();
    for (String q : training) {
      Set<String> chosen = new LinkedHashSet<>();
      for (String p : dataset.positives(q, dataOptions.minGrade)) {
        if (chosen.size() < candidates / 2) {
          chosen.add(p);
        }
      }
      for (String n : pools.getOrDefault(q, List.of())) {
        if (chosen.size() < candidates) {
          chosen.add(n);
        }
      }
      for (String p : chosen) {
        pending.add(new TeacherScores.Entry(q, p, Float.NaN));
      }
    }
    List<TeacherScores.Entry> scored = new ArrayList<>(pending.size());
    int chunk = 1024;
    try (ProgressBar bar = Progress.bar("teacher scores", pending.size(), log)) {
      for (int start = 0; start < pending.size(); start += chunk) {
        List<TeacherScores.Entry> part =
            pending.subList(start, Math.min(pending.size(), start + chunk));
        float[] scores =
            teacher.score(
                part.stream().map(e -> dataset.queries().get(e.queryId())).toList(),
                part.stream().map(e -> dataset.products().get(e.productId())).toList());
        for (int i = 0; i < part.size(); i++) {
          if (!Float.isFinite(scores[i])) {
            throw new IllegalStateException(
                "the teacher scored query "
                    + part.get(i).queryId()
                    + " and product "
                    + part.get(i).productId()
                    + " "
                    + scores[i]
                    + ": training diverged; lower --lr");
          }
          scored.add(
              new TeacherScores.Entry(part.get(i).queryId(), part.get(i).productId(), scores[i]));
        }
        bar.stepBy(part.size());
      }
    }
    TeacherScores.write(file, scored);
    return scored.size();
  }
}
