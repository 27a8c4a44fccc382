package dev.prosper.plugin.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * Runs DJL inside the node: offline, with its native libraries extracted under the node's data
 * path, and with the plugin's class loader as the thread's context class loader (DJL finds its
 * engine through it).
 */
public final class Djl {

  private static volatile boolean configured;

  private Djl() {}

  /** Runs a DJL action with the plugin's class loader as context class loader. */
  public static <T> T call(Callable<T> action) throws IOException {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(Djl.class.getClassLoader());
    try {
      return action.call();
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  /**
   * Sets DJL's system properties once per JVM, before any DJL class runs: offline (no model zoo, no
   * telemetry), native libraries under {@code cacheDirectory}, PyTorch threads.
   */
  public static synchronized void configure(Path cacheDirectory, int threads) {
    if (configured) {
      return;
    }
    try {
      Files.createDirectories(cacheDirectory);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the DJL cache " + cacheDirectory, e);
    }
    // Never reach the network; keep the ~450 MB of extracted native libraries with the node.
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("DJL_CACHE_DIR", cacheDirectory.toString());
    System.setProperty("ENGINE_CACHE_DIR", cacheDirectory.toString());
    if (threads > 0) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    }
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    configured = true;
  }
}
