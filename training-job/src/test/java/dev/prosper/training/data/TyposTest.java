package dev.prosper.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosper.training.train.Batches;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Typing mistakes for typo-aware training: each kind, where they fall, and their rate. */
class TyposTest {

  private static final List<String> QUERIES =
      List.of(
          "interior door locks",
          "led bulbs",
          "outdoor furniture",
          "3/4 valve",
          "backsplash tile",
          "14x18x1 air filter",
          "ridgid drain snake",
          "sawhorse");

  @Test
  void aSeedGivesFixedMistakes() {
    // Pinned: a change to the draws changes every typo-aware training run.
    Random random = new Random(11);
    List<String> typed = new ArrayList<>();
    for (String q : QUERIES) {
      typed.add(Typos.maybeMisspell(q, 1, random));
    }
    assertEquals(
        List.of(
            "interrior door locks",
            "led bylbs",
            "outddoor furniture",
            "3/4 vlve",
            "backsplash tiile",
            "14x18x1 air filtter",
            "ridgid draiin snake",
            "saawhorse"),
        typed);
  }

  @Test
  void eachKindOfMistakeChangesOneWordAsItSays() {
    for (int seed = 0; seed < 200; seed++) {
      String drop = Typos.misspell("garden hose", new Random(seed), 3, List.of(Typos.Edit.DROP));
      assertTrue(
          Set.of("gaden hose", "grden hose", "garen hose", "gardn hose", "garden hse", "garden hoe")
              .contains(drop),
          drop);
      String swap = Typos.misspell("garden hose", new Random(seed), 3, List.of(Typos.Edit.SWAP));
      assertOneSwap("garden hose", swap);
      String repeat =
          Typos.misspell("garden hose", new Random(seed), 3, List.of(Typos.Edit.REPEAT));
      assertEquals("garden hose".length() + 1, repeat.length(), repeat);
      assertTrue(repeat.matches(".*(.)\\1.*"), "a letter typed twice: " + repeat);
      String merged = Typos.misspell("garden hose", new Random(seed), 3, List.of(Typos.Edit.MERGE));
      assertEquals("gardenhose", merged);
      String key = Typos.misspell("garden hose", new Random(seed), 3, List.of(Typos.Edit.KEYBOARD));
      assertEquals("garden hose".length(), key.length());
      int changed = -1;
      for (int i = 0; i < key.length(); i++) {
        if (key.charAt(i) != "garden hose".charAt(i)) {
          assertEquals(-1, changed, "one letter replaced: " + key);
          changed = i;
        }
      }
      assertTrue(changed > 0, key);
      assertTrue(
          neighbours("garden hose".charAt(changed), key.charAt(changed)),
          key + ": a neighbouring key");
    }
  }

  @Test
  void onlyLettersInsideAlphabeticWordsChange() {
    assertNull(Typos.misspell("3/4 14x18x1 2-pack", new Random(1), 3, Typos.ALL));
    assertNull(Typos.misspell("ab", new Random(1), 3, Typos.ALL), "no word of 3+ letters");
    assertThrows(
        IllegalArgumentException.class, () -> Typos.misspell("hose", new Random(1), 2, Typos.ALL));
    for (int seed = 0; seed < 300; seed++) {
      String t = Typos.misspell("3/4 in. valve", new Random(seed), 3, Typos.ALL);
      if (t == null) {
        continue; // two equal letters swapped
      }
      assertTrue(t.replace(" ", "").startsWith("3/4in.v"), "only letters after the v: " + t);
    }
    // A merge joins an alphabetic word to its neighbour, whatever that is.
    Set<String> merged = new java.util.HashSet<>();
    Random random = new Random(5);
    for (int i = 0; i < 50; i++) {
      merged.add(Typos.misspell("14x18x1 air filter", random, 3, List.of(Typos.Edit.MERGE)));
    }
    assertEquals(Set.of("14x18x1air filter", "14x18x1 airfilter"), merged);
    // A single word has nothing to merge with: another kind is drawn (merging it would throw).
    for (int seed = 0; seed < 50; seed++) {
      String t = Typos.misspell("sawhorse", new Random(seed), 3, Typos.ALL);
      assertTrue(t == null || (t.length() >= 7 && !t.contains(" ")), t);
    }
    assertNull(Typos.misspell("sawhorse", new Random(1), 3, List.of(Typos.Edit.MERGE)));
  }

  @Test
  void theRateIsTheShareOfMisspelledQueries() {
    Random random = new Random(3);
    int changed = 0;
    int n = 4000;
    for (int i = 0; i < n; i++) {
      String q = QUERIES.get(i % QUERIES.size());
      String t = Typos.maybeMisspell(q, 0.3, random);
      if (!t.equals(q)) {
        changed++;
      }
    }
    // Every query has a word to misspell; only a swap of two equal letters changes nothing.
    double share = changed / (double) n;
    assertTrue(share > 0.27 && share < 0.33, "share " + share);
    Random zero = new Random(3);
    for (String q : QUERIES) {
      assertSame(q, Typos.maybeMisspell(q, 0, zero));
    }
  }

  @Test
  void epochBatchesKeepEverythingButTheQueryText() {
    List<List<Batches.Pair>> batches = new ArrayList<>();
    List<Batches.Pair> batch = new ArrayList<>();
    for (int i = 0; i < QUERIES.size(); i++) {
      batch.add(
          new Batches.Pair(
              "q" + i,
              QUERIES.get(i),
              "p" + i,
              "title " + i,
              List.of("n" + i),
              Set.of("title " + i)));
    }
    batches.add(batch);
    assertSame(batches, Batches.withTypos(batches, 0, 42, 0));
    List<List<Batches.Pair>> typed = Batches.withTypos(batches, 1, 42, 0);
    assertEquals(typed, Batches.withTypos(batches, 1, 42, 0), "seeded");
    assertNotEquals(typed, Batches.withTypos(batches, 1, 42, 1), "drawn anew every epoch");
    int misspelled = 0;
    for (int i = 0; i < batch.size(); i++) {
      Batches.Pair before = batch.get(i);
      Batches.Pair after = typed.get(0).get(i);
      assertEquals(before.queryId(), after.queryId());
      assertEquals(before.productId(), after.productId());
      assertEquals(before.title(), after.title());
      assertEquals(before.negatives(), after.negatives());
      assertEquals(before.positiveTitles(), after.positiveTitles());
      misspelled += before.query().equals(after.query()) ? 0 : 1;
    }
    assertTrue(misspelled >= 6, misspelled + " of 8 misspelled at rate 1");
  }

  private static void assertOneSwap(String original, String swapped) {
    int first = -1;
    for (int i = 0; i < original.length(); i++) {
      if (original.charAt(i) != swapped.charAt(i)) {
        first = i;
        break;
      }
    }
    assertTrue(first > 0, swapped);
    assertEquals(original.charAt(first), swapped.charAt(first + 1), swapped);
    assertEquals(original.charAt(first + 1), swapped.charAt(first), swapped);
    assertEquals(original.substring(first + 2), swapped.substring(first + 2), swapped);
  }

  private static boolean neighbours(char a, char b) {
    for (String row : List.of("qwertyuiop", "asdfghjkl", "zxcvbnm")) {
      int i = row.indexOf(a);
      int j = row.indexOf(b);
      if (i >= 0 && j >= 0 && Math.abs(i - j) == 1) {
        return true;
      }
    }
    return false;
  }
}
