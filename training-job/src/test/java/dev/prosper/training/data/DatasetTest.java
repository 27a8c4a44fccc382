package dev.prosper.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {

  @TempDir Path directory;

  private void write(String file, String content) throws IOException {
    Files.writeString(directory.resolve(file), content, StandardCharsets.UTF_8);
  }

  private void valid() throws IOException {
    write("products.tsv", "p1\t9 ft. patio umbrella\np2\tcordless drill\n");
    write("queries-train.tsv", "q1\tpatio umbrella\nq2\tdrill\n");
    write("qrels-train.tsv", "q1\tp1\t3\nq2\tp2\t2.33\nq2\tp1\t1\n");
  }

  private void assertFails(String expected) {
    IOException e = assertThrows(IOException.class, () -> Dataset.read(directory, "train"));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void readsTheUniformLayoutWithGrades() throws IOException {
    valid();
    Dataset data = Dataset.read(directory, "train");
    assertEquals(2, data.products().size());
    assertEquals(Map.of("p2", 2.33, "p1", 1.0), data.qrels().get("q2"));
    assertEquals(List.of("p2"), data.positives("q2", 2));
    assertEquals(List.of("q1"), data.queriesWithPositives(2.5));
  }

  @Test
  void readsTheMultiCprLayout() throws IOException {
    write("corpus.tsv", "1\t大落地窗\n2\t墙面底漆\n");
    write("train.query.txt", "10\t落地窗\n");
    write("qrels.train.tsv", "10\t0\t1\t1\n");
    Dataset data = Dataset.read(directory, "train");
    assertEquals(List.of("1"), data.positives("10", 1));
  }

  @Test
  void wrongColumnCount() throws IOException {
    valid();
    write("products.tsv", "p1\t9 ft. patio umbrella\np2\tcordless\tdrill\n");
    assertFails("products.tsv:2: expected 2 tab-separated columns (id, text), found 3");
  }

  @Test
  void unknownIdInQrels() throws IOException {
    valid();
    write("qrels-train.tsv", "q1\tp1\t3\nq2\tp9\t2\n");
    assertFails("qrels-train.tsv:2: unknown product id [p9]");
    write("qrels-train.tsv", "q7\tp1\t3\n");
    assertFails("qrels-train.tsv:1: unknown query id [q7]");
  }

  @Test
  void badGrade() throws IOException {
    valid();
    write("qrels-train.tsv", "q1\tp1\thigh\n");
    assertFails("qrels-train.tsv:1: grade [high] is not a number");
  }

  @Test
  void badEncoding() throws IOException {
    valid();
    Files.write(
        directory.resolve("queries-train.tsv"),
        new byte[] {'q', '1', '\t', (byte) 0xC3, 0x28, '\n'});
    assertFails("queries-train.tsv:1: not valid UTF-8");
  }

  @Test
  void emptyFile() throws IOException {
    valid();
    write("products.tsv", "");
    assertFails("products.tsv: file is empty");
  }

  @Test
  void duplicateIdAndMissingFile() throws IOException {
    valid();
    write("queries-train.tsv", "q1\ta\nq1\tb\n");
    assertFails("queries-train.tsv:2: duplicate id [q1]");
    Files.delete(directory.resolve("queries-train.tsv"));
    assertFails("queries-train.tsv");
  }

  @Test
  void holdOutSplitIsDeterministicAndDisjoint() {
    Dataset data = SampleCatalogue.generate(100, 400, 1).toDataset();
    Dataset train = data.trainingSplit(10);
    Dataset held = data.heldOutSplit(10);
    assertEquals(data.queries().size(), train.queries().size() + held.queries().size());
    assertTrue(
        held.queries().size() > 10 && held.queries().size() < 80, "" + held.queries().size());
    for (String q : held.queries().keySet()) {
      assertTrue(!train.queries().containsKey(q));
    }
  }

  @Test
  void sampleCatalogueIsSeededAndHasEveryQueryKind() {
    SampleCatalogue a = SampleCatalogue.generate(500, 50, 9);
    SampleCatalogue b = SampleCatalogue.generate(500, 50, 9);
    assertEquals(a.products(), b.products());
    assertEquals(a.queries(), b.queries());
    assertEquals(
        java.util.Set.of("brand-type", "model", "attribute-type", "misspelling", "synonym"),
        a.queries().stream()
            .map(SampleCatalogue.Query::kind)
            .collect(java.util.stream.Collectors.toSet()));
    for (SampleCatalogue.Query q : a.queries()) {
      assertTrue(
          q.judgements().containsValue(3) || q.kind().equals("attribute-type"), q.toString());
    }
  }
}
