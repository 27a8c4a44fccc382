package dev.prosper.encoder.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.backbone.Backbone;
import dev.prosper.encoder.backbone.BackboneConfig;
import dev.prosper.encoder.backbone.BertConfig;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.head.HeadConfig.Lrn;
import dev.prosper.encoder.head.HeadConfig.Pooling;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.head.ProsperHead;
import dev.prosper.encoder.onnx.OnnxQueryBackbone;
import dev.prosper.encoder.onnx.QuantizedProjection;
import dev.prosper.encoder.ops.Ops;
import dev.prosper.encoder.tokenizer.ProsperTokenizer;
import dev.prosper.encoder.tokenizer.TokenBatch;
import dev.prosper.encoder.weights.FloatTensor;
import dev.prosper.encoder.weights.Parameters;
import dev.prosper.encoder.weights.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The PROSPER encoder: a backbone, the PROSPER head and the tokenizer, with batched inference
 * ({@link #encode}) and the differentiable representation the training job optimises ({@link
 * #represent}).
 *
 * <p>Special tokens ([CLS], [SEP], padding, {@code <|endoftext|>}), ids without a vocabulary string
 * and the entries the head's {@code terms} rule excludes (punctuation) are never terms: their
 * weights are zero in training and serving alike.
 */
public final class ProsperModel implements AutoCloseable {

  public static final String LRN_WEIGHT = "prosper.lrn.weight";
  public static final String LRN_BIAS = "prosper.lrn.bias";

  /** Texts per forward pass in {@link #encode} unless set otherwise. */
  public static final int DEFAULT_BATCH_SIZE = 32;

  private final BackboneConfig config;
  private final Backbone backbone;
  private final HeadConfig head;
  private final ProsperTokenizer tokenizer;
  private final Parameters parameters;
  private final float[] termMask;
  private NDArray termMaskArray;
  private volatile QueryProjections queryProjections;
  private volatile Precision queryPrecision = Precision.FLOAT32;
  private volatile OnnxQueryBackbone queryBackbone;
  private volatile int batchSize = DEFAULT_BATCH_SIZE;
  private volatile Stages stages = Stages.NONE;

  /**
   * Receives how long each stage of {@link #encode} took, in order: {@code tokenize}, {@code
   * inputs} (ids and mask to native arrays), {@code backbone} (the transformer layers), {@code
   * vocabulary head} (logits, eq. 5, pooling, eqs. 6–7), {@code literal residual} (eqs. 8–9),
   * {@code top-k terms} (the largest weights found on the device and copied back), {@code release
   * arrays} (the batch's native arrays freed) and {@code normalize}. Eager PyTorch on the CPU runs
   * each operation before returning, so the times are the stages' own.
   */
  @FunctionalInterface
  public interface Stages {
    Stages NONE = (stage, nanos) -> {};

    void took(String stage, long nanos);
  }

  /** Where the stage times of later encodings go ({@link Stages#NONE}: nowhere, the default). */
  public void setStages(Stages stages) {
    this.stages = stages == null ? Stages.NONE : stages;
  }

  /** Reports the stage since {@code start} and returns now, the next stage's start. */
  private long lap(String stage, long start) {
    long now = System.nanoTime();
    stages.took(stage, now - start);
    return now;
  }

  /**
   * @throws IllegalArgumentException naming the first missing, unexpected or misshapen weight, or a
   *     tokenizer larger than the model's vocabulary
   */
  public ProsperModel(
      BackboneConfig config, HeadConfig head, ProsperTokenizer tokenizer, Parameters parameters) {
    this.config = config;
    this.backbone = config.backbone();
    this.head = head;
    this.tokenizer = tokenizer;
    this.parameters = parameters;
    if (tokenizer.vocabularySize() > config.vocabSize()) {
      throw new IllegalArgumentException(
          "tokenizer has "
              + tokenizer.vocabularySize()
              + " ids but the model's vocab_size is "
              + config.vocabSize());
    }
    checkShapes(parameterShapes(config, head), parameters);
    termMask = new float[config.vocabSize()];
    for (int id = 0; id < termMask.length; id++) {
      termMask[id] =
          tokenizer.hasToken(id)
                  && !tokenizer.isSpecial(id)
                  && head.terms().admits(tokenizer.token(id))
              ? 1f
              : 0f;
    }
  }

  /** Every weight a model of this backbone and head has, in artefact order. */
  public static Map<String, long[]> parameterShapes(BackboneConfig config, HeadConfig head) {
    Map<String, long[]> shapes = new LinkedHashMap<>(config.backbone().parameterShapes());
    if (head.lrn() != Lrn.NONE) {
      shapes.put(LRN_WEIGHT, new long[] {config.vocabSize(), config.hiddenSize()});
      shapes.put(LRN_BIAS, new long[] {config.vocabSize()});
    }
    return shapes;
  }

  private static void checkShapes(Map<String, long[]> expected, Parameters parameters) {
    for (Map.Entry<String, long[]> entry : expected.entrySet()) {
      if (!parameters.contains(entry.getKey())) {
        throw new IllegalArgumentException("missing weight [" + entry.getKey() + "]");
      }
      long[] actual = parameters.get(entry.getKey()).getShape().getShape();
      if (!Arrays.equals(actual, entry.getValue())) {
        throw new IllegalArgumentException(
            "weight ["
                + entry.getKey()
                + "] has shape "
                + Arrays.toString(actual)
                + ", expected "
                + Arrays.toString(entry.getValue()));
      }
    }
    for (String name : parameters.arrays().keySet()) {
      if (!expected.containsKey(name)) {
        throw new IllegalArgumentException("unexpected weight [" + name + "]");
      }
    }
  }

  /**
   * Adds the weights a fresh PROSPER head needs and a backbone checkpoint lacks: the MLM bias
   * (zeros) and the LRN layer (normal, σ 0.02, seeded; bias zeros).
   */
  public static void initializeHead(
      Parameters parameters, BackboneConfig config, HeadConfig head, long seed) {
    Map<String, long[]> shapes = parameterShapes(config, head);
    Random random = new Random(seed);
    for (Map.Entry<String, long[]> entry : shapes.entrySet()) {
      String name = entry.getKey();
      if (parameters.contains(name)) {
        continue;
      }
      long[] shape = entry.getValue();
      float[] values = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b))];
      if (name.endsWith(".weight") && shape.length == 2) {
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) (random.nextGaussian() * 0.02);
        }
      } else if (name.endsWith("LayerNorm.weight")) {
        Arrays.fill(values, 1f);
      }
      parameters.put(name, new FloatTensor(shape, values));
    }
  }

  /**
   * The same weights and tokenizer under another head config (e.g. the windows a dynamic schedule
   * reached). The view shares them: close only the original model.
   */
  public ProsperModel withHead(HeadConfig otherHead) {
    ProsperModel view = new ProsperModel(config, otherHead, tokenizer, parameters);
    view.queryProjections = queryProjections;
    view.queryPrecision = queryPrecision;
    view.queryBackbone = queryBackbone;
    return view;
  }

  /**
   * The two vocabulary projections as queries run them, each {@code x · Wᵀ + b} for {@code [rows,
   * hidden]}: eq. 5's logits and the LRN's FC (eq. 8).
   */
  private interface QueryProjections {
    NDArray logits(NDArray x);

    NDArray fc(NDArray x);

    void close();
  }

  /**
   * Float16 copies of the vocabulary projection (eq. 5's logits) and of the LRN's FC (eq. 8), with
   * their float32 biases; queries multiply each row on its own by them.
   */
  private record HalfProjections(
      NDArray vocabulary, NDArray vocabularyBias, NDArray lrn, NDArray lrnBias)
      implements QueryProjections {

    @Override
    public NDArray logits(NDArray x) {
      return apply(x, vocabulary, vocabularyBias);
    }

    @Override
    public NDArray fc(NDArray x) {
      return apply(x, lrn, lrnBias);
    }

    /** {@code x · weightᵀ + bias} for each row of {@code [batch, hidden]}, in float16. */
    static NDArray apply(NDArray x, NDArray weight, NDArray bias) {
      NDList rows = new NDList();
      for (long r = 0; r < x.getShape().get(0); r++) {
        NDArray row = x.get(r).expandDims(0).toType(DataType.FLOAT16, false);
        NDArray product = Ops.linear(row, weight, null).toType(DataType.FLOAT32, false);
        rows.add(bias == null ? product : product.add(bias));
      }
      return rows.size() == 1 ? rows.singletonOrThrow() : NDArrays.concat(rows, 0);
    }

    @Override
    public void close() {
      vocabulary.close();
      if (lrn != null) {
        lrn.close();
      }
    }
  }

  /** Int8 copies of the two projections in ONNX Runtime ({@link QuantizedProjection}). */
  private record Int8Projections(QuantizedProjection vocabulary, QuantizedProjection lrn)
      implements QueryProjections {

    /** One intra-op thread: a query's matrix-vector product is bound by memory, not cores. */
    static final int THREADS = 1;

    static Int8Projections of(Parameters parameters, String weight, String bias, boolean lrn) {
      QuantizedProjection vocabulary = projection(parameters, weight, bias);
      try {
        return new Int8Projections(
            vocabulary, lrn ? projection(parameters, LRN_WEIGHT, LRN_BIAS) : null);
      } catch (RuntimeException e) {
        vocabulary.close();
        throw e;
      }
    }

    private static QuantizedProjection projection(
        Parameters parameters, String weight, String bias) {
      long[] shape = parameters.get(weight).getShape().getShape();
      return new QuantizedProjection(
          parameters.get(weight).toFloatArray(),
          bias == null ? null : parameters.get(bias).toFloatArray(),
          Math.toIntExact(shape[0]),
          Math.toIntExact(shape[1]),
          THREADS);
    }

    @Override
    public NDArray logits(NDArray x) {
      return apply(vocabulary, x);
    }

    @Override
    public NDArray fc(NDArray x) {
      return apply(lrn, x);
    }

    private static NDArray apply(QuantizedProjection projection, NDArray x) {
      int rows = Math.toIntExact(x.getShape().get(0));
      float[] product = projection.apply(x.toFloatArray(), rows);
      return x.getManager().create(product, new Shape(rows, product.length / rows));
    }

    @Override
    public void close() {
      vocabulary.close();
      if (lrn != null) {
        lrn.close();
      }
    }
  }

  /**
   * How queries use the two vocabulary projections (default {@link Precision#FLOAT32}). {@link
   * Precision#FLOAT16} copies them now, as the weights are, into half-size arrays (about {@code 2 ×
   * vocab × hidden × 2} bytes more); {@link Precision#INT8} into int8 arrays in ONNX Runtime
   * sessions (about {@code 2 × vocab × hidden} bytes more once packed). A query then reads half or
   * a quarter of the bytes, which is most of its cost on a CPU. Only for last pooling (other heads
   * keep float32). Set it again after the weights change (training never sets it). Documents are
   * always float32.
   *
   * @throws IllegalStateException if ONNX Runtime cannot load (int8)
   */
  public synchronized void setQueryPrecision(Precision precision) {
    QueryProjections previous = queryProjections;
    queryProjections = null;
    queryPrecision = Precision.FLOAT32;
    if (previous != null) {
      previous.close();
    }
    if (precision != Precision.FLOAT32 && head.pooling() == Pooling.LAST) {
      boolean lrn = head.lrn() != Lrn.NONE;
      String bias = backbone.vocabularyBias();
      queryProjections =
          precision == Precision.INT8
              ? Int8Projections.of(parameters, backbone.vocabularyWeight(), bias, lrn)
              : new HalfProjections(
                  parameters.get(backbone.vocabularyWeight()).toType(DataType.FLOAT16, true),
                  bias == null ? null : parameters.get(bias),
                  lrn ? parameters.get(LRN_WEIGHT).toType(DataType.FLOAT16, true) : null,
                  lrn ? parameters.get(LRN_BIAS) : null);
      queryPrecision = precision;
    }
    OnnxQueryBackbone onnx = queryBackbone;
    if (onnx != null && onnx.int8Linears() != (queryPrecision == Precision.INT8)) {
      // The ONNX backbone's linear layers follow the precision.
      setQueryRuntime(QueryRuntime.ONNX, onnx.threads());
    }
  }

  /**
   * What runs the backbone for queries (default {@link QueryRuntime#PYTORCH}). {@link
   * QueryRuntime#ONNX} writes the backbone with the current weights as an ONNX graph and opens an
   * ONNX Runtime session on it now (a second float32 copy of the backbone weights, {@link
   * #queryRuntimeBytes}); it applies to BERT backbones with last pooling whose weights are on the
   * CPU, and other models keep PyTorch ({@link #queryRuntime} says which runs). The vocabulary head
   * and the literal residual stay in PyTorch. With {@link Precision#INT8} queries ({@link
   * #setQueryPrecision}, either order) the backbone's linear layers are int8 too. Set it again
   * after the weights change (training never sets it).
   *
   * @param threads ONNX Runtime's intra-op threads for one query batch
   * @throws IllegalStateException if ONNX Runtime cannot load
   */
  public synchronized void setQueryRuntime(QueryRuntime runtime, int threads) {
    OnnxQueryBackbone previous = queryBackbone;
    queryBackbone = null;
    if (previous != null) {
      previous.close();
    }
    if (runtime == QueryRuntime.ONNX
        && onnxApplies(config, head)
        && !parameters.manager().getDevice().isGpu()) {
      queryBackbone =
          new OnnxQueryBackbone(
              (BertConfig) config, parameters, threads, queryPrecision == Precision.INT8);
    }
  }

  /** Whether {@link QueryRuntime#ONNX} can run this backbone and head. */
  public static boolean onnxApplies(BackboneConfig config, HeadConfig head) {
    return config instanceof BertConfig && head.pooling() == Pooling.LAST;
  }

  public QueryRuntime queryRuntime() {
    return queryBackbone == null ? QueryRuntime.PYTORCH : QueryRuntime.ONNX;
  }

  /**
   * The bytes {@link QueryRuntime#ONNX} adds to a loaded model: the session's float32 copy of the
   * backbone weights (0 where it does not apply).
   */
  public static long queryRuntimeBytes(
      QueryRuntime runtime, BackboneConfig config, HeadConfig head) {
    if (runtime != QueryRuntime.ONNX || !onnxApplies(config, head)) {
      return 0;
    }
    long floats = 0;
    for (long[] shape : config.backbone().parameterShapes().values()) {
      floats = Math.addExact(floats, TensorInfo.elementCount(shape));
    }
    return Math.multiplyExact(floats, Float.BYTES);
  }

  public Precision queryPrecision() {
    return queryPrecision;
  }

  public BackboneConfig config() {
    return config;
  }

  public Backbone backbone() {
    return backbone;
  }

  public HeadConfig head() {
    return head;
  }

  /** Whether a vocabulary id can carry weight (not special, has a string, admitted by terms). */
  public boolean isTerm(int id) {
    return id >= 0 && id < termMask.length && termMask[id] == 1f;
  }

  public ProsperTokenizer tokenizer() {
    return tokenizer;
  }

  public Parameters parameters() {
    return parameters;
  }

  public int batchSize() {
    return batchSize;
  }

  /** Texts per forward pass in {@link #encode}. */
  public void setBatchSize(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("[batch_size] must be at least 1, got " + batchSize);
    }
    this.batchSize = batchSize;
  }

  /** The basic representation w and the full W = LRN(w), both {@code [batch, vocab]}. */
  public record Representation(NDArray basic, NDArray full) {}

  /** Token ids and attention mask of a batch as int64 arrays on {@code manager}. */
  public static NDArray[] inputs(NDManager manager, TokenBatch batch) {
    Shape shape = new Shape(batch.size(), batch.paddedLength());
    return new NDArray[] {
      manager.create(batch.flatIds(), shape), manager.create(batch.flatAttentionMask(), shape)
    };
  }

  /**
   * The literal indicator I: 1 at the vocabulary ids of each text's real, non-special tokens.
   *
   * @return {@code [batch, vocab]} row-major
   */
  public float[] literalIndicator(TokenBatch batch) {
    int vocab = config.vocabSize();
    float[] indicator = new float[batch.size() * vocab];
    for (int r = 0; r < batch.size(); r++) {
      long[] ids = batch.ids()[r];
      long[] mask = batch.attentionMask()[r];
      for (int t = 0; t < ids.length; t++) {
        int id = (int) ids[t];
        if (mask[t] == 1 && isTerm(id)) {
          indicator[r * vocab + id] = 1f;
        }
      }
    }
    return indicator;
  }

  /**
   * The paper's eqs. 5–9 for a batch: saturation, pooling and the literal residual network, without
   * the window. Differentiable; all arrays are attached to {@code manager}.
   */
  public Representation represent(NDManager manager, TokenBatch batch) {
    return represent(manager, batch, null, null);
  }

  /**
   * {@link #represent}, with the two vocabulary projections of {@code projections} when it is set
   * and the backbone run by ONNX Runtime when {@code onnx} is (last pooling only; not
   * differentiable).
   */
  private Representation represent(
      NDManager manager, TokenBatch batch, QueryProjections projections, OnnxQueryBackbone onnx) {
    long time = System.nanoTime();
    // ONNX Runtime takes the batch itself; only the PyTorch backbone reads these arrays.
    NDArray[] in = onnx == null ? inputs(manager, batch) : null;
    NDArray mask = in == null ? null : in[1];
    time = lap("inputs", time);
    NDArray lastHidden;
    NDArray hidden = null;
    if (onnx != null) {
      lastHidden =
          manager.create(onnx.lastHiddenState(batch), new Shape(batch.size(), config.hiddenSize()));
    } else if (head.pooling() == Pooling.LAST) {
      lastHidden = backbone.lastHiddenState(parameters, in[0], mask);
    } else {
      hidden = backbone.hiddenStates(parameters, in[0], mask);
      lastHidden = ProsperHead.last(hidden, mask);
    }
    time = lap("backbone", time);
    NDArray terms = termMask();
    NDArray basic;
    if (hidden != null) {
      basic = ProsperHead.maxPool(ProsperHead.saturate(backbone.logits(parameters, hidden)), mask);
    } else if (projections != null) {
      NDArray input = backbone.vocabularyInput(parameters, lastHidden);
      basic = ProsperHead.saturate(projections.logits(input));
    } else {
      basic = ProsperHead.saturate(backbone.logits(parameters, lastHidden));
    }
    basic = basic.mul(terms);
    time = lap("vocabulary head", time);
    NDArray full = basic;
    if (head.lrn() != Lrn.NONE) {
      NDArray saturated = ProsperHead.saturate(lastHidden);
      NDArray wPrime =
          projections != null
              ? projections.fc(saturated)
              : Ops.linear(saturated, parameters.get(LRN_WEIGHT), parameters.get(LRN_BIAS));
      NDArray literal =
          manager.create(literalIndicator(batch), new Shape(batch.size(), config.vocabSize()));
      full = ProsperHead.lrn(basic, wPrime, literal, head.lrn()).mul(terms);
      lap("literal residual", time);
    }
    return new Representation(basic, full);
  }

  /** The term mask as a {@code [vocab]} array on the weights' manager, made once. */
  private synchronized NDArray termMask() {
    if (termMaskArray == null) {
      termMaskArray = parameters.manager().create(termMask);
    }
    return termMaskArray;
  }

  /** Tokenizes with the model's tokenizer (truncating to max length). */
  public TokenBatch tokenize(List<String> texts) {
    return tokenizer.encode(texts);
  }

  /**
   * The served vectors of texts: the mode's window, its served size ({@link
   * HeadConfig#servedTopK(Mode)}) and the head's normalisation.
   */
  public List<SparseVector> encode(List<String> texts, Mode mode) {
    return encode(texts, mode, head.servedTopK(mode));
  }

  /**
   * The served vectors of texts, each keeping its {@code topK} largest terms and normalised as the
   * head says ({@link HeadConfig#normalize}): what the node stores for a document and scores for a
   * query. This is the one serving contract; every consumer (the ingest processor, {@code
   * prosper_sparse}, {@code _encode}, {@code encode}, {@code evaluate} and validation) uses its
   * output as is.
   *
   * @throws IllegalArgumentException if a text is null or topK < 1
   */
  public List<SparseVector> encode(List<String> texts, Mode mode, int topK) {
    List<SparseVector> raw = encodeUnnormalized(texts, mode, topK);
    long time = System.nanoTime();
    List<SparseVector> served = new ArrayList<>(raw.size());
    for (SparseVector vector : raw) {
      served.add(head.normalize(vector, mode));
    }
    lap("normalize", time);
    return served;
  }

  /**
   * The terms of {@link #encode(List, Mode, int)} before normalisation: the {@code topK} largest
   * weights W of eq. 9 (queries and documents alike, except that queries use the {@link
   * #setQueryPrecision query precision}); a document then keeps those that reach the head's {@link
   * HeadConfig#documentMinWeight} ({@link HeadConfig#keepServedTerms}). Texts are encoded in
   * batches; longer ones than the max length are truncated. The same text gives the same terms
   * alone or in any batch (up to float rounding in the last bits).
   *
   * @throws IllegalArgumentException if a text is null or topK < 1
   */
  public List<SparseVector> encodeUnnormalized(List<String> texts, Mode mode, int topK) {
    if (topK < 1) {
      throw new IllegalArgumentException("[top_k] must be at least 1, got " + topK);
    }
    int k = topK;
    QueryProjections projections = mode == Mode.QUERY ? queryProjections : null;
    OnnxQueryBackbone onnx = mode == Mode.QUERY ? queryBackbone : null;
    // Texts of similar length share a batch so that little compute goes to padding.
    long time = System.nanoTime();
    TokenBatch all = tokenize(texts);
    lap("tokenize", time);
    Integer[] order = new Integer[texts.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(all::length));
    SparseVector[] encoded = new SparseVector[texts.size()];
    for (int start = 0; start < order.length; start += batchSize) {
      int[] rows = new int[Math.min(batchSize, order.length - start)];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = order[start + i];
      }
      TokenBatch batch = all.select(rows);
      SparseVector[] vectors;
      try (NDManager manager = parameters.manager().newSubManager()) {
        NDArray full = represent(manager, batch, projections, onnx).full();
        time = System.nanoTime();
        vectors = candidates(full, batch, k);
        time = lap("top-k terms", time);
      }
      lap("release arrays", time);
      for (int r = 0; r < rows.length; r++) {
        encoded[rows[r]] = head.keepServedTerms(vectors[r], mode);
      }
    }
    return List.of(encoded);
  }

  /** Candidates beyond {@code k} that {@link #candidates} copies, to see where ties end. */
  private static final int TIE_MARGIN = 8;

  /**
   * Each row's served terms, from its {@code k + TIE_MARGIN} largest weights computed on the
   * device: only they are copied back. When the weight at the margin still equals the k-th one
   * (ties beyond it) or a weight is not finite, the row's whole vector is copied instead, so the
   * result is always that of {@link #terms}.
   */
  private SparseVector[] candidates(NDArray full, TokenBatch batch, int k) {
    int rows = batch.size();
    int vocab = config.vocabSize();
    int m = Math.min(vocab, k + TIE_MARGIN);
    NDList top = full.topK(m, -1, true, true);
    float[] values = top.get(0).toFloatArray();
    long[] indices = top.get(1).toLongArray();
    SparseVector[] vectors = new SparseVector[rows];
    for (int r = 0; r < rows; r++) {
      boolean finite = true;
      for (int i = r * m; i < (r + 1) * m; i++) {
        finite &= Float.isFinite(values[i]);
      }
      float kth = values[r * m + Math.min(k, m) - 1];
      boolean complete = m == vocab || values[(r + 1) * m - 1] < kth || kth <= 0f;
      if (finite && complete) {
        int[] ids = new int[m];
        for (int i = 0; i < m; i++) {
          ids[i] = (int) indices[r * m + i];
        }
        vectors[r] = terms(ids, Arrays.copyOfRange(values, r * m, (r + 1) * m), r, batch, k);
      } else {
        int[] ids = new int[vocab];
        for (int id = 0; id < vocab; id++) {
          ids[id] = id;
        }
        vectors[r] = terms(ids, full.get(r).toFloatArray(), r, batch, k);
      }
    }
    return vectors;
  }

  /**
   * The {@code k} largest positive weights of one row with their literal flags (only the candidates
   * at or above the k-th weight become terms; {@link SparseVector#topK} breaks ties).
   *
   * @param candidateIds vocabulary ids, with their weights in {@code weights}: the whole row or its
   *     largest entries (every entry at or above the k-th largest)
   */
  private SparseVector terms(
      int[] candidateIds, float[] weights, int row, TokenBatch batch, int k) {
    Set<Integer> literal = new HashSet<>();
    for (int t = 0; t < batch.ids()[row].length; t++) {
      if (batch.attentionMask()[row][t] == 1) {
        literal.add((int) batch.ids()[row][t]);
      }
    }
    int[] ids = new int[candidateIds.length];
    float[] kept = new float[candidateIds.length];
    int count = 0;
    for (int i = 0; i < candidateIds.length; i++) {
      float weight = weights[i];
      int id = candidateIds[i];
      if (weight > 0f && Float.isFinite(weight) && isTerm(id)) {
        ids[count] = id;
        kept[count++] = weight;
      }
    }
    float threshold = 0f;
    if (count > k) {
      float[] sorted = Arrays.copyOf(kept, count);
      Arrays.sort(sorted);
      threshold = sorted[count - k];
    }
    List<SparseVector.Term> terms = new ArrayList<>(Math.min(count, k));
    for (int i = 0; i < count; i++) {
      if (kept[i] >= threshold) {
        terms.add(
            new SparseVector.Term(
                tokenizer.token(ids[i]), ids[i], kept[i], literal.contains(ids[i])));
      }
    }
    return SparseVector.ofTerms(terms).topK(k);
  }

  @Override
  public void close() {
    setQueryRuntime(QueryRuntime.PYTORCH, 1);
    setQueryPrecision(Precision.FLOAT32);
    parameters.close();
    tokenizer.close();
  }
}
