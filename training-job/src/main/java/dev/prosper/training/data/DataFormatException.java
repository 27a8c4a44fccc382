package dev.prosper.training.data;

import java.io.IOException;
import java.nio.file.Path;

/** Malformed input data; the message names the file, the line (when there is one) and why. */
public final class DataFormatException extends IOException {

  public DataFormatException(Path file, long line, String reason) {
    super(file + (line > 0 ? ":" + line : "") + ": " + reason);
  }
}
