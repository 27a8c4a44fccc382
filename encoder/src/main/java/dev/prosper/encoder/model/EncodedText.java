package dev.prosper.encoder.model;

import dev.prosper.encoder.SparseVector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weighted terms of one text, largest weight first (ties by term), every weight finite and
 * positive.
 */
public record EncodedText(List<Term> terms) {

  /**
   * One vocabulary term.
   *
   * @param term the tokenizer's vocabulary string, verbatim
   * @param id its vocabulary id
   * @param literal whether the term occurs in the input text
   */
  public record Term(String term, int id, float weight, boolean literal) {}

  public EncodedText {
    terms = List.copyOf(terms);
  }

  /** Term to weight, in rank order. */
  public Map<String, Float> weights() {
    Map<String, Float> weights = new LinkedHashMap<>();
    for (Term term : terms) {
      weights.put(term.term(), term.weight());
    }
    return weights;
  }

  public SparseVector toSparseVector() {
    return SparseVector.of(weights());
  }

  public int size() {
    return terms.size();
  }
}
