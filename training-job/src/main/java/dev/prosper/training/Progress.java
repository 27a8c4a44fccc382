package dev.prosper.training;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars of the long steps, also readable when the output goes to a log file. */
public final class Progress {

  /** Line width when the output is not a terminal (a log file), where the width is unknown. */
  private static final int LOG_WIDTH = 110;

  private Progress() {}

  public static ProgressBar bar(String task, long max, PrintStream out) {
    int width = System.console() != null ? -1 : LOG_WIDTH;
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
