package dev.prosper.ingest;

import java.util.List;
import java.util.Map;
import org.opensearch.core.action.ActionListener;

/** What the processor needs from the node's model runtime. */
public interface DocumentEncoder {

  /**
   * Checks that a model is registered.
   *
   * @throws IllegalArgumentException naming the model when it is not
   */
  void checkRegistered(String modelId);

  /** Most characters of one text; a longer field fails its document with 400. */
  int maxTextChars();

  /**
   * Encodes texts in document mode, off the calling thread.
   *
   * @param topK terms kept per text, or {@code null} for the artefact's document window
   * @param listener gets one term → weight map per text, in order (weights finite and > 0)
   */
  void encodeDocuments(
      String modelId,
      List<String> texts,
      Integer topK,
      ActionListener<List<Map<String, Float>>> listener);
}
