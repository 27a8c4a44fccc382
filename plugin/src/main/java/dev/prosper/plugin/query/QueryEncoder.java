package dev.prosper.plugin.query;

import dev.prosper.encoder.SparseVector;
import org.opensearch.core.action.ActionListener;

/** Encodes query text for {@code prosper_sparse}; the plugin installs the node's model runtime. */
public interface QueryEncoder {

  /**
   * The served query vector of {@code text}: windowed, pruned and normalised by the model's head.
   *
   * @param topK terms to keep, or {@code null} for the artefact's {@code query_top_k} (capped by
   *     the clause limit)
   */
  void encodeQuery(
      String modelId, String text, Integer topK, ActionListener<SparseVector> listener);
}
