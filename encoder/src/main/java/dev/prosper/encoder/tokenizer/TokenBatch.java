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

  /** The ids, row after row ({@code size × padded length}). */
  public long[] flatIds() {
    return flatten(ids);
  }

  /** The attention mask, row after row ({@code size × padded length}). */
  public long[] flatAttentionMask() {
    return flatten(attentionMask);
  }

  /** The padded length every row has (0 for no texts). */
  public int paddedLength() {
    return ids.length == 0 ? 0 : ids[0].length;
  }

  private long[] flatten(long[][] rows) {
    int length = paddedLength();
    long[] flat = new long[rows.length * length];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, flat, r * length, length);
    }
    return flat;
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
