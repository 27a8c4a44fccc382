package dev.prosper.plugin;

import java.io.IOException;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Artefact copies for the node tests (ProsperPluginIT, ClusterIT): a plain class, so a plain JUnit
 * test can use it without initialising the OpenSearch test framework.
 */
final class ArtefactFiles {

  private ArtefactFiles() {}

  /** Copies the files of {@code from} into {@code to} (created if missing). */
  static void copyDirectory(Path from, Path to, CopyOption... options) throws IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(file.getFileName()), options);
      }
    }
  }

  /** Deletes a directory of files (an artefact copy), if it exists. */
  static void deleteDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
      Files.delete(dir);
    }
  }

  static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
