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

  /** The given rows, in that order, padded only to the longest of them. */
  public TokenBatch select(int[] rows) {
    int longest = 0;
    for (int row : rows) {
      longest = Math.max(longest, length(row));
    }
    long[][] ids = new long[rows.length][];
    long[][] mask = new long[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      ids[i] = java.util.Arrays.copyOf(this.ids[rows[i]], longest);
      mask[i] = java.util.Arrays.copyOf(attentionMask[rows[i]], longest);
    }
    return new TokenBatch(ids, mask);
  }
}
