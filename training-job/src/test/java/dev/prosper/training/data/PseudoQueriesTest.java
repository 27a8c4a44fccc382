package dev.prosper.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PseudoQueriesTest {

  @Test
  void sameSeedSameQueriesEachFromItsOwnProduct() {
    Map<String, String> products = SampleCatalogue.generate(500, 10, 2).toDataset().products();
    List<PseudoQueries.Query> first = PseudoQueries.generate(products, 200, 7);
    assertEquals(first, PseudoQueries.generate(products, 200, 7));
    assertNotEquals(first, PseudoQueries.generate(products, 200, 8));
    assertEquals(200, first.size());
    Set<String> kinds = new HashSet<>();
    Set<String> sources = new HashSet<>();
    for (PseudoQueries.Query query : first) {
      assertTrue(products.containsKey(query.productId()));
      assertTrue(sources.add(query.productId()), "one query per product");
      assertEquals(query.text().toLowerCase(java.util.Locale.ROOT), query.text());
      assertTrue(!query.text().isBlank());
      kinds.add(query.kind());
    }
    assertEquals(
        Set.of("brand-type", "attribute-type", "model-number", "dropped-words", "misspelled"),
        kinds);
  }

  @Test
  void misspellingsArePinned() {
    // The misspelled kind as it was before it moved to Typos: same seed, same queries.
    Map<String, String> products = SampleCatalogue.generate(500, 10, 2).toDataset().products();
    List<String> misspelled =
        PseudoQueries.generate(products, 200, 7).stream()
            .filter(q -> q.kind().equals("misspelled"))
            .map(q -> q.productId() + " " + q.text())
            .toList();
    assertEquals(35, misspelled.size());
    assertEquals(
        List.of(
            "P100235 duskridge door lokc",
            "P100483 cobltline extension cord",
            "P100462 arcwell aera rug",
            "P100314 oakhavn wheelbarrow"),
        misspelled.subList(0, 4));
  }

  @Test
  void kindsOfOneTitle() {
    String title = "Oakhaven OA1033H-J9 Sofa, Sectional, Linen, Stainless Steel";
    Set<String> seen = new HashSet<>();
    Random random = new Random(1);
    for (int i = 0; i < 200; i++) {
      PseudoQueries.Query q = PseudoQueries.forTitle("p", title, random);
      seen.add(q.kind() + ": " + q.text());
    }
    assertTrue(seen.contains("brand-type: oakhaven sofa"), seen.toString());
    assertTrue(seen.contains("model-number: oa1033h-j9"), seen.toString());
    assertTrue(seen.stream().anyMatch(s -> s.startsWith("misspelled: ")), seen.toString());
    Set<String> byBrand = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      PseudoQueries.Query q =
          PseudoQueries.forTitle(
              "p", "21 in. White Electric Lawn Mower by Harborcraft (HA8895R-R3)", random);
      byBrand.add(q.kind() + ": " + q.text());
    }
    assertTrue(byBrand.contains("brand-type: harborcraft lawn mower"), byBrand.toString());
    assertTrue(byBrand.contains("model-number: ha8895r-r3"), byBrand.toString());
  }

  @Test
  void pseudoQueriesJoinTheDatasetAsPositives() {
    Dataset data = SampleCatalogue.generate(100, 10, 2).toDataset();
    List<PseudoQueries.Query> pseudo = PseudoQueries.generate(data.products(), 5, 1);
    Dataset augmented = data.withPseudoQueries(pseudo, 3);
    assertEquals(data.queries().size() + 5, augmented.queries().size());
    assertEquals(pseudo.get(0).text(), augmented.queries().get("pseudo-1"));
    assertEquals(List.of(pseudo.get(0).productId()), augmented.positives("pseudo-1", 3));
  }
}
