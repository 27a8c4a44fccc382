package dev.prosper.plugin.query;

import dev.prosper.encoder.model.EncodedText;
import org.opensearch.core.action.ActionListener;

/** Encodes query text for {@code prosper_sparse}; the plugin installs the node's model runtime. */
public interface QueryEncoder {

  /**
   * @param topK terms to keep, or {@code null} for the artefact's {@code query_top_k}
   */
  void encodeQuery(String modelId, String text, Integer topK, ActionListener<EncodedText> listener);
}
