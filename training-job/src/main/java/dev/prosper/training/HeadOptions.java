package dev.prosper.training;

import dev.prosper.encoder.head.HeadConfig;
import picocli.CommandLine.Help.Visibility;
import picocli.CommandLine.Option;

/** The PROSPER head switches shared by train and evaluate (ablations). */
public final class HeadOptions {

  @Option(names = "--pooling", description = "last or max (SPLADE-style).")
  String pooling = "last";

  @Option(names = "--lrn", description = "Literal residual network: residual, add or none.")
  String lrn = "residual";

  @Option(names = "--lfw", description = "Lexical focusing window: fixed, dynamic or none.")
  String lfw = "fixed";

  @Option(names = "--k-q", description = "Query window k_q.")
  int kq = 256;

  @Option(names = "--k-d", description = "Document window k_d.")
  int kd = 512;

  @Option(
      names = "--query-top-k",
      description = "Terms a served query keeps by default (default: the recipe's).",
      showDefaultValue = Visibility.NEVER)
  Integer queryTopK;

  @Option(
      names = "--normalization",
      description = "query-l2 (paper), none, both-l2, doc-l2 or query-l1.")
  String normalization = "query-l2";

  @Option(names = "--max-length", description = "Tokens per text; longer texts are truncated.")
  int maxLength = 64;

  @Option(
      names = "--terms",
      description =
          "Vocabulary entries that may carry weight: alphanumeric (tokens with a letter or digit;"
              + " no weight on punctuation) or all.")
  String terms = "alphanumeric";

  @Option(
      names = "--document-top-k",
      description =
          "Terms a served document keeps (index-time pruning, recorded in the artefact; the"
              + " processor's default). 0: the document window k_d (default: the recipe's).",
      showDefaultValue = Visibility.NEVER)
  Integer documentTopK;

  @Option(
      names = "--document-mean-terms",
      description =
          "Served documents keep the terms that reach one weight threshold, chosen after each"
              + " epoch on the validation products so that they keep this many terms on average"
              + " (at most --document-top-k; recorded in the artefact as document_min_weight)."
              + " 0: no threshold (default: the recipe's).",
      showDefaultValue = Visibility.NEVER)
  Double documentMeanTerms;

  /**
   * The mean served document terms the threshold aims at, or 0 for none: the option, else the
   * recipe's when it is below {@code servedTopK} (documents served with fewer terms than the
   * recipe's mean need no threshold).
   */
  public double documentMeanTerms(double recipeMeanTerms, int servedTopK) {
    if (documentMeanTerms == null) {
      return recipeMeanTerms < servedTopK ? recipeMeanTerms : 0;
    }
    double mean = documentMeanTerms;
    if (!(mean == 0 || mean >= 1)) {
      throw new IllegalArgumentException(
          "[--document-mean-terms] must be 0 (no threshold) or at least 1, got " + mean);
    }
    if (mean >= servedTopK) {
      throw new IllegalArgumentException(
          "[--document-mean-terms] must be below the terms a document keeps at most ("
              + servedTopK
              + ", --document-top-k), got "
              + mean);
    }
    return mean;
  }

  /**
   * The head, with the recipe's served sizes where the options were not given (never more than the
   * windows).
   */
  public HeadConfig toHeadConfig(int recipeDocumentTopK, int recipeQueryTopK) {
    int documentTopK =
        this.documentTopK != null ? this.documentTopK : Math.min(recipeDocumentTopK, kd);
    int queryTopK = this.queryTopK != null ? this.queryTopK : Math.min(recipeQueryTopK, kq);
    if (documentTopK < 0 || documentTopK > kd) {
      throw new IllegalArgumentException(
          "[--document-top-k] must be 0 (the window) or between 1 and --k-d ("
              + kd
              + "), got "
              + documentTopK);
    }
    return new HeadConfig(
        HeadConfig.Pooling.of(pooling),
        HeadConfig.Lrn.of(lrn),
        HeadConfig.Lfw.of(lfw),
        kq,
        kd,
        queryTopK,
        HeadConfig.Normalization.of(normalization),
        maxLength,
        HeadConfig.Terms.of(terms),
        documentTopK,
        0f);
  }
}
