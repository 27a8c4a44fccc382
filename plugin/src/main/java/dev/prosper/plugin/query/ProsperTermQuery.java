package dev.prosper.plugin.query;

import java.io.IOException;
import java.util.Locale;
import java.util.Objects;
import org.apache.lucene.document.FeatureField;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.FilterWeight;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Weight;

/**
 * One query term of {@code prosper_sparse}: query weight × the document's stored weight for the
 * term (Lucene's linear feature query), with an explanation that names the term, both weights and
 * whether the term is literal (in the query text) or an expansion.
 */
final class ProsperTermQuery extends Query {

  private final String field;
  private final String term;
  private final float queryWeight;

  /** {@code null} when the query gave explicit weights (the literal flag is unknown). */
  private final Boolean literal;

  private final Query inner;

  ProsperTermQuery(String field, String term, float queryWeight, Boolean literal) {
    this(field, term, queryWeight, literal, FeatureField.newLinearQuery(field, term, queryWeight));
  }

  private ProsperTermQuery(
      String field, String term, float queryWeight, Boolean literal, Query inner) {
    this.field = field;
    this.term = term;
    this.queryWeight = queryWeight;
    this.literal = literal;
    this.inner = inner;
  }

  /** The Lucene query that scores. */
  Query inner() {
    return inner;
  }

  @Override
  public Query rewrite(IndexSearcher searcher) throws IOException {
    Query rewritten = inner.rewrite(searcher);
    return rewritten == inner
        ? this
        : new ProsperTermQuery(field, term, queryWeight, literal, rewritten);
  }

  @Override
  public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost)
      throws IOException {
    Weight weight = inner.createWeight(searcher, scoreMode, boost);
    return new FilterWeight(this, weight) {
      @Override
      public Explanation explain(LeafReaderContext context, int doc) throws IOException {
        Explanation explanation = in.explain(context, doc);
        if (!explanation.isMatch()) {
          return explanation;
        }
        float score = explanation.getValue().floatValue();
        float documentWeight = score / (queryWeight * boost);
        String kind = literal == null ? "" : literal ? " (literal)" : " (expansion)";
        return Explanation.match(
            score,
            String.format(
                Locale.ROOT,
                "term [%s]%s: query weight %s × document weight %s%s",
                term,
                kind,
                queryWeight,
                documentWeight,
                boost == 1f ? "" : " × boost " + boost),
            explanation);
      }
    };
  }

  @Override
  public void visit(QueryVisitor visitor) {
    inner.visit(visitor.getSubVisitor(org.apache.lucene.search.BooleanClause.Occur.MUST, this));
  }

  @Override
  public String toString(String defaultField) {
    return "prosper_term(" + field + ":" + term + "^" + queryWeight + ")";
  }

  @Override
  public boolean equals(Object other) {
    return sameClassAs(other)
        && inner.equals(((ProsperTermQuery) other).inner)
        && Objects.equals(literal, ((ProsperTermQuery) other).literal);
  }

  @Override
  public int hashCode() {
    return Objects.hash(classHash(), inner, literal);
  }
}
