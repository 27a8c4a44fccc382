package dev.prosper.encoder.tokenizer;

/**
 * Token ids of a batch of texts, padded to the longest: {@code ids[text][position]}, and the
 * attention mask, 1 for real tokens and 0 for padding. Padding always follows the real tokens.
 */
public record TokenBatch(long[][] ids, long[][] attentionMask) {

  /** Number of texts. */
  public int size() {
    return ids.length;
  }

  /** Number of real (non-padding) tokens of a text. */
  public int length(int text) {
    int length = 0;
    for (long bit : attentionMask[text]) {
      length += (int) bit;
    }
    return length;
  }
}
