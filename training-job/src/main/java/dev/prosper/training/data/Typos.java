package dev.prosper.training.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Typing mistakes of the kinds shoppers make, one per query: a letter dropped ({@code valve} →
 * {@code vlve}), two neighbouring letters swapped ({@code locks} → {@code lcoks}), a letter
 * replaced by a neighbouring key ({@code bulbs} → {@code bulvs}), a letter typed twice ({@code
 * door} → {@code dooor}), and two words run together ({@code outdoor furniture} → {@code
 * outdoorfurniture}).
 *
 * <p>Typo-aware training (Zhuang and Zuccon, "Dealing with Typos for BERT-based Passage Retrieval
 * and Ranking", EMNLP 2021) trains on such variants of the logged queries so that a misspelled
 * query still reaches the products its correct spelling finds: a word-piece model splits a
 * misspelled word into pieces it has never paired with the product's words. Letters change only
 * inside purely alphabetic words and never a word's first letter, so the characters of model
 * numbers and sizes stay as typed; a merge joins an alphabetic word to its neighbour, whatever that
 * is, as shoppers do ({@code 4x8wood paneling} is a logged Home Depot query).
 */
public final class Typos {

  /** One kind of typing mistake. */
  public enum Edit {
    /** A letter left out. */
    DROP,
    /** Two neighbouring letters swapped. */
    SWAP,
    /** A letter replaced by a neighbouring key of a QWERTY keyboard. */
    KEYBOARD,
    /** A letter typed twice. */
    REPEAT,
    /**
     * The space before the word (after it, for the first word) left out, joining it to its
     * neighbour, which may be a size or a model number.
     */
    MERGE
  }

  /** Every kind of mistake, as {@link #maybeMisspell} draws them for logged queries. */
  public static final List<Edit> ALL = List.of(Edit.values());

  private static final Pattern ALPHA = Pattern.compile("\\p{L}+");

  private static final String[] QWERTY = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};

  private Typos() {}

  /**
   * One mistake in one word of {@code text} (words split on single spaces): the word is drawn among
   * the purely alphabetic words of at least {@code minLength} (≥ 3) letters, then a position after
   * its first letter and before its last, then the kind of mistake among {@code edits} (a merge
   * only where there is a second word).
   *
   * @return the changed text, or null when no word qualifies or the mistake changes nothing (two
   *     equal letters swapped, or a neighbouring key asked for a letter off the QWERTY rows, such
   *     as é), so slightly fewer than a share r of queries change at rate r
   */
  public static String misspell(String text, Random random, int minLength, List<Edit> edits) {
    if (minLength < 3) {
      throw new IllegalArgumentException("minLength must be at least 3, got " + minLength);
    }
    List<String> words = new ArrayList<>(List.of(text.split(" ", -1)));
    List<Integer> eligible = new ArrayList<>();
    for (int i = 0; i < words.size(); i++) {
      if (words.get(i).length() >= minLength && ALPHA.matcher(words.get(i)).matches()) {
        eligible.add(i);
      }
    }
    List<Edit> allowed = new ArrayList<>(edits);
    if (words.size() < 2) {
      allowed.remove(Edit.MERGE);
    }
    if (eligible.isEmpty() || allowed.isEmpty()) {
      return null;
    }
    int which = eligible.get(random.nextInt(eligible.size()));
    String w = words.get(which);
    int at = 1 + random.nextInt(w.length() - 2);
    Edit edit = allowed.get(random.nextInt(allowed.size()));
    if (edit == Edit.MERGE) {
      int left = which > 0 ? which - 1 : which;
      words.set(left, words.get(left) + words.get(left + 1));
      words.remove(left + 1);
      return String.join(" ", words);
    }
    String changed =
        switch (edit) {
          case DROP -> w.substring(0, at) + w.substring(at + 1);
          case SWAP -> w.substring(0, at) + w.charAt(at + 1) + w.charAt(at) + w.substring(at + 2);
          case KEYBOARD ->
              w.substring(0, at) + neighbour(w.charAt(at), random) + w.substring(at + 1);
          case REPEAT -> w.substring(0, at + 1) + w.charAt(at) + w.substring(at + 1);
          case MERGE -> throw new AssertionError();
        };
    if (changed.equals(w)) {
      return null;
    }
    words.set(which, changed);
    return String.join(" ", words);
  }

  /**
   * With probability {@code rate}, {@code query} with one mistake of any kind ({@link #ALL}, words
   * of 3+ letters); otherwise, or when it has no word to misspell, the query as it is.
   */
  public static String maybeMisspell(String query, double rate, Random random) {
    if (random.nextDouble() >= rate) {
      return query;
    }
    String changed = misspell(query, random, 3, ALL);
    return changed != null ? changed : query;
  }

  /** A key next to {@code c} on the same row of a QWERTY keyboard ({@code c} if not a letter). */
  private static char neighbour(char c, Random random) {
    char lower = Character.toLowerCase(c);
    for (String row : QWERTY) {
      int i = row.indexOf(lower);
      if (i >= 0) {
        List<Character> keys = new ArrayList<>(2);
        if (i > 0) {
          keys.add(row.charAt(i - 1));
        }
        if (i < row.length() - 1) {
          keys.add(row.charAt(i + 1));
        }
        char key = keys.get(random.nextInt(keys.size()));
        return Character.isUpperCase(c) ? Character.toUpperCase(key) : key;
      }
    }
    return c;
  }
}
