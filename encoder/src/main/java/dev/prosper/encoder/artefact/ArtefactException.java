package dev.prosper.encoder.artefact;

import java.io.IOException;
import java.nio.file.Path;

/** An artefact that cannot be used; the message names the artefact and the problem. */
public final class ArtefactException extends IOException {

  public ArtefactException(Path artefact, String problem) {
    super("invalid PROSPER artefact " + artefact + ": " + problem);
  }

  public ArtefactException(Path artefact, String problem, Throwable cause) {
    super("invalid PROSPER artefact " + artefact + ": " + problem, cause);
  }
}
