package dev.prosper.plugin;

import java.util.List;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Setting.Property;
import org.opensearch.common.settings.Settings;
import org.opensearch.threadpool.ExecutorBuilder;
import org.opensearch.threadpool.FixedExecutorBuilder;

/** The plugin's node settings (all in {@code opensearch.yml}; batch size is also dynamic). */
public final class ProsperSettings {

  /** The thread pool every encoding runs on: never transport, search or write threads. */
  public static final String ENCODE_POOL = "prosper_encode";

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

  /** Most texts one {@code _encode} request may carry. */
  public static final int MAX_ENCODE_TEXTS = 1000;

  private ProsperSettings() {}

  public static List<Setting<?>> all() {
    return List.of(DEVICE, BATCH_SIZE, THREADS);
  }

  /**
   * {@code thread_pool.prosper_encode.size} (default 1: one encoding already uses every core) and
   * {@code thread_pool.prosper_encode.queue_size} (default 1000 batches); a full queue answers 429.
   */
  public static ExecutorBuilder<?> encodePool(Settings settings) {
    return new FixedExecutorBuilder(settings, ENCODE_POOL, 1, 1000, "thread_pool." + ENCODE_POOL);
  }
}
