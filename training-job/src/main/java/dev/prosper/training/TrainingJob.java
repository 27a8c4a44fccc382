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
      SampleDataCommand.class,
      EncoderBenchmark.class
    },
    description = {"Trains, evaluates and inspects PROSPER learned-sparse retrieval models."})
public final class TrainingJob implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new TrainingJob()).execute(args));
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
