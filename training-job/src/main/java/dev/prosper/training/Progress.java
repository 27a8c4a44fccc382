package dev.prosper.training;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars of the long steps, also readable when the output goes to a log file. */
public final class Progress {

  /** Line width unless {@code COLUMNS} says otherwise (a log file has no width to ask for). */
  private static final int DEFAULT_WIDTH = 110;

  private Progress() {}

  public static ProgressBar bar(String task, long max, PrintStream out) {
    int width = DEFAULT_WIDTH;
    try {
      width = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "")) - 1;
    } catch (NumberFormatException e) {
      // no COLUMNS: keep the default width
    }
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new ConsoleProgressBarConsumer(out, width))
        .setUpdateIntervalMillis(1000)
        .showSpeed()
        .build();
  }
}
