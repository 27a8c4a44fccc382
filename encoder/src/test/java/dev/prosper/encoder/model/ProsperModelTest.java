package dev.prosper.encoder.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.Mode;
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
    List<SparseVector> encoded =
        model.encode(List.of("9 ft. patio umbrella", "cordless drill"), Mode.QUERY);
    assertEquals(2, encoded.size());
    for (SparseVector text : encoded) {
      assertTrue(text.size() > 0 && text.size() <= 256, "size " + text.size());
      float previous = Float.MAX_VALUE;
      for (SparseVector.Term term : text.terms()) {
        assertTrue(term.weight() > 0 && term.weight() <= previous);
        previous = term.weight();
        assertFalse(Set.of("[CLS]", "[SEP]", "[PAD]").contains(term.term()), term.term());
      }
    }
    Set<String> input = Set.of("9", "ft", ".", "patio", "umbrella");
    for (SparseVector.Term term : encoded.get(0).terms()) {
      assertEquals(input.contains(term.term()), term.literal(), term.term());
    }
    // Residual LRN lifts every literal term but the one whose w' is the maximum (it gets 0).
    long literals = encoded.get(0).terms().stream().filter(SparseVector.Term::literal).count();
    assertTrue(literals >= 4, "literal terms kept: " + literals);
    assertTrue(model.encode(List.of("cordless drill"), Mode.DOCUMENT, 3).get(0).size() <= 3);
  }

  @Test
  void encodeServesEachNormalisationItsOwnWay() {
    HeadConfig d = HeadConfig.DEFAULT;
    List<String> texts = List.of("9 ft. patio umbrella", "cordless drill 18v");
    Map<Mode, List<SparseVector>> unnormalized = new java.util.EnumMap<>(Mode.class);
    for (Mode mode : Mode.values()) {
      unnormalized.put(mode, model.encodeUnnormalized(texts, mode, 16));
    }
    for (HeadConfig.Normalization normalization : HeadConfig.Normalization.values()) {
      HeadConfig head =
          new HeadConfig(
              d.pooling(),
              d.lrn(),
              d.lfw(),
              d.queryWindow(),
              d.documentWindow(),
              16,
              normalization,
              d.maxLength(),
              d.terms(),
              16,
              0f);
      ProsperModel view = model.withHead(head);
      for (Mode mode : Mode.values()) {
        List<SparseVector> served = view.encode(texts, mode);
        List<SparseVector> raw = unnormalized.get(mode);
        for (int i = 0; i < texts.size(); i++) {
          SparseVector expected =
              switch (normalization) {
                case QUERY_L2 -> mode == Mode.QUERY ? raw.get(i).l2Normalized() : raw.get(i);
                case QUERY_L1 -> mode == Mode.QUERY ? raw.get(i).l1Normalized() : raw.get(i);
                case DOC_L2 -> mode == Mode.DOCUMENT ? raw.get(i).l2Normalized() : raw.get(i);
                case BOTH_L2 -> raw.get(i).l2Normalized();
                case NONE -> raw.get(i);
              };
          String what = normalization.id() + " " + mode.id() + " " + texts.get(i);
          assertEquals(expected.weights().keySet(), served.get(i).weights().keySet(), what);
          Map<String, Float> actual = served.get(i).weights();
          expected
              .weights()
              .forEach((term, weight) -> assertEquals(weight, actual.get(term), 1e-6f, what));
          assertEquals(expected.literalTerms(), served.get(i).literalTerms(), what);
        }
      }
    }
  }

  @Test
  void aTextEncodesToTheSameWeightsAloneOrInABatch() {
    String text = "stainless steel 18 in. gas grill with side burner";
    model.setBatchSize(4);
    try {
      SparseVector alone = model.encode(List.of(text), Mode.DOCUMENT).get(0);
      List<SparseVector> batch =
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
  void float16QueriesKeepTheFloat32TermsAndLeaveDocumentsAlone() {
    // Float16 rounding may swap terms of nearly equal weight at the window's edge only, and a
    // text alone gets exactly the weights it gets in a batch (rows are multiplied one by one).
    assertReducedPrecisionKeepsTerms(Precision.FLOAT16, 0.9, 5e-3, 0.999, true);
  }

  @Test
  void int8QueriesKeepTheFloat32TermsAndLeaveDocumentsAlone() {
    // Both are L2-normalised: one edge term of 16 swapped costs about 0.05 of cosine. The batch
    // is quantized as one tensor, so alone a text keeps its terms but not every last bit.
    assertReducedPrecisionKeepsTerms(Precision.INT8, 0.8, 0.01, 0.9, false);
  }

  /**
   * Query terms under {@code precision} against float32 ones: at least {@code share} of them the
   * same, each within {@code tolerance}, the vectors' cosine above {@code cosine}; documents
   * unchanged; back in float32 afterwards.
   */
  private void assertReducedPrecisionKeepsTerms(
      Precision precision, double share, double tolerance, double cosine, boolean sameAlone) {
    List<String> texts =
        List.of(
            "stainless steel gas grill",
            "18v cordless drill",
            "white 2-pack led bulbs 60w",
            "husky 25 ft. tape measure");
    List<SparseVector> queries = model.encode(texts, Mode.QUERY);
    List<SparseVector> documents = model.encode(texts, Mode.DOCUMENT);
    model.setQueryPrecision(precision);
    try {
      assertEquals(precision, model.queryPrecision());
      List<SparseVector> reduced = model.encode(texts, Mode.QUERY);
      List<SparseVector> reducedDocuments = model.encode(texts, Mode.DOCUMENT);
      for (int i = 0; i < texts.size(); i++) {
        String text = texts.get(i);
        assertEquals(documents.get(i).weights(), reducedDocuments.get(i).weights(), text);
        Map<String, Float> expected = queries.get(i).weights();
        Map<String, Float> actual = reduced.get(i).weights();
        Set<String> shared = new java.util.HashSet<>(expected.keySet());
        shared.retainAll(actual.keySet());
        assertTrue(shared.size() >= share * expected.size(), text + ": " + shared.size());
        double dot = 0;
        for (String term : shared) {
          dot += expected.get(term) * actual.get(term);
          assertEquals(expected.get(term), actual.get(term), tolerance, text + " " + term);
        }
        assertTrue(dot > cosine, text + ": cosine " + dot);
        Map<String, Float> alone = model.encode(List.of(text), Mode.QUERY).get(0).weights();
        if (sameAlone) {
          assertEquals(actual, alone, "alone and in a batch: " + text);
        } else {
          assertEquals(actual.keySet(), alone.keySet(), "alone and in a batch: " + text);
        }
      }
    } finally {
      model.setQueryPrecision(Precision.FLOAT32);
    }
    assertEquals(Precision.FLOAT32, model.queryPrecision());
    assertEquals(queries.get(0).weights(), model.encode(texts, Mode.QUERY).get(0).weights());
  }

  @Test
  void int8WithTheOnnxRuntimeQuantizesTheBackboneAndFollowsPrecisionChanges() {
    List<String> texts = List.of("stainless steel gas grill", "husky 25 ft. tape measure");
    List<SparseVector> queries = model.encode(texts, Mode.QUERY);
    model.setQueryRuntime(QueryRuntime.ONNX, 1);
    try {
      model.setQueryPrecision(Precision.INT8);
      assertEquals(QueryRuntime.ONNX, model.queryRuntime());
      List<SparseVector> quantized = model.encode(texts, Mode.QUERY);
      for (int i = 0; i < texts.size(); i++) {
        String text = texts.get(i);
        Map<String, Float> actual = quantized.get(i).weights();
        // An untrained head's weights are nearly flat below its few largest, so int8 swaps many
        // terms at the edge (held out, a trained model is level: README "Query speed"); its
        // largest terms stay, with their weights.
        for (SparseVector.Term term : queries.get(i).terms().subList(0, 3)) {
          assertTrue(actual.containsKey(term.term()), text + ": " + term + " in " + actual);
          assertEquals(term.weight(), actual.get(term.term()), 0.03, text + " " + term);
        }
        // Each text is quantized on its own: alone it gets exactly its weights in the batch.
        assertEquals(actual, model.encode(List.of(text), Mode.QUERY).get(0).weights(), text);
      }
      // Back to float32: the ONNX backbone is made again with float weights.
      model.setQueryPrecision(Precision.FLOAT32);
      assertEquals(QueryRuntime.ONNX, model.queryRuntime());
      List<SparseVector> exact = model.encode(texts, Mode.QUERY);
      for (int i = 0; i < texts.size(); i++) {
        Map<String, Float> expected = queries.get(i).weights();
        Map<String, Float> actual = exact.get(i).weights();
        assertEquals(expected.keySet(), actual.keySet(), texts.get(i));
        expected.forEach((term, weight) -> assertEquals(weight, actual.get(term), 1e-4, term));
      }
    } finally {
      model.setQueryPrecision(Precision.FLOAT32);
      model.setQueryRuntime(QueryRuntime.PYTORCH, 1);
    }
  }

  @Test
  void onnxQueriesGiveThePyTorchTermsAndLeaveDocumentsAlone() {
    List<String> texts =
        List.of("stainless steel gas grill", "18v cordless drill", "white 2-pack led bulbs 60w");
    List<SparseVector> queries = model.encode(texts, Mode.QUERY);
    List<SparseVector> documents = model.encode(texts, Mode.DOCUMENT);
    assertEquals(QueryRuntime.PYTORCH, model.queryRuntime());
    model.setQueryRuntime(QueryRuntime.ONNX, 1);
    try {
      assertEquals(QueryRuntime.ONNX, model.queryRuntime());
      List<SparseVector> onnx = model.encode(texts, Mode.QUERY);
      List<SparseVector> onnxDocuments = model.encode(texts, Mode.DOCUMENT);
      for (int i = 0; i < texts.size(); i++) {
        assertEquals(documents.get(i).weights(), onnxDocuments.get(i).weights(), texts.get(i));
        String text = texts.get(i);
        Map<String, Float> expected = queries.get(i).weights();
        Map<String, Float> actual = onnx.get(i).weights();
        assertEquals(expected.keySet(), actual.keySet(), text);
        expected.forEach(
            (term, weight) -> assertEquals(weight, actual.get(term), 1e-4, text + " " + term));
        SparseVector alone = model.encode(List.of(texts.get(i)), Mode.QUERY).get(0);
        assertEquals(actual.keySet(), alone.weights().keySet(), "alone: " + texts.get(i));
      }
    } finally {
      model.setQueryRuntime(QueryRuntime.PYTORCH, 1);
    }
    assertEquals(QueryRuntime.PYTORCH, model.queryRuntime());
    assertEquals(queries.get(0).weights(), model.encode(texts, Mode.QUERY).get(0).weights());
  }

  @Test
  void onnxAppliesToBertWithLastPoolingOnly() {
    assertTrue(ProsperModel.onnxApplies(model.config(), HeadConfig.DEFAULT));
    HeadConfig d = HeadConfig.DEFAULT;
    HeadConfig max =
        new HeadConfig(
            HeadConfig.Pooling.MAX,
            d.lrn(),
            d.lfw(),
            d.queryWindow(),
            d.documentWindow(),
            d.queryTopK(),
            d.normalization(),
            d.maxLength(),
            d.terms(),
            d.documentTopK(),
            d.documentMinWeight());
    assertFalse(ProsperModel.onnxApplies(model.config(), max));
    assertEquals(0, ProsperModel.queryRuntimeBytes(QueryRuntime.ONNX, model.config(), max));
    assertEquals(
        0,
        ProsperModel.queryRuntimeBytes(QueryRuntime.PYTORCH, model.config(), HeadConfig.DEFAULT));
    long bytes =
        ProsperModel.queryRuntimeBytes(QueryRuntime.ONNX, model.config(), HeadConfig.DEFAULT);
    // all-MiniLM-L6-v2: about 22.7 million backbone weights.
    assertTrue(bytes > 80_000_000L && bytes < 100_000_000L, "bytes " + bytes);
  }

  @Test
  void servedTermsAreTheLargestWeightsOfTheWholeRepresentation() {
    List<String> texts = List.of("cordless drill 18v", "9 ft. patio umbrella with crank");
    float[] full;
    TokenBatch batch = model.tokenize(texts);
    try (var manager = model.parameters().manager().newSubManager()) {
      full = model.represent(manager, batch).full().toFloatArray();
    }
    int vocab = model.config().vocabSize();
    for (int k : new int[] {1, 7, 64, 512, vocab}) {
      List<SparseVector> served = model.encodeUnnormalized(texts, Mode.DOCUMENT, k);
      for (int r = 0; r < texts.size(); r++) {
        List<SparseVector.Term> all = new java.util.ArrayList<>();
        for (int id = 0; id < vocab; id++) {
          float weight = full[r * vocab + id];
          if (weight > 0 && model.isTerm(id)) {
            all.add(new SparseVector.Term(model.tokenizer().token(id), id, weight, false));
          }
        }
        Map<String, Float> expected = SparseVector.ofTerms(all).topK(k).weights();
        Map<String, Float> actual = served.get(r).weights();
        assertEquals(expected.keySet(), actual.keySet(), "k " + k);
        expected.forEach((term, weight) -> assertEquals(weight, actual.get(term), 1e-5f, term));
      }
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
}
