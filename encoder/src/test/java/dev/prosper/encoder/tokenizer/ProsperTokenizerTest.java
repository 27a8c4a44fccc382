package dev.prosper.encoder.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosper.encoder.testing.MinilmFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real all-MiniLM-L6-v2 tokenizer (BERT uncased WordPiece) shipped in a Maven jar. */
class ProsperTokenizerTest {

  @TempDir static Path dir;
  static Path tokenizerFile;
  static ProsperTokenizer tokenizer;

  @BeforeAll
  static void load() throws IOException {
    tokenizerFile = MinilmFiles.tokenizer(dir);
    tokenizer = ProsperTokenizer.load(tokenizerFile, 64);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  private static List<String> tokens(TokenBatch batch, int text) {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < batch.length(text); i++) {
      tokens.add(tokenizer.token((int) batch.ids()[text][i]));
    }
    return tokens;
  }

  @Test
  void productTitlesTokenizeToVocabularyStrings() {
    TokenBatch batch = tokenizer.encode(List.of("9 ft. Patio Umbrella", "umbrellas"));
    assertEquals(List.of("[CLS]", "9", "ft", ".", "patio", "umbrella", "[SEP]"), tokens(batch, 0));
    List<String> plural = tokens(batch, 1);
    assertEquals("[CLS]", plural.get(0));
    assertEquals("[SEP]", plural.get(plural.size() - 1));
    assertTrue(plural.stream().anyMatch(t -> t.startsWith("##")), plural.toString());
  }

  @Test
  void batchesArePaddedAfterTheRealTokens() {
    TokenBatch batch = tokenizer.encode(List.of("hose", "50 ft garden hose with nozzle"));
    assertEquals(batch.ids()[0].length, batch.ids()[1].length);
    int shortLength = batch.length(0);
    assertEquals(3, shortLength);
    for (int i = shortLength; i < batch.ids()[0].length; i++) {
      assertEquals(tokenizer.padId(), batch.ids()[0][i]);
      assertEquals(0, batch.attentionMask()[0][i]);
    }
    assertEquals("[PAD]", tokenizer.token(tokenizer.padId()));
    // A text encodes to the same ids alone or in a batch.
    TokenBatch alone = tokenizer.encode(List.of("hose"));
    assertArrayEquals(alone.ids()[0], java.util.Arrays.copyOf(batch.ids()[0], shortLength));
  }

  @Test
  void longTextsAreTruncatedNotRejected() {
    TokenBatch batch = tokenizer.encode(List.of("patio ".repeat(2000), "", "🌂 遮阳伞 ø"));
    assertEquals(64, batch.length(0));
    assertEquals("[SEP]", tokenizer.token((int) batch.ids()[0][63]));
    assertEquals(List.of("[CLS]", "[SEP]"), tokens(batch, 1));
    assertTrue(batch.length(2) > 2);
  }

  @Test
  void specialTokensAreMarked() {
    TokenBatch batch = tokenizer.encode(List.of("patio"));
    long[] ids = batch.ids()[0];
    assertTrue(tokenizer.isSpecial((int) ids[0]));
    assertFalse(tokenizer.isSpecial((int) ids[1]));
    assertTrue(tokenizer.isSpecial((int) ids[2]));
    assertEquals(30522, tokenizer.vocabularySize());
  }

  @Test
  void checksumIdentifiesTheFile() throws IOException {
    assertTrue(tokenizer.sha256().matches("[0-9a-f]{64}"));
    Path changed = dir.resolve("changed.json");
    Files.writeString(
        changed, Files.readString(tokenizerFile).replace("\"[UNK]\"", "\"[UNKNOWN]\""));
    try (ProsperTokenizer other = ProsperTokenizer.load(changed, 64)) {
      assertNotEquals(tokenizer.sha256(), other.sha256());
    }
  }

  @Test
  void badFilesAreNamed() throws IOException {
    IOException missing =
        assertThrows(IOException.class, () -> ProsperTokenizer.load(dir.resolve("nope.json"), 64));
    assertTrue(missing.getMessage().contains("nope.json"));
    Path notJson = Files.writeString(dir.resolve("broken.json"), "{\"model\": ");
    IOException broken = assertThrows(IOException.class, () -> ProsperTokenizer.load(notJson, 64));
    assertTrue(broken.getMessage().contains("invalid tokenizer"), broken.getMessage());
    Path noVocab =
        Files.writeString(dir.resolve("novocab.json"), "{\"model\": {\"type\": \"Unigram\"}}");
    IOException vocab = assertThrows(IOException.class, () -> ProsperTokenizer.load(noVocab, 64));
    assertTrue(vocab.getMessage().contains("no model.vocab"), vocab.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ProsperTokenizer.load(tokenizerFile, 1));
  }

  @Test
  void idsFarBeyondTheVocabularyOrNegativeAreRefusedBeforeAllocating() throws IOException {
    String json = Files.readString(tokenizerFile);
    for (String id : new String[] {"2000000000", "-1", "\"seven\""}) {
      Path hostile = dir.resolve("hostile-ids.json");
      Files.writeString(
          hostile, json.replaceFirst("\"\\[UNK\\]\"\\s*:\\s*\\d+", "\"[UNK]\": " + id));
      assertNotEquals(json, Files.readString(hostile));
      IOException e = assertThrows(IOException.class, () -> ProsperTokenizer.load(hostile, 64));
      assertTrue(e.getMessage().contains("token [[UNK]] has id"), e.getMessage());
    }
  }
}
