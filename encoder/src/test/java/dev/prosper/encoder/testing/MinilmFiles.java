package dev.prosper.encoder.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The all-MiniLM-L6-v2 files that the test-scoped langchain4j jar ships (an fp32 ONNX graph and its
 * tokenizer.json), copied out of the classpath so code under test reads real files.
 */
public final class MinilmFiles {

  private MinilmFiles() {}

  public static Path tokenizer(Path directory) throws IOException {
    return copy("/all-minilm-l6-v2-tokenizer.json", directory.resolve("tokenizer.json"));
  }

  public static Path onnx(Path directory) throws IOException {
    return copy("/all-minilm-l6-v2.onnx", directory.resolve("model.onnx"));
  }

  private static Path copy(String resource, Path target) throws IOException {
    try (InputStream in = MinilmFiles.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(resource + " is not on the test classpath (langchain4j jar)");
      }
      Files.copy(in, target);
    }
    return target;
  }
}
