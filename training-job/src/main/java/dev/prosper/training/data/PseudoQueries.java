package dev.prosper.training.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Synthetic training queries made from a product's own title, for catalogues with few logged
 * queries: the kinds of query shoppers type for a product — brand + product type, attribute + type,
 * the model number, the title with words dropped, and a misspelling. Lower-cased, as typed; the
 * same products, count and seed give the same queries.
 *
 * <p>The product type is the trailing run (up to two words) of purely alphabetic words of the
 * title's main part (before the first comma, " in ", " with ", " for ", " by " or parenthesis); the
 * brand is the word after " by " or else the title's first word; a model number is a word with both
 * letters and digits of at least four characters.
 */
public final class PseudoQueries {

  /** One synthetic query and the product it was made from. */
  public record Query(String text, String productId, String kind) {}

  private static final Pattern MAIN_END =
      Pattern.compile("(,| in | with | for | by | \\(| - )", Pattern.CASE_INSENSITIVE);
  private static final Pattern ALPHA = Pattern.compile("\\p{L}+");
  private static final Pattern MODEL_NUMBER =
      Pattern.compile("(?=.*\\p{L})(?=.*\\d)[\\p{L}\\d][\\p{L}\\d./-]{3,}");

  /** The misspelled kind: a letter dropped or two swapped, in a word of 4+ letters. */
  private static final List<Typos.Edit> PSEUDO_QUERY_TYPOS =
      List.of(Typos.Edit.DROP, Typos.Edit.SWAP);

  private PseudoQueries() {}

  /**
   * Up to {@code count} queries, each from a different product drawn at random (seeded); a product
   * whose title gives no query of the drawn kind gives another kind or none.
   */
  public static List<Query> generate(Map<String, String> products, int count, long seed) {
    Random random = new Random(seed);
    List<String> ids = new ArrayList<>(products.keySet());
    java.util.Collections.shuffle(ids, random);
    List<Query> out = new ArrayList<>();
    for (String id : ids) {
      if (out.size() >= count) {
        break;
      }
      Query query = forTitle(id, products.get(id), random);
      if (query != null) {
        out.add(query);
      }
    }
    return out;
  }

  /** One query for a title, of a kind drawn at random among those the title allows. */
  static Query forTitle(String id, String title, Random random) {
    List<String> words = words(title);
    if (words.size() < 2) {
      return null;
    }
    String main = MAIN_END.split(title, 2)[0];
    List<String> mainWords = words(main);
    List<String> type = typeOf(mainWords);
    String brand = brandOf(title, words);
    List<String> modelNumbers = new ArrayList<>();
    for (String w : words) {
      String stripped = strip(w);
      if (MODEL_NUMBER.matcher(stripped).matches()) {
        modelNumbers.add(stripped);
      }
    }
    Map<String, String> candidates = new LinkedHashMap<>();
    String typeText = String.join(" ", type);
    if (!type.isEmpty() && brand != null && !type.contains(brand)) {
      candidates.put("brand-type", brand + " " + typeText);
    }
    List<String> attributes = new ArrayList<>();
    for (String w : mainWords) {
      String s = strip(w);
      if (!s.isEmpty() && !type.contains(w) && !s.equals(brand) && !modelNumbers.contains(s)) {
        attributes.add(s);
      }
    }
    if (!type.isEmpty() && !attributes.isEmpty()) {
      candidates.put(
          "attribute-type", attributes.get(random.nextInt(attributes.size())) + " " + typeText);
    }
    if (!modelNumbers.isEmpty()) {
      candidates.put("model-number", modelNumbers.get(random.nextInt(modelNumbers.size())));
    }
    if (words.size() >= 4) {
      List<String> kept = new ArrayList<>();
      for (String w : words) {
        if (random.nextDouble() < 0.5) {
          kept.add(strip(w));
        }
      }
      kept.removeIf(String::isEmpty);
      if (kept.size() >= 2) {
        candidates.put(
            "dropped-words", String.join(" ", kept.subList(0, Math.min(5, kept.size()))));
      }
    }
    String base = candidates.getOrDefault("brand-type", typeText);
    if (!base.isBlank()) {
      String misspelled = Typos.misspell(base, random, 4, PSEUDO_QUERY_TYPOS);
      if (misspelled != null) {
        candidates.put("misspelled", misspelled);
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    List<String> kinds = new ArrayList<>(candidates.keySet());
    String kind = kinds.get(random.nextInt(kinds.size()));
    return new Query(candidates.get(kind), id, kind);
  }

  private static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    for (String w : text.toLowerCase(Locale.ROOT).trim().split("[\\s,]+")) {
      if (!w.isEmpty()) {
        words.add(w);
      }
    }
    return words;
  }

  private static String strip(String word) {
    return word.replaceAll("^[^\\p{L}\\d]+|[^\\p{L}\\d.]+$", "").replaceAll("\\.$", "");
  }

  private static List<String> typeOf(List<String> mainWords) {
    List<String> type = new ArrayList<>();
    for (int i = mainWords.size() - 1; i >= 0 && type.size() < 2; i--) {
      if (!ALPHA.matcher(mainWords.get(i)).matches()) {
        break;
      }
      type.add(0, mainWords.get(i));
    }
    return type;
  }

  private static String brandOf(String title, List<String> words) {
    String lower = title.toLowerCase(Locale.ROOT);
    int by = lower.indexOf(" by ");
    if (by >= 0) {
      List<String> after = words(lower.substring(by + 4));
      if (!after.isEmpty() && ALPHA.matcher(strip(after.get(0))).matches()) {
        return strip(after.get(0));
      }
    }
    String first = strip(words.get(0));
    return ALPHA.matcher(first).matches() ? first : null;
  }
}
