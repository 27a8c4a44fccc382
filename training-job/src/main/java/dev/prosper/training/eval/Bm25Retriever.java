package dev.prosper.training.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * BM25 (k1 1.2, b 0.75) over the titles in an in-memory Lucene index; a query is the OR of its
 * analysed tokens, as an OpenSearch {@code match} query.
 */
public final class Bm25Retriever implements Retriever, AutoCloseable {

  private final Analyzer analyzer;
  private final ByteBuffersDirectory directory = new ByteBuffersDirectory();
  private final DirectoryReader reader;
  private final IndexSearcher searcher;

  public Bm25Retriever(Map<String, String> products, Analyzer analyzer) throws IOException {
    this.analyzer = analyzer;
    IndexWriterConfig config =
        new IndexWriterConfig(analyzer).setSimilarity(new BM25Similarity(1.2f, 0.75f));
    try (IndexWriter writer = new IndexWriter(directory, config)) {
      for (Map.Entry<String, String> product : products.entrySet()) {
        Document doc = new Document();
        doc.add(new StringField("id", product.getKey(), Field.Store.YES));
        doc.add(new TextField("title", product.getValue(), Field.Store.NO));
        writer.addDocument(doc);
      }
    }
    reader = DirectoryReader.open(directory);
    searcher = new IndexSearcher(reader);
    searcher.setSimilarity(new BM25Similarity(1.2f, 0.75f));
  }

  @Override
  public List<List<Scored>> searchScored(List<String> queries, int k) {
    List<List<Scored>> results = new ArrayList<>(queries.size());
    try {
      for (String text : queries) {
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        for (String term : terms(analyzer, text)) {
          query.add(new TermQuery(new Term("title", term)), BooleanClause.Occur.SHOULD);
        }
        List<Scored> ranking = new ArrayList<>();
        for (ScoreDoc hit : searcher.search(query.build(), k).scoreDocs) {
          ranking.add(new Scored(searcher.storedFields().document(hit.doc).get("id"), hit.score));
        }
        results.add(ranking);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return results;
  }

  /** The tokens {@code analyzer} makes of {@code text} in the title field, in order. */
  public static List<String> terms(Analyzer analyzer, String text) {
    List<String> terms = new ArrayList<>();
    try (TokenStream tokens = analyzer.tokenStream("title", text)) {
      CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
      tokens.reset();
      while (tokens.incrementToken()) {
        terms.add(term.toString());
      }
      tokens.end();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return terms;
  }

  @Override
  public void close() throws IOException {
    reader.close();
    directory.close();
    analyzer.close();
  }
}
