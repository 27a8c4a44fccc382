package dev.prosper.encoder.artefact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.model.Backbones;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.testing.TinyCheckpoints;
import dev.prosper.encoder.weights.FloatTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing, reading and validating artefacts, on a small BERT checkpoint written by the test. */
class ArtefactTest {

  private static final int VOCAB = 200;
  private static final List<String> ODD_TERMS =
      List.of("ft.", "a b", "x#y", "café", "日", "🙂", "ä");
  private static final List<String> TEXTS =
      List.of("9 ft. patio umbrella", "Café 日本 🙂", "cordless drill 18v lithium-ion", "");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path temp;
  private Path artefact;

  @BeforeEach
  void writeArtefact() throws IOException {
    Path checkpoint = TinyCheckpoints.writeBert(temp.resolve("checkpoint"), VOCAB, 21);
    artefact = temp.resolve("artefact");
    try (ProsperModel model =
        Backbones.load(checkpoint.toString(), HeadConfig.DEFAULT, Device.cpu(), 5)) {
      boostOddTerms(model);
      ObjectNode training = JSON.createObjectNode().put("steps", 3);
      Artefact.write(model, artefact, training);
    }
  }

  /** A large MLM bias on terms with dots, spaces, '#' and non-ASCII makes every text emit them. */
  private static void boostOddTerms(ProsperModel model) {
    float[] bias = new float[VOCAB];
    List<String> vocabulary = TinyCheckpoints.vocabulary(VOCAB);
    for (String term : ODD_TERMS) {
      bias[vocabulary.indexOf(term)] = 50f;
    }
    model.parameters().put("cls.predictions.bias", new FloatTensor(new long[] {VOCAB}, bias));
  }

  @Test
  void saveLoadEncodeIsBitIdenticalAndOddTermKeysRoundTrip() throws IOException {
    Path checkpoint = temp.resolve("checkpoint");
    List<SparseVector> before;
    try (ProsperModel model =
        Backbones.load(checkpoint.toString(), HeadConfig.DEFAULT, Device.cpu(), 5)) {
      boostOddTerms(model);
      before = model.encode(TEXTS, Mode.DOCUMENT);
    }
    Path zip = temp.resolve("model.zip");
    Artefact.zip(artefact, zip);
    for (Path path : List.of(artefact, zip)) {
      try (ProsperModel loaded = Artefact.load(path, Device.cpu())) {
        List<SparseVector> after = loaded.encode(TEXTS, Mode.DOCUMENT);
        assertEquals(before, after, "bit-identical after " + path.getFileName());
        for (String term : ODD_TERMS) {
          assertTrue(after.get(0).weights().containsKey(term), term);
        }
      }
    }
    Artefact.Manifest manifest = Artefact.inspect(zip);
    assertEquals(VOCAB, manifest.vocabularySize());
    assertEquals("bert", manifest.backbone().architecture());
    assertEquals(HeadConfig.DEFAULT, manifest.head());
    assertEquals(3, manifest.training().get("steps").asInt());
  }

  private void assertInvalid(String expected) {
    ArtefactException e = assertThrows(ArtefactException.class, () -> Artefact.inspect(artefact));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().contains(artefact.toString()), e.getMessage());
    assertThrows(ArtefactException.class, () -> Artefact.load(artefact, Device.cpu()).close());
  }

  private void editManifest(Consumer<ObjectNode> edit) throws IOException {
    Path file = artefact.resolve(Artefact.MANIFEST);
    ObjectNode manifest = (ObjectNode) JSON.readTree(file.toFile());
    edit.accept(manifest);
    JSON.writeValue(file.toFile(), manifest);
  }

  @Test
  void missingFile() throws IOException {
    Files.delete(artefact.resolve(Artefact.TOKENIZER));
    assertInvalid("missing file tokenizer.json");
  }

  @Test
  void notFound() {
    artefact = temp.resolve("nowhere");
    assertInvalid("not found");
  }

  @Test
  void unsupportedFormatVersion() throws IOException {
    editManifest(m -> m.put("format_version", 2));
    assertInvalid("unsupported format_version [2]");
  }

  @Test
  void artefactsWithoutTermRulesServeEveryTermAndTheirWholeWindow() throws IOException {
    editManifest(
        m -> {
          ((ObjectNode) m.get("head")).remove("terms");
          ((ObjectNode) m.get("head")).remove("document_top_k");
        });
    Artefact.Manifest manifest = Artefact.inspect(artefact);
    assertEquals(HeadConfig.Terms.ALL, manifest.head().terms());
    assertEquals(512, manifest.head().documentTopK());
    assertEquals(512, manifest.head().servedTopK(Mode.DOCUMENT));
    assertEquals(16, manifest.head().servedTopK(Mode.QUERY));
    assertEquals(0f, manifest.head().documentMinWeight(), "no weight threshold");
  }

  @Test
  void documentsKeepTheTermsThatReachTheArtefactsWeightThreshold() throws IOException {
    float threshold;
    SparseVector whole;
    try (ProsperModel loaded = Artefact.load(artefact, Device.cpu())) {
      whole = loaded.encode(TEXTS.subList(0, 1), Mode.DOCUMENT, 512).get(0);
      threshold = whole.terms().get(whole.size() / 4).weight();
    }
    editManifest(m -> ((ObjectNode) m.get("head")).put("document_min_weight", threshold));
    try (ProsperModel loaded = Artefact.load(artefact, Device.cpu())) {
      SparseVector kept = loaded.encode(TEXTS.subList(0, 1), Mode.DOCUMENT).get(0);
      long expected = whole.terms().stream().filter(t -> t.weight() >= threshold).count();
      assertEquals(expected, kept.size());
      assertTrue(kept.size() < whole.size() / 2, kept.size() + " of " + whole.size());
      assertEquals(whole.topK(kept.size()).weights(), kept.weights());
      // Queries are never cut by the document threshold.
      assertEquals(
          loaded.encode(TEXTS.subList(0, 1), Mode.QUERY, 64).get(0).size(),
          loaded
              .withHead(loaded.head().withDocumentMinWeight(0f))
              .encode(TEXTS.subList(0, 1), Mode.QUERY, 64)
              .get(0)
              .size());
      // A threshold above every weight still leaves a document its largest term.
      SparseVector one =
          loaded
              .withHead(loaded.head().withDocumentMinWeight(1e9f))
              .encode(TEXTS.subList(0, 1), Mode.DOCUMENT)
              .get(0);
      assertEquals(whole.topK(1).weights(), one.weights());
    }
    editManifest(m -> ((ObjectNode) m.get("head")).put("document_min_weight", -1));
    assertInvalid("[document_min_weight] must be a finite number >= 0, got -1.0");
  }

  @Test
  void alphanumericTermsNeverCarryPunctuationOrSymbols() throws IOException {
    editManifest(
        m -> {
          ((ObjectNode) m.get("head")).put("terms", "alphanumeric");
          ((ObjectNode) m.get("head")).put("document_top_k", 3);
        });
    try (ProsperModel loaded = Artefact.load(artefact, Device.cpu())) {
      assertEquals(3, loaded.head().servedTopK(Mode.DOCUMENT));
      SparseVector text = loaded.encode(TEXTS.subList(0, 2), Mode.DOCUMENT, 10_000).get(1);
      assertTrue(text.weights().containsKey("café"));
      assertTrue(text.weights().containsKey("ft."), "a term with letters and a dot stays");
      assertFalse(text.weights().containsKey("🙂"), "no letter or digit: never a term");
      for (SparseVector.Term term : text.terms()) {
        assertTrue(HeadConfig.Terms.ALPHANUMERIC.admits(term.term()), term.term());
      }
    }
    assertFalse(HeadConfig.Terms.ALPHANUMERIC.admits("."));
    assertFalse(HeadConfig.Terms.ALPHANUMERIC.admits("##-"));
    assertFalse(HeadConfig.Terms.ALPHANUMERIC.admits("\u0120."));
    assertTrue(HeadConfig.Terms.ALPHANUMERIC.admits("##9"));
    assertTrue(HeadConfig.Terms.ALL.admits("."));
  }

  @Test
  void badTermRule() throws IOException {
    editManifest(m -> ((ObjectNode) m.get("head")).put("terms", "letters"));
    assertInvalid("[head.terms] must be one of all, alphanumeric, got [letters]");
  }

  @Test
  void hundredMillionLayersAreRefusedBeforeAnythingIsSizedByThem() throws IOException {
    editManifest(
        m -> ((ObjectNode) m.get("backbone").get("config")).put("num_hidden_layers", 100_000_000));
    assertInvalid("[num_hidden_layers] must be at most 256");
  }

  @Test
  void maxLengthBeyondThePositionEmbeddings() throws IOException {
    int positions =
        JSON.readTree(artefact.resolve(Artefact.MANIFEST).toFile())
            .path("backbone")
            .path("config")
            .path("max_position_embeddings")
            .asInt();
    editManifest(m -> ((ObjectNode) m.get("head")).put("max_length", positions + 1));
    assertInvalid("[head.max_length] " + (positions + 1) + " exceeds the backbone's");
  }

  @Test
  void unknownArchitecture() throws IOException {
    editManifest(m -> ((ObjectNode) m.get("backbone")).put("architecture", "gpt9"));
    assertInvalid("unknown backbone architecture [gpt9]");
  }

  @Test
  void shapeMismatch() throws IOException {
    editManifest(m -> ((ObjectNode) m.get("backbone").get("config")).put("intermediate_size", 65));
    assertInvalid("shape mismatch for [encoder.layer.0.intermediate.dense.weight]");
  }

  @Test
  void invalidHeadConfig() throws IOException {
    editManifest(m -> ((ObjectNode) m.get("head")).put("pooling", "mean"));
    assertInvalid("[head.pooling] must be one of last, max, got [mean]");
  }

  @Test
  void tokenizerChecksumMismatch() throws IOException {
    Files.writeString(
        artefact.resolve(Artefact.TOKENIZER),
        " ",
        StandardCharsets.UTF_8,
        StandardOpenOption.APPEND);
    assertInvalid("tokenizer checksum mismatch");
  }

  @Test
  void corruptedWeights() throws IOException {
    Path weights = artefact.resolve(Artefact.WEIGHTS);
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 3] ^= 0x55;
    Files.write(weights, bytes);
    assertInvalid("weights checksum mismatch");
  }

  @Test
  void manifestIsNotJson() throws IOException {
    Files.writeString(artefact.resolve(Artefact.MANIFEST), "{ not json");
    assertInvalid("prosper.json is not valid JSON");
  }

  @Test
  void zipWithoutTheFiles() throws IOException {
    Path zip = temp.resolve("empty.zip");
    try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
      out.putNextEntry(new java.util.zip.ZipEntry("../../evil/prosper.json"));
      out.write("{}".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    artefact = zip;
    ArtefactException e = assertThrows(ArtefactException.class, () -> Artefact.inspect(zip));
    assertTrue(e.getMessage().contains("missing file prosper.json"), e.getMessage());
    assertTrue(Files.notExists(temp.getParent().resolve("evil")));
  }

  @Test
  void zipThatExpandsBeyondTheCapIsRefusedAndLeavesNothingBehind() throws IOException {
    Path zip = temp.resolve("model.zip");
    Artefact.zip(artefact, zip);
    long size = 0;
    for (String name : List.of(Artefact.MANIFEST, Artefact.WEIGHTS, Artefact.TOKENIZER)) {
      size += Files.size(artefact.resolve(name));
    }
    long cap = size - 1;
    ArtefactException e = assertThrows(ArtefactException.class, () -> Artefact.unzip(zip, cap));
    assertTrue(e.getMessage().contains("expands to more than " + cap + " bytes"), e.getMessage());
    Path whole = Artefact.unzip(zip, size);
    try {
      assertEquals(
          Files.size(artefact.resolve(Artefact.WEIGHTS)),
          Files.size(whole.resolve(Artefact.WEIGHTS)));
    } finally {
      Artefact.deleteTree(whole);
    }
  }

  @Test
  void manifestChecksumIsTheFileAndWeightBytesCountEveryWeight() throws IOException {
    Artefact.Manifest manifest = Artefact.inspect(artefact);
    assertEquals(Artefact.sha256(artefact.resolve(Artefact.MANIFEST)), manifest.manifestSha256());
    editManifest(m -> m.put("note", "another copy"));
    assertNotEquals(manifest.manifestSha256(), Artefact.inspect(artefact).manifestSha256());
    long weights = 0;
    try (var file =
        dev.prosper.encoder.weights.SafetensorsFile.open(artefact.resolve(Artefact.WEIGHTS))) {
      for (var info : file.tensors().values()) {
        weights += info.elementCount() * Float.BYTES;
      }
    }
    assertEquals(weights, manifest.weightBytes());
  }
}
