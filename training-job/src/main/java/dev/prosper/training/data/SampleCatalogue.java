package dev.prosper.training.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A seeded, licence-clean e-commerce catalogue: invented brands, product types with their own
 * attributes, units, colours and model numbers, and queries with graded judgements of the kinds
 * learned sparse retrieval must get right (brand + type, model number, attribute + type,
 * misspellings, synonyms). The same seed always gives the same catalogue.
 */
public final class SampleCatalogue {

  /** A product type: its name, synonyms shoppers use, and attribute choices. */
  private record Type(
      String name, List<String> synonyms, List<String> sizes, List<String> materials) {}

  private static final List<String> BRANDS =
      List.of(
          "Aldervane",
          "Brightforge",
          "Cobaltline",
          "Duskridge",
          "Emberlight",
          "Fernhollow",
          "Granitex",
          "Harborcraft",
          "Ironbark",
          "Juniper & Co",
          "Kestrelworks",
          "Lumaris",
          "Millbrook",
          "Northwick",
          "Oakhaven",
          "Pinecrest",
          "Quillon",
          "Riverstone",
          "Sablewood",
          "Tidewater",
          "Umberfield",
          "Velmora",
          "Westfall",
          "Yarrowby",
          "Zephyra",
          "Arcwell",
          "Blackmoor",
          "Corvane",
          "Driftmark",
          "Everpeak");
  private static final List<String> COLOURS =
      List.of(
          "White",
          "Black",
          "Brushed Nickel",
          "Oil-Rubbed Bronze",
          "Matte Black",
          "Gray",
          "Espresso",
          "Natural Oak",
          "Red",
          "Blue",
          "Sage Green",
          "Chrome",
          "Stainless Steel",
          "Almond",
          "Walnut");
  private static final List<Type> TYPES =
      List.of(
          type(
              "Patio Umbrella",
              "market umbrella|outdoor umbrella",
              "7.5 ft.|9 ft.|10 ft.|11 ft.",
              "Aluminum|Steel|Olefin|Polyester"),
          type(
              "Cordless Drill",
              "drill driver|power drill",
              "12V|18V|20V MAX|24V",
              "Brushless|Lithium-Ion|Compact|Hammer"),
          type(
              "Ceiling Fan",
              "overhead fan|paddle fan",
              "42 in.|52 in.|56 in.|60 in.",
              "Indoor|Outdoor|LED|Smart"),
          type(
              "Gas Grill",
              "bbq grill|propane grill",
              "2-Burner|3-Burner|4-Burner|5-Burner",
              "Stainless Steel|Cast Iron|Porcelain|Portable"),
          type(
              "Area Rug",
              "carpet|floor rug",
              "5 ft. x 7 ft.|8 ft. x 10 ft.|2 ft. x 3 ft.|9 ft. x 12 ft.",
              "Wool|Jute|Polypropylene|Shag"),
          type(
              "Vanity Light",
              "bathroom light|bath bar light",
              "2-Light|3-Light|4-Light|5-Light",
              "Glass|Metal|LED|Crystal"),
          type(
              "Kitchen Faucet",
              "sink faucet|pull-down faucet",
              "Single-Handle|Two-Handle|Touchless|Bridge",
              "Brass|Stainless|Ceramic Disc|Spot Resist"),
          type(
              "Storage Cabinet",
              "garage cabinet|utility cabinet",
              "30 in.|36 in.|48 in.|72 in.",
              "Steel|Wood|Resin|Laminate"),
          type(
              "Sofa",
              "couch|settee",
              "2-Seat|3-Seat|Sectional|Sleeper",
              "Velvet|Linen|Leather|Microfiber"),
          type(
              "LED Light Bulb",
              "led bulb|light bulb",
              "40-Watt Equivalent|60-Watt Equivalent|75-Watt Equivalent|100-Watt Equivalent",
              "A19|BR30|PAR38|Filament"),
          type(
              "Garden Hose",
              "water hose|hose pipe",
              "25 ft.|50 ft.|75 ft.|100 ft.",
              "Rubber|Vinyl|Expandable|Kink-Free"),
          type(
              "Lawn Mower",
              "grass cutter|push mower",
              "21 in.|20 in.|30 in.|42 in.",
              "Gas|Electric|Self-Propelled|Battery"),
          type(
              "Circular Saw",
              "skil saw|power saw",
              "6-1/2 in.|7-1/4 in.|8-1/4 in.|10 in.",
              "Corded|Cordless|Worm Drive|Brushless"),
          type(
              "Toilet",
              "water closet|commode",
              "1.28 GPF|1.6 GPF|0.8 GPF|Dual Flush",
              "Elongated|Round|Comfort Height|One-Piece"),
          type(
              "Door Lock",
              "deadbolt|door knob",
              "Keyed|Keypad|Smart|Lever",
              "Satin Nickel|Brass|Zinc|Steel"),
          type(
              "Paint",
              "interior paint|wall paint",
              "1 gal.|5 gal.|1 qt.|8 oz.",
              "Eggshell|Satin|Semi-Gloss|Flat"),
          type(
              "Ladder",
              "step ladder|extension ladder",
              "4 ft.|6 ft.|8 ft.|12 ft.",
              "Fiberglass|Aluminum|Wood|Telescoping"),
          type(
              "Water Heater",
              "hot water tank|boiler",
              "40 gal.|50 gal.|Tankless|30 gal.",
              "Electric|Natural Gas|Propane|Hybrid"),
          type(
              "Shower Head",
              "rain shower|showerhead",
              "8 in.|10 in.|12 in.|Handheld",
              "Chrome|Multi-Function|High Pressure|Low Flow"),
          type(
              "Workbench",
              "work table|tool bench",
              "48 in.|60 in.|72 in.|96 in.",
              "Hardwood|Steel|Adjustable|Mobile"),
          type(
              "Pressure Washer",
              "power washer|jet washer",
              "2000 PSI|3100 PSI|1800 PSI|4200 PSI",
              "Gas|Electric|Cold Water|Commercial"),
          type(
              "Smoke Detector",
              "smoke alarm|fire alarm",
              "Battery|Hardwired|10-Year|Combination",
              "Ionization|Photoelectric|Smart|Voice"),
          type(
              "Dining Table",
              "kitchen table|dinner table",
              "4-Seat|6-Seat|8-Seat|Round",
              "Wood|Glass|Marble|Metal"),
          type(
              "Window Blinds",
              "window shades|blinds",
              "23 in. x 64 in.|35 in. x 64 in.|47 in. x 64 in.|71 in. x 64 in.",
              "Faux Wood|Vinyl|Aluminum|Cordless"),
          type(
              "Space Heater",
              "room heater|electric heater",
              "1500-Watt|750-Watt|Ceramic|Oil-Filled",
              "Tower|Portable|Infrared|Fan"),
          type(
              "Wheelbarrow",
              "garden cart|barrow",
              "4 cu. ft.|6 cu. ft.|8 cu. ft.|10 cu. ft.",
              "Steel|Poly|Dual-Wheel|Pneumatic"),
          type(
              "Extension Cord",
              "power cord|outlet extender",
              "6 ft.|25 ft.|50 ft.|100 ft.",
              "Indoor|Outdoor|Heavy Duty|16/3"),
          type(
              "Mailbox",
              "post box|letter box",
              "Small|Medium|Large|Wall-Mount",
              "Steel|Aluminum|Plastic|Locking"),
          type(
              "Tile",
              "floor tile|wall tile",
              "12 in. x 12 in.|12 in. x 24 in.|3 in. x 6 in.|24 in. x 24 in.",
              "Porcelain|Ceramic|Marble|Glass"),
          type(
              "Wood Screws",
              "deck screws|screws",
              "#8 x 1-1/4 in.|#8 x 2 in.|#10 x 3 in.|#9 x 2-1/2 in.",
              "Zinc-Plated|Stainless|Coated|Star Drive"));

  private static Type type(String name, String synonyms, String sizes, String materials) {
    return new Type(
        name,
        List.of(synonyms.split("\\|")),
        List.of(sizes.split("\\|")),
        List.of(materials.split("\\|")));
  }

  /** One product. */
  public record Product(
      String id,
      String title,
      String brand,
      String type,
      String size,
      String material,
      String colour,
      String model) {}

  /** One query with its judged products (product id to grade, 1–3). */
  public record Query(String id, String text, String kind, Map<String, Integer> judgements) {}

  private final List<Product> products;
  private final List<Query> queries;

  private SampleCatalogue(List<Product> products, List<Query> queries) {
    this.products = products;
    this.queries = queries;
  }

  public List<Product> products() {
    return products;
  }

  public List<Query> queries() {
    return queries;
  }

  /**
   * Generates a catalogue.
   *
   * @param productCount number of products (each has a unique model number)
   * @param queryCount number of queries, mixed across the five kinds
   */
  public static SampleCatalogue generate(int productCount, int queryCount, long seed) {
    if (productCount < 1 || queryCount < 0) {
      throw new IllegalArgumentException("need at least one product and no negative query count");
    }
    Random random = new Random(seed);
    List<Product> products = new ArrayList<>(productCount);
    Set<String> models = new LinkedHashSet<>();
    for (int i = 0; i < productCount; i++) {
      String brand = pick(random, BRANDS);
      Type type = pick(random, TYPES);
      String size = pick(random, type.sizes());
      String material = pick(random, type.materials());
      String colour = pick(random, COLOURS);
      String model;
      do {
        model =
            brand.substring(0, 2).toUpperCase(Locale.ROOT)
                + (100 + random.nextInt(9900))
                + (char) ('A' + random.nextInt(26))
                + (random.nextBoolean()
                    ? "-" + (char) ('A' + random.nextInt(26)) + random.nextInt(10)
                    : "");
      } while (!models.add(model));
      String title =
          switch (random.nextInt(3)) {
            case 0 ->
                brand
                    + " "
                    + size
                    + " "
                    + material
                    + " "
                    + type.name()
                    + " in "
                    + colour
                    + " "
                    + model;
            case 1 ->
                size
                    + " "
                    + colour
                    + " "
                    + material
                    + " "
                    + type.name()
                    + " by "
                    + brand
                    + " ("
                    + model
                    + ")";
            default ->
                brand
                    + " "
                    + model
                    + " "
                    + type.name()
                    + ", "
                    + size
                    + ", "
                    + material
                    + ", "
                    + colour;
          };
      products.add(
          new Product(
              "P" + (100000 + i), title, brand, type.name(), size, material, colour, model));
    }
    List<Query> queries = new ArrayList<>(queryCount);
    for (int q = 0; q < queryCount; q++) {
      Product anchor = pick(random, products);
      Type type =
          TYPES.stream().filter(t -> t.name().equals(anchor.type())).findFirst().orElseThrow();
      String kind =
          List.of("brand-type", "model", "attribute-type", "misspelling", "synonym").get(q % 5);
      String text;
      Map<String, Integer> judgements = new LinkedHashMap<>();
      switch (kind) {
        case "model" -> {
          text = random.nextBoolean() ? anchor.model() : anchor.brand() + " " + anchor.model();
          judgements.put(anchor.id(), 3);
          for (Product p : products) {
            if (!p.id().equals(anchor.id())
                && p.brand().equals(anchor.brand())
                && p.type().equals(anchor.type())) {
              judgements.put(p.id(), 1);
            }
          }
        }
        case "attribute-type" -> {
          text = anchor.size() + " " + anchor.material() + " " + anchor.type();
          grade(
              products,
              judgements,
              p -> p.type().equals(anchor.type()),
              p ->
                  (p.size().equals(anchor.size()) ? 1 : 0)
                      + (p.material().equals(anchor.material()) ? 1 : 0)
                      + 1);
        }
        case "misspelling" -> {
          text = misspell(random, anchor.brand()) + " " + misspell(random, anchor.type());
          grade(
              products,
              judgements,
              p -> p.type().equals(anchor.type()),
              p -> p.brand().equals(anchor.brand()) ? 3 : 1);
        }
        case "synonym" -> {
          text = anchor.colour() + " " + pick(random, type.synonyms());
          grade(
              products,
              judgements,
              p -> p.type().equals(anchor.type()),
              p -> p.colour().equals(anchor.colour()) ? 3 : 1);
        }
        default -> {
          text = anchor.brand() + " " + anchor.type();
          grade(
              products,
              judgements,
              p -> p.type().equals(anchor.type()),
              p -> p.brand().equals(anchor.brand()) ? 3 : 1);
        }
      }
      queries.add(new Query("Q" + (10000 + q), text.toLowerCase(Locale.ROOT), kind, judgements));
    }
    return new SampleCatalogue(List.copyOf(products), List.copyOf(queries));
  }

  private static void grade(
      List<Product> products,
      Map<String, Integer> judgements,
      java.util.function.Predicate<Product> relevant,
      java.util.function.ToIntFunction<Product> grade) {
    for (Product p : products) {
      if (relevant.test(p)) {
        judgements.put(p.id(), grade.applyAsInt(p));
      }
    }
  }

  /** Drops, doubles or swaps one letter of the longest word. */
  static String misspell(Random random, String phrase) {
    String[] words = phrase.split(" ");
    int longest = 0;
    for (int i = 1; i < words.length; i++) {
      if (words[i].length() > words[longest].length()) {
        longest = i;
      }
    }
    String word = words[longest];
    if (word.length() >= 4) {
      int at = 1 + random.nextInt(word.length() - 2);
      word =
          switch (random.nextInt(3)) {
            case 0 -> word.substring(0, at) + word.substring(at + 1);
            case 1 -> word.substring(0, at) + word.charAt(at) + word.substring(at);
            default ->
                word.substring(0, at - 1)
                    + word.charAt(at)
                    + word.charAt(at - 1)
                    + word.substring(at + 1);
          };
    }
    words[longest] = word;
    return String.join(" ", words);
  }

  /** The catalogue as a dataset (grades 1–3). */
  public Dataset toDataset() {
    Map<String, String> productMap = new LinkedHashMap<>();
    products.forEach(p -> productMap.put(p.id(), p.title()));
    Map<String, String> queryMap = new LinkedHashMap<>();
    Map<String, Map<String, Double>> qrels = new LinkedHashMap<>();
    for (Query q : queries) {
      queryMap.put(q.id(), q.text());
      Map<String, Double> judged = new LinkedHashMap<>();
      q.judgements().forEach((p, g) -> judged.put(p, (double) g));
      qrels.put(q.id(), judged);
    }
    return new Dataset(productMap, queryMap, qrels, "sample catalogue");
  }

  private static <T> T pick(Random random, List<T> values) {
    return values.get(random.nextInt(values.size()));
  }
}
