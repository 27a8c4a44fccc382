package dev.prosper.plugin;

import dev.prosper.encoder.model.Precision;
import dev.prosper.encoder.model.QueryRuntime;
import java.util.List;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Setting.Property;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.threadpool.ExecutorBuilder;
import org.opensearch.threadpool.FixedExecutorBuilder;

/** The plugin's node settings (all in {@code opensearch.yml}; batch size is also dynamic). */
public final class ProsperSettings {

  /** The thread pool documents and {@code _encode} run on: never transport, search or write. */
  public static final String ENCODE_POOL = "prosper_encode";

  /**
   * The thread pool of {@code prosper_sparse} query texts, apart from {@link #ENCODE_POOL} so that
   * a search never waits behind bulk encodings.
   */
  public static final String QUERY_POOL = "prosper_query";

  /** Encoded query texts kept per node (0: no cache). */
  public static final Setting<Integer> QUERY_CACHE_SIZE =
      Setting.intSetting("prosper.query_cache.size", 10_000, 0, 10_000_000, Property.NodeScope);

  /** How long an encoded query text stays cached after its last use (0: no expiry). */
  public static final Setting<TimeValue> QUERY_CACHE_EXPIRE =
      Setting.timeSetting(
          "prosper.query_cache.expire",
          TimeValue.timeValueHours(1),
          TimeValue.ZERO,
          Property.NodeScope);

  /** {@code auto} takes the GPU when libtorch has CUDA, {@code cpu} or {@code gpu} insist. */
  public static final Setting<String> DEVICE =
      Setting.simpleString(
          "prosper.device",
          "auto",
          value -> {
            if (!List.of("auto", "cpu", "gpu").contains(value)) {
              throw new IllegalArgumentException(
                  "[prosper.device] must be auto, cpu or gpu, got [" + value + "]");
            }
          },
          Property.NodeScope);

  /** Texts per forward pass. */
  public static final Setting<Integer> BATCH_SIZE =
      Setting.intSetting(
          "prosper.encode.batch_size", 32, 1, 1024, Property.NodeScope, Property.Dynamic);

  /** PyTorch intra-op threads per encoding (0: the node's allocated processors). */
  public static final Setting<Integer> THREADS =
      Setting.intSetting("prosper.encode.threads", 0, 0, 1024, Property.NodeScope);

  /**
   * PyTorch intra-op threads for one query text on the {@code prosper_query} pool (0: as {@link
   * #THREADS}). One thread is as fast for a short text and does not collapse when bulk encodings
   * keep the cores busy.
   */
  public static final Setting<Integer> QUERY_THREADS =
      Setting.intSetting("prosper.query.threads", 1, 0, 1024, Property.NodeScope);

  /**
   * Precision of the two vocabulary projections when a query text is encoded: {@code int8} (7-bit
   * copies with one scale per term in ONNX Runtime, a quarter of the bytes read per query, which is
   * most of a query's cost on a CPU), {@code float16} (half-size copies) or {@code float32} (the
   * weights as trained). Documents are always float32. Applies when a model loads; a change needs a
   * node restart.
   */
  public static final Setting<String> QUERY_PRECISION =
      Setting.simpleString(
          "prosper.query.precision",
          Precision.INT8.id(),
          value -> Precision.of("prosper.query.precision", value),
          Property.NodeScope);

  /**
   * What runs the backbone when a query text is encoded: {@code onnx} (the backbone written as an
   * ONNX graph from the model's weights when it loads and run by the bundled ONNX Runtime, one
   * native call per query instead of one per operation; BERT backbones with last pooling on the
   * CPU) or {@code pytorch} (the same eager pass as documents). Models it does not apply to, and
   * nodes where ONNX Runtime cannot load, keep PyTorch; the model's status says which runs. Applies
   * when a model loads; a change needs a node restart.
   */
  public static final Setting<String> QUERY_RUNTIME =
      Setting.simpleString(
          "prosper.query.runtime",
          QueryRuntime.ONNX.id(),
          value -> QueryRuntime.of("prosper.query.runtime", value),
          Property.NodeScope);

  /**
   * Most characters of one text (a document field, an {@code _encode} text, a query text) before it
   * is tokenized; a longer text is refused with 400 instead of holding the encode thread. The model
   * reads only the first {@code max_length} tokens of what is left.
   */
  public static final Setting<Integer> MAX_TEXT_CHARS =
      Setting.intSetting("prosper.max_text_chars", 32_768, 1, 10_000_000, Property.NodeScope);

  /** Most texts one {@code _encode} request may carry. */
  public static final int MAX_ENCODE_TEXTS = 1000;

  private ProsperSettings() {}

  public static List<Setting<?>> all() {
    return List.of(
        DEVICE,
        BATCH_SIZE,
        THREADS,
        QUERY_THREADS,
        QUERY_PRECISION,
        QUERY_RUNTIME,
        QUERY_CACHE_SIZE,
        QUERY_CACHE_EXPIRE,
        MAX_TEXT_CHARS);
  }

  /**
   * {@code thread_pool.prosper_encode.size} (default 1: one encoding already uses every core) and
   * {@code thread_pool.prosper_encode.queue_size} (default 1000 batches); a full queue answers 429.
   */
  public static ExecutorBuilder<?> encodePool(Settings settings) {
    return new FixedExecutorBuilder(settings, ENCODE_POOL, 1, 1000, "thread_pool." + ENCODE_POOL);
  }

  /**
   * {@code thread_pool.prosper_query.size} (default 1) and {@code
   * thread_pool.prosper_query.queue_size} (default 1000 queries); a full queue answers 429.
   */
  public static ExecutorBuilder<?> queryPool(Settings settings) {
    return new FixedExecutorBuilder(settings, QUERY_POOL, 1, 1000, "thread_pool." + QUERY_POOL);
  }
}
