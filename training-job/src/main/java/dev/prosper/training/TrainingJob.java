package dev.prosper.training;

import dev.prosper.training.bench.EncoderBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code java -jar training-job.jar}. Subcommands (train, evaluate, encode) are
 * registered here as they are built; today the jar only reports its version and usage.
 */
@Command(
    name = "training-job.jar",
    mixinStandardHelpOptions = true,
    versionProvider = TrainingJob.Version.class,
    subcommands = {
      TrainCommand.class,
      EvaluateCommand.class,
      EncodeCommand.class,
      TeacherCommand.class,
      SampleDataCommand.class,
      EncoderBenchmark.class,
      dev.prosper.training.bench.NodeBenchmark.class,
      dev.prosper.training.bench.LoadProductsCommand.class,
      dev.prosper.training.bench.SearchCommand.class,
      dev.prosper.training.bench.SearchLatencyCommand.class,
      dev.prosper.training.workbench.WorkbenchCommand.class
    },
    description = {"Trains, evaluates and inspects PROSPER learned-sparse retrieval models."})
public final class TrainingJob implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line with its error handling: bad input (an invalid option value, a malformed or
   * missing file, an invalid artefact) prints one line, {@code error: ...}, and exits with 1.
   */
  static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new TrainingJob());
    commandLine.setExecutionExceptionHandler(
        (exception, line, parseResult) -> {
          if (exception instanceof IllegalArgumentException
              || exception instanceof java.io.IOException
              || exception instanceof java.io.UncheckedIOException) {
            line.getErr().println("error: " + message(exception));
            return 1;
          }
          throw exception;
        });
    return commandLine;
  }

  private static String message(Exception exception) {
    if (exception instanceof java.nio.file.NoSuchFileException missing) {
      return missing.getFile()
          + ": "
          + (missing.getReason() == null ? "no such file" : missing.getReason());
    }
    return exception.getMessage();
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = TrainingJob.class.getPackage().getImplementationVersion();
      return new String[] {
        "PROSPER training job " + (version == null ? "(development build)" : version)
      };
    }
  }
}
