package dev.prosper.encoder.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.prosper.encoder.tokenizer.TokenBatch;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Inference with the pretrained all-MiniLM-L6-v2 backbone and a fresh PROSPER head. */
class ProsperModelTest {

  private static ProsperModel model;

  @BeforeAll
  static void load() throws Exception {
    model = Backbones.load("minilm-l6", HeadConfig.DEFAULT, Device.cpu(), 3);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void literalIndicatorMarksTheInputsVocabularyIdsButNotSpecialTokens() {
    TokenBatch batch = model.tokenize(List.of("patio umbrella", "drill"));
    float[] indicator = model.literalIndicator(batch);
    int vocab = model.config().vocabSize();
    Set<Integer> expected0 = Set.of(idOf("patio"), idOf("umbrella"));
    for (int id = 0; id < vocab; id++) {
      assertEquals(expected0.contains(id) ? 1f : 0f, indicator[id], "id " + id);
      assertEquals(id == idOf("drill") ? 1f : 0f, indicator[vocab + id], "row 1 id " + id);
    }
  }

  private static int idOf(String term) {
    for (int id = 0; id < model.tokenizer().vocabularySize(); id++) {
      if (model.tokenizer().hasToken(id) && model.tokenizer().token(id).equals(term)) {
        return id;
      }
    }
    throw new AssertionError(term + " not in vocabulary");
  }

  @Test
  void encodesTermsWithLiteralFlagsWithinTheWindowAndWithoutSpecialTokens() {
    List<EncodedText> encoded =
        model.encode(List.of("9 ft. patio umbrella", "cordless drill"), Mode.QUERY);
    assertEquals(2, encoded.size());
    for (EncodedText text : encoded) {
      assertTrue(text.size() > 0 && text.size() <= 256, "size " + text.size());
      float previous = Float.MAX_VALUE;
      for (EncodedText.Term term : text.terms()) {
        assertTrue(term.weight() > 0 && term.weight() <= previous);
        previous = term.weight();
        assertFalse(Set.of("[CLS]", "[SEP]", "[PAD]").contains(term.term()), term.term());
      }
    }
    Set<String> input = Set.of("9", "ft", ".", "patio", "umbrella");
    for (EncodedText.Term term : encoded.get(0).terms()) {
      assertEquals(input.contains(term.term()), term.literal(), term.term());
    }
    // Residual LRN lifts every literal term but the one whose w' is the maximum (it gets 0).
    long literals = encoded.get(0).terms().stream().filter(EncodedText.Term::literal).count();
    assertTrue(literals >= 4, "literal terms kept: " + literals);
    assertTrue(model.encode(List.of("cordless drill"), Mode.DOCUMENT, 3).get(0).size() <= 3);
  }

  @Test
  void aTextEncodesToTheSameWeightsAloneOrInABatch() {
    String text = "stainless steel 18 in. gas grill with side burner";
    model.setBatchSize(4);
    try {
      EncodedText alone = model.encode(List.of(text), Mode.DOCUMENT).get(0);
      List<EncodedText> batch =
          model.encode(
              List.of(
                  "a",
                  text,
                  "a much longer product title that forces padding of the other texts in the batch"
                      + " white 2-pack LED bulbs 60 watt equivalent dimmable",
                  "x"),
              Mode.DOCUMENT);
      Map<String, Float> expected = alone.weights();
      Map<String, Float> actual = batch.get(1).weights();
      assertEquals(expected.keySet(), actual.keySet());
      expected.forEach(
          (term, weight) ->
              assertEquals(weight, actual.get(term), 1e-5 * Math.max(1, weight), term));
    } finally {
      model.setBatchSize(ProsperModel.DEFAULT_BATCH_SIZE);
    }
  }

  @Test
  void longTextsAreTruncatedNotRejected() {
    String title = "umbrella ".repeat(1200);
    assertTrue(title.length() > 10_000);
    TokenBatch batch = model.tokenize(List.of(title));
    assertEquals(64, batch.ids()[0].length);
    assertTrue(model.encode(List.of(title), Mode.DOCUMENT).get(0).size() > 0);
    assertTrue(model.encode(List.of(""), Mode.QUERY).get(0).size() >= 0);
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> model.encode(List.of("a"), Mode.QUERY, 0));
    assertThrows(IllegalArgumentException.class, () -> model.setBatchSize(0));
    IllegalArgumentException mode =
        assertThrows(IllegalArgumentException.class, () -> Mode.of("passage"));
    assertTrue(mode.getMessage().contains("[mode]"), mode.getMessage());
  }

  @Test
  void denseEmbeddingsAreUnitVectorsAndRankTheParaphraseFirst() {
    float[][] e =
        model.denseEmbeddings(
            List.of("outdoor patio umbrella", "umbrella for the garden terrace", "cordless drill"));
    double norm = 0;
    for (float value : e[0]) {
      norm += value * value;
    }
    assertEquals(1.0, norm, 1e-4);
    assertTrue(dot(e[0], e[1]) > dot(e[0], e[2]));
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }
}
