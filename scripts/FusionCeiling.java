import dev.prosper.training.data.Dataset;
import dev.prosper.training.eval.Fusion;
import dev.prosper.training.eval.RankingMetrics;
import dev.prosper.training.eval.Retriever.Scored;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Experiment script (not a supported command): the upper bound of a linear fusion of several
 * rankings, to tell whether a fusion target is within reach of the signals at hand. Reads the
 * {@code run.tsv} files that {@code evaluate --run-depth N} writes (any number; the same held-out
 * queries), fuses BASE + w1 * S1 + w2 * S2 + ... for every combination of the weights given, and
 * prints MRR@10, nDCG@10 and Recall@1000 of each over the held-out queries with a positive (the
 * queries and metrics {@code evaluate} uses). The best row's weights are chosen on the very
 * queries they are measured on, so it is a ceiling, not a result. A product missing from a
 * system's top N adds 0 for it, as in {@code evaluate}'s linear fusion and a {@code bool} query;
 * {@code --at-last NAME} counts it at that system's N-th score instead (for scores that do not
 * start at 0, such as a dense ranking's cosine).
 *
 * <pre>
 * java -cp training-job/target/training-job.jar scripts/FusionCeiling.java \
 *   --data ../shared/data/homedepot --min-grade 2.5 --holdout-percent 10 \
 *   --base "BM25 (english analyzer)" --system "bge=0,0.5,1,2" \
 *   --system "dense bge-small-en (cls pooling)=0,5,10,20" \
 *   --at-last "dense bge-small-en (cls pooling)" eval-a/run.tsv eval-c/run.tsv
 * </pre>
 */
public class FusionCeiling {
  public static void main(String[] args) throws Exception {
    Path data = null;
    String split = "train";
    java.util.Set<String> atLast = new java.util.HashSet<>();
    double minGrade = 1.0;
    int holdout = 0;
    String base = null;
    Map<String, double[]> grids = new LinkedHashMap<>();
    List<Path> runs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--data" -> data = Path.of(args[++i]);
        case "--split" -> split = args[++i];
        case "--at-last" -> atLast.add(args[++i]);
        case "--min-grade" -> minGrade = Double.parseDouble(args[++i]);
        case "--holdout-percent" -> holdout = Integer.parseInt(args[++i]);
        case "--base" -> base = args[++i];
        case "--system" -> {
          String spec = args[++i];
          int eq = spec.lastIndexOf('=');
          if (eq < 0) {
            usage("--system needs NAME=w1,w2,..., got [" + spec + "]");
          }
          String[] ws = spec.substring(eq + 1).split(",");
          double[] grid = new double[ws.length];
          for (int w = 0; w < ws.length; w++) {
            grid[w] = Double.parseDouble(ws[w]);
          }
          grids.put(spec.substring(0, eq), grid);
        }
        default -> runs.add(Path.of(args[i]));
      }
    }
    if (data == null || base == null || grids.isEmpty() || runs.isEmpty()) {
      usage("--data, --base, at least one --system and at least one run.tsv are required");
    }
    Dataset dataset = Dataset.read(data, split).heldOutSplit(holdout);
    List<String> queries = dataset.queriesWithPositives(minGrade);
    Map<String, Map<String, List<Scored>>> rankings = read(runs);
    List<String> systems = new ArrayList<>(List.of(base));
    systems.addAll(grids.keySet());
    for (String system : systems) {
      if (!rankings.containsKey(system)) {
        usage("no system [" + system + "] in the run files; they hold " + rankings.keySet());
      }
      long without = queries.stream().filter(q -> !rankings.get(system).containsKey(q)).count();
      if (without > 0) {
        // evaluate writes no rows for an empty ranking (BM25 finds nothing for some queries).
        System.out.printf("%s: no ranking for %d of the queries%n", system, without);
      }
    }
    List<Map<String, Double>> judgements = new ArrayList<>();
    for (String q : queries) {
      judgements.add(dataset.qrels().getOrDefault(q, Map.of()));
    }
    System.out.printf("%d queries with a positive; base: %s%n", queries.size(), base);
    List<String> names = new ArrayList<>(grids.keySet());
    double[] baseMetrics = null;
    double[] best = null;
    String bestWeights = null;
    int combinations = 1;
    for (double[] grid : grids.values()) {
      combinations *= grid.length;
    }
    for (int c = 0; c < combinations; c++) {
      double[] weights = new double[names.size()];
      int rest = c;
      for (int s = names.size() - 1; s >= 0; s--) {
        double[] grid = grids.get(names.get(s));
        weights[s] = grid[rest % grid.length];
        rest /= grid.length;
      }
      List<List<String>> fused = new ArrayList<>();
      for (String q : queries) {
        List<Scored> sum = ranking(rankings, base, q, atLast);
        for (int s = 0; s < names.size(); s++) {
          if (weights[s] != 0) {
            List<Scored> other = ranking(rankings, names.get(s), q, atLast);
            sum = Fusion.linear(sum, other, weights[s], Integer.MAX_VALUE);
          }
        }
        fused.add(sum.stream().map(Scored::id).limit(1000).toList());
      }
      Map<String, Double> m =
          RankingMetrics.means(RankingMetrics.perQuery(fused, judgements, minGrade));
      double[] metrics = {m.get("MRR@10"), m.get("nDCG@10"), m.get("Recall@1000")};
      StringBuilder label = new StringBuilder("1 x " + base);
      for (int s = 0; s < names.size(); s++) {
        label.append(String.format(" + %s x %s", weights[s], names.get(s)));
      }
      if (java.util.Arrays.stream(weights).allMatch(w -> w == 0)) {
        baseMetrics = metrics;
      }
      System.out.printf(
          "MRR@10 %.4f  nDCG@10 %.4f  Recall@1000 %.4f  %s%n",
          metrics[0], metrics[1], metrics[2], label);
      if (best == null || metrics[0] > best[0]) {
        best = metrics;
        bestWeights = label.toString();
      }
    }
    System.out.printf(
        "ceiling (weights chosen on these queries): MRR@10 %.4f, nDCG@10 %.4f, Recall@1000 %.4f"
            + " with %s%n",
        best[0], best[1], best[2], bestWeights);
    if (baseMetrics != null) {
      System.out.printf(
          "against the base alone (MRR@10 %.4f): %.3fx%n", baseMetrics[0], best[0] / baseMetrics[0]);
    }
  }

  /** A system's ranking of a query, shifted by its last score when the system is in atLast. */
  private static List<Scored> ranking(
      Map<String, Map<String, List<Scored>>> rankings,
      String system,
      String query,
      java.util.Set<String> atLast) {
    List<Scored> ranking = rankings.get(system).getOrDefault(query, List.of());
    if (ranking.isEmpty() || !atLast.contains(system)) {
      return ranking;
    }
    double last = ranking.get(ranking.size() - 1).score();
    return ranking.stream().map(s -> new Scored(s.id(), s.score() - last)).toList();
  }

  /** System name to query id to its ranking, in rank order, from every run file. */
  private static Map<String, Map<String, List<Scored>>> read(List<Path> files) throws Exception {
    Map<String, Map<String, List<Scored>>> out = new HashMap<>();
    for (Path file : files) {
      Map<String, Map<String, List<Scored>>> own = new HashMap<>();
      try (BufferedReader in = Files.newBufferedReader(file)) {
        String line = in.readLine();
        while ((line = in.readLine()) != null) {
          String[] f = line.split("\t");
          own.computeIfAbsent(f[0], k -> new HashMap<>())
              .computeIfAbsent(f[1], k -> new ArrayList<>())
              .add(new Scored(f[3], Double.parseDouble(f[4])));
        }
      }
      for (var system : own.entrySet()) {
        if (out.putIfAbsent(system.getKey(), system.getValue()) != null) {
          System.out.printf("%s: taken from the first file that holds it%n", system.getKey());
        }
      }
    }
    return out;
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println(
        "usage: FusionCeiling --data DIR [--split S] [--min-grade G] [--holdout-percent P]"
            + " --base NAME --system NAME=w1,w2,... [--system ...] [--at-last NAME] RUN.tsv...");
    System.exit(2);
  }
}
