package dev.prosper.ingest;

/**
 * The one rule for "there is nothing to encode", shared by the processor, {@code _encode} and
 * {@code query_text}: a text is blank when every character is whitespace, a space or separator (the
 * no-break spaces included), a control character or an invisible format character (the zero-width
 * space, joiners, the byte-order mark). Such a text tokenizes to nothing a shopper typed, and its
 * encoding would be the model's bias alone.
 */
public final class Texts {

  private Texts() {}

  /** Whether {@code text} has no visible character ({@code null} counts as blank). */
  public static boolean isBlank(CharSequence text) {
    if (text == null) {
      return true;
    }
    return text.codePoints().allMatch(Texts::invisible);
  }

  /**
   * The one length rule ({@code prosper.max_text_chars}), for the processor, {@code _encode} and
   * {@code query_text}.
   *
   * @param name how the request calls the text ({@code [texts][3]}, {@code [prosper] field
   *     [title]})
   * @throws IllegalArgumentException naming the text when it has more than {@code max} characters
   */
  public static void checkLength(String name, String text, int max) {
    if (text.length() > max) {
      throw new IllegalArgumentException(
          name
              + " has "
              + text.length()
              + " characters; at most "
              + max
              + " are encoded (prosper.max_text_chars)");
    }
  }

  private static boolean invisible(int codePoint) {
    if (Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint)) {
      return true;
    }
    int type = Character.getType(codePoint);
    return type == Character.CONTROL || type == Character.FORMAT;
  }
}
