package dev.prosper.training.workbench;

import dev.prosper.training.bench.NodeClient;
import dev.prosper.training.bench.NodeOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code training-job.jar workbench}: PROSPER, BM25 and hybrid side by side in a web page. */
@Command(
    name = "workbench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    showDefaultValues = true,
    description = {
      "Serves a relevance workbench on a local port: a search box and three result columns"
          + " (PROSPER query_text, BM25 match, and the hybrid bool of both), the query's weighted"
          + " terms with the literal ones marked, each hit's per-term contributions (from"
          + " _explain), and, with --judgements and --queries, every hit's grade and each column's"
          + " MRR@10 and nDCG@10. The page talks to the cluster through this server; it needs no"
          + " internet. Runs until stopped (Ctrl-C)."
    })
public final class WorkbenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin NodeOptions node;

  @Option(names = "--index", description = "Index of the products.")
  String index = "products";

  @Option(names = "--text-field", description = "The title text field (BM25 searches it).")
  String textField = "title";

  @Option(names = "--sparse-field", description = "The rank_features field PROSPER searches.")
  String sparseField = "title_sparse";

  @Option(
      names = "--hybrid-weight",
      description = "Boost of the prosper_sparse clause in the hybrid bool (BM25 + w × PROSPER).")
  double hybridWeight = 1.0;

  @Option(names = "--size", description = "Hits per column.")
  int size = 20;

  @Option(
      names = "--judgements",
      description = "Graded judgements: query id, product id, grade (TSV).")
  Path judgements;

  @Option(names = "--queries", description = "The judged queries: query id, text (TSV).")
  Path queries;

  @Option(names = "--min-grade", description = "Judgements at or above this grade are positives.")
  double minGrade = 1.0;

  @Option(names = "--host", description = "Address to listen on (127.0.0.1: this machine only).")
  String host = "127.0.0.1";

  @Option(names = "--port", description = "Port to listen on (0: any free port).")
  int port = 8080;

  @Override
  public Integer call() throws Exception {
    if ((judgements == null) != (queries == null)) {
      throw new ParameterException(
          spec.commandLine(), "--judgements and --queries go together: give both or neither");
    }
    if (size < 1 || size > 100) {
      throw new ParameterException(spec.commandLine(), "--size must be 1 to 100, got " + size);
    }
    if (!(hybridWeight > 0) || Double.isInfinite(hybridWeight)) {
      throw new ParameterException(
          spec.commandLine(), "--hybrid-weight must be a positive number, got " + hybridWeight);
    }
    if (port < 0 || port > 65535) {
      throw new ParameterException(spec.commandLine(), "--port must be 0 to 65535, got " + port);
    }
    Judgements judged =
        judgements == null ? null : Judgements.read(queries, judgements, minGrade, 42);
    Workbench workbench =
        new Workbench(
            new NodeClient(node.url),
            new Workbench.Target(index, node.modelId, textField, sparseField, size, hybridWeight),
            judged);
    CountDownLatch stopped = new CountDownLatch(1);
    WorkbenchServer listening;
    try {
      listening = new WorkbenchServer(workbench, host, port);
    } catch (java.net.BindException e) {
      throw new java.io.IOException(
          "cannot listen on "
              + host
              + ":"
              + port
              + " ("
              + e.getMessage()
              + "): choose another --port",
          e);
    }
    try (WorkbenchServer server = listening) {
      server.start();
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      System.out.println(
          "workbench: http://"
              + host
              + ":"
              + server.port()
              + "/ (cluster "
              + node.url
              + ", index "
              + index
              + ", model "
              + node.modelId
              + (judged == null ? "" : ", " + judged.judgedQueries() + " judged queries")
              + ")");
      System.out.flush();
      stopped.await();
    }
    return 0;
  }
}
