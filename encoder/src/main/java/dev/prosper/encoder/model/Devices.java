package dev.prosper.encoder.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Device selection: {@code cpu}, {@code gpu} (the first CUDA device; fails when the loaded libtorch
 * has no CUDA) or {@code auto} (a GPU when one is visible to a CUDA libtorch, else the CPU).
 *
 * <p>DJL loads the CPU libtorch bundled with PROSPER unless told otherwise. On a GPU machine, point
 * DJL at a CUDA build of libtorch 2.7.1 before the first model loads: set {@code
 * PYTORCH_LIBRARY_PATH} to its {@code lib/} directory, {@code PYTORCH_VERSION=2.7.1} and {@code
 * PYTORCH_FLAVOR=cu128} (environment variables or system properties).
 */
public final class Devices {

  private Devices() {}

  /**
   * @throws IllegalArgumentException for an unknown choice, or {@code gpu} without a usable GPU
   */
  public static Device resolve(String choice) {
    return switch (choice) {
      case "cpu" -> Device.cpu();
      case "auto" -> gpuCount() > 0 ? Device.gpu() : Device.cpu();
      case "gpu" -> {
        if (gpuCount() == 0) {
          throw new IllegalArgumentException(
              "[device] is gpu but the loaded libtorch sees no CUDA device; configure a CUDA"
                  + " libtorch (PYTORCH_LIBRARY_PATH, PYTORCH_FLAVOR) or use cpu/auto");
        }
        yield Device.gpu();
      }
      default ->
          throw new IllegalArgumentException(
              "[device] must be auto, cpu or gpu, got [" + choice + "]");
    };
  }

  /** PyTorch's own intra-op thread count as the engine started (0: not seen yet). */
  private static final AtomicInteger ENGINE_THREADS = new AtomicInteger();

  /**
   * Sets PyTorch's intra-op threads (CPU) for the operations the calling thread runs next; OpenMP
   * keeps the count per thread, so a query thread and a document thread can differ. One short query
   * runs about as fast on one thread as on several, and on a busy machine each of its ~200 small
   * operations would otherwise wait at a barrier for a thread without a core; batches of documents
   * gain from more.
   *
   * @param threads the count; 0 or less: the engine's own (its default, or {@code
   *     ai.djl.pytorch.num_threads}), as it was before any thread set one
   */
  public static void intraOpThreads(int threads) {
    int current = JniUtils.getNumThreads();
    // The first call in the process sees the engine's count: nothing has set one yet.
    ENGINE_THREADS.compareAndSet(0, current);
    int wanted = threads > 0 ? threads : ENGINE_THREADS.get();
    if (current != wanted) {
      JniUtils.setNumThreads(wanted);
    }
  }

  private static int gpuCount() {
    return Engine.getEngine("PyTorch").getGpuCount();
  }
}
