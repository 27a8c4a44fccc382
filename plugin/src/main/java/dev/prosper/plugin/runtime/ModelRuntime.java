package dev.prosper.plugin.runtime;

import ai.djl.Device;
import dev.prosper.encoder.SparseVector;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.artefact.ArtefactException;
import dev.prosper.encoder.head.Mode;
import dev.prosper.encoder.model.Devices;
import dev.prosper.encoder.model.Precision;
import dev.prosper.encoder.model.ProsperModel;
import dev.prosper.encoder.model.QueryRuntime;
import dev.prosper.ingest.DocumentEncoder;
import dev.prosper.ingest.Texts;
import dev.prosper.plugin.ProsperSettings;
import dev.prosper.plugin.query.QueryEncoder;
import dev.prosper.plugin.registry.ModelEntry;
import dev.prosper.plugin.registry.ModelFiles;
import dev.prosper.plugin.registry.ModelsMetadata;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.lucene.search.IndexSearcher;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.ResourceNotFoundException;
import org.opensearch.cluster.ClusterChangedEvent;
import org.opensearch.cluster.ClusterStateListener;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.cache.Cache;
import org.opensearch.common.cache.CacheBuilder;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.common.util.concurrent.AbstractRunnable;
import org.opensearch.common.util.concurrent.OpenSearchExecutors;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.concurrency.OpenSearchRejectedExecutionException;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.env.Environment;
import org.opensearch.threadpool.ThreadPool;

/**
 * The node's PROSPER models, shared by ingest and search. A model is loaded on first use (from this
 * node's {@code config/prosper/models/}, after checking that its weights are the registered ones),
 * kept while it stays registered, and unloaded when it is deleted. Every encoding runs on the
 * bounded {@code prosper_encode} pool; a full queue fails the request with 429.
 */
public final class ModelRuntime
    implements DocumentEncoder, QueryEncoder, ClusterStateListener, Closeable {

  private static final Logger LOGGER = LogManager.getLogger(ModelRuntime.class);

  /** A model's load state on this node. */
  public enum State {
    LOADING,
    LOADED,
    FAILED
  }

  /**
   * What this node knows about one model.
   *
   * @param queryRuntime what runs the backbone of query texts once loaded ({@code onnx} or {@code
   *     pytorch}), else null
   * @param queryPrecision the number format of query texts' vocabulary projections once loaded,
   *     else null
   */
  public record ModelStatus(
      String id,
      State state,
      String sha256,
      String device,
      String queryRuntime,
      String queryPrecision,
      String error) {}

  /** Node counters since start. */
  public record Counters(
      long requests,
      long textsEncoded,
      long encodeNanos,
      long rejections,
      long errors,
      long cacheHits,
      long cacheMisses,
      long cacheEvictions,
      long cacheEntries,
      long modelsInMemory) {}

  /** A cached query encoding: the weights' checksum keeps a re-registered model's apart. */
  private record QueryKey(String modelId, String sha256, String text, Integer topK) {}

  /**
   * What makes two registrations the same artefact on this node: its path and the checksums of its
   * three files. Ids registered with the same artefact share one loaded model.
   */
  private record ArtefactKey(String path, String sha256, String tokenizerSha256, String manifest) {
    static ArtefactKey of(ModelEntry entry) {
      return new ArtefactKey(
          entry.path(), entry.sha256(), entry.tokenizerSha256(), entry.manifestSha256());
    }
  }

  private static final class Loaded {
    final ArtefactKey key;
    final ProsperModel model;
    final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    boolean closed;

    /** Model ids using this load; guarded by {@link ModelRuntime#shared}. */
    int users = 1;

    Loaded(ArtefactKey key, ProsperModel model) {
      this.key = key;
      this.model = model;
    }
  }

  /** Guards {@link Loaded#users}: a load is shared, and freed when its last id lets it go. */
  private final Object shared = new Object();

  /** One lock per artefact, held while it is looked up among the loaded copies and loaded. */
  private final Map<ArtefactKey, Object> artefactLocks = new ConcurrentHashMap<>();

  /**
   * Loads in progress, by model id and weights' checksum: one generic thread runs each load, and
   * every encoding that needs it waits on this future, not on a thread.
   */
  private final Map<String, CompletableFuture<Void>> pendingLoads = new ConcurrentHashMap<>();

  /** Encodings waiting for a load, bounded like the encode queue: beyond it they get 429. */
  private final AtomicInteger waitingForLoad = new AtomicInteger();

  static final int MAX_WAITING_FOR_LOAD = 1000;

  private final ClusterService clusterService;
  private final ThreadPool threadPool;
  private final ModelFiles files;
  private final Path djlCache;
  private final String deviceSetting;

  /**
   * Intra-op threads of document and {@code _encode} batches (0: the engine's own count, {@code
   * ai.djl.pytorch.num_threads} when set, else PyTorch's default) and of one query text.
   */
  private final int threads;

  private final int queryThreads;
  private final Precision queryPrecision;
  private final QueryRuntime queryRuntime;

  /** ONNX Runtime's intra-op threads for one query batch: never 0 (it has no engine default). */
  private final int onnxQueryThreads;

  private volatile int batchSize;
  private final int maxTextChars;

  private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();
  private final Map<String, ModelStatus> statuses = new ConcurrentHashMap<>();
  private final Map<String, Object> loadLocks = new ConcurrentHashMap<>();

  /**
   * A node-local load failure (503: files missing or unreadable; 409: another copy), answered again
   * without touching the files until {@link #RETRY_AFTER_NANOS} has passed.
   */
  private record Failure(String sha256, String message, RestStatus status, long atNanos) {}

  private final Map<String, Failure> failures = new ConcurrentHashMap<>();

  /** How long a node-local load failure is remembered before the files are read again. */
  static final long RETRY_AFTER_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final LongAdder requests = new LongAdder();
  private final LongAdder texts = new LongAdder();
  private final LongAdder nanos = new LongAdder();
  private final LongAdder rejections = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private volatile Device device;

  /** Encoded query texts; {@code null} when {@code prosper.query_cache.size} is 0. */
  private final Cache<QueryKey, SparseVector> queryCache;

  public ModelRuntime(
      Settings settings, Environment environment, ClusterService clusterService, ThreadPool pool) {
    this.clusterService = clusterService;
    this.threadPool = pool;
    this.files = new ModelFiles(environment.configDir());
    this.djlCache = environment.dataFiles()[0].resolve("prosper-djl-cache");
    this.deviceSetting = ProsperSettings.DEVICE.get(settings);
    this.threads = ProsperSettings.THREADS.get(settings);
    int query = ProsperSettings.QUERY_THREADS.get(settings);
    this.queryThreads = query > 0 ? query : threads;
    this.queryPrecision =
        Precision.of("prosper.query.precision", ProsperSettings.QUERY_PRECISION.get(settings));
    this.queryRuntime =
        QueryRuntime.of("prosper.query.runtime", ProsperSettings.QUERY_RUNTIME.get(settings));
    this.onnxQueryThreads =
        queryThreads > 0 ? queryThreads : OpenSearchExecutors.allocatedProcessors(settings);
    this.batchSize = ProsperSettings.BATCH_SIZE.get(settings);
    this.maxTextChars = ProsperSettings.MAX_TEXT_CHARS.get(settings);
    int cacheSize = ProsperSettings.QUERY_CACHE_SIZE.get(settings);
    TimeValue expire = ProsperSettings.QUERY_CACHE_EXPIRE.get(settings);
    if (cacheSize > 0) {
      CacheBuilder<QueryKey, SparseVector> builder =
          CacheBuilder.<QueryKey, SparseVector>builder().setMaximumWeight(cacheSize);
      if (expire.nanos() > 0) {
        builder.setExpireAfterAccess(expire);
      }
      queryCache = builder.build();
    } else {
      queryCache = null;
    }
    clusterService
        .getClusterSettings()
        .addSettingsUpdateConsumer(ProsperSettings.BATCH_SIZE, this::setBatchSize);
    clusterService.addListener(this);
    Djl.configure(djlCache, threads);
  }

  private void setBatchSize(int size) {
    batchSize = size;
    for (Loaded model : loaded.values()) {
      model.model.setBatchSize(size);
    }
  }

  public ModelFiles files() {
    return files;
  }

  /**
   * The registered entry of a model.
   *
   * @throws ResourceNotFoundException (404) when no model has this id
   */
  public ModelEntry registered(String modelId) {
    ModelEntry entry = ModelsMetadata.of(clusterService.state()).models().get(modelId);
    if (entry == null) {
      throw new ResourceNotFoundException(
          "model [{}] is not registered; register it with PUT _plugins/prosper/models/{}",
          modelId,
          modelId);
    }
    return entry;
  }

  @Override
  public void checkRegistered(String modelId) {
    try {
      registered(modelId);
    } catch (ResourceNotFoundException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  @Override
  public int maxTextChars() {
    return maxTextChars;
  }

  /**
   * Refuses a text over {@code prosper.max_text_chars}, naming it.
   *
   * @param name how the request calls the text ({@code [texts][3]}, {@code [query_text]})
   */
  public void checkLength(String name, String text) {
    Texts.checkLength(name, text, maxTextChars);
  }

  @Override
  public void encodeDocuments(
      String modelId,
      List<String> texts,
      Integer topK,
      ActionListener<List<Map<String, Float>>> listener) {
    encode(
        modelId,
        texts,
        Mode.DOCUMENT,
        topK,
        ActionListener.map(
            listener,
            encoded -> {
              List<Map<String, Float>> weights = new ArrayList<>(encoded.size());
              for (SparseVector text : encoded) {
                weights.add(text.weights());
              }
              return weights;
            }));
  }

  /**
   * A query text's served vector: from the query cache, else encoded on the {@code prosper_query}
   * pool (never behind bulk encodings) and cached.
   */
  @Override
  public void encodeQuery(
      String modelId, String text, Integer topK, ActionListener<SparseVector> listener) {
    try {
      checkLength("[prosper_sparse] [query_text]", text);
    } catch (IllegalArgumentException e) {
      listener.onFailure(e);
      return;
    }
    ModelEntry entry = registeredOrFail(modelId, listener);
    if (entry == null) {
      return;
    }
    QueryKey key = new QueryKey(modelId, entry.sha256(), text, topK);
    if (queryCache != null) {
      SparseVector cached = queryCache.get(key);
      if (cached != null) {
        requests.increment();
        listener.onResponse(cached);
        return;
      }
    }
    encode(
        entry,
        List.of(text),
        Mode.QUERY,
        topK,
        ProsperSettings.QUERY_POOL,
        ActionListener.map(
            listener,
            list -> {
              if (queryCache != null) {
                queryCache.put(key, list.get(0));
              }
              return list.get(0);
            }));
  }

  /**
   * Encodes texts on the encode pool into their served vectors ({@link ProsperModel#encode}).
   *
   * @param topK terms kept per text; {@code null}: the artefact's served size, for queries capped
   *     by the clause limit ({@link dev.prosper.encoder.head.HeadConfig#servedTopK(Mode, Integer,
   *     int)})
   */
  public void encode(
      String modelId,
      List<String> texts,
      Mode mode,
      Integer topK,
      ActionListener<List<SparseVector>> listener) {
    ModelEntry entry = registeredOrFail(modelId, listener);
    if (entry != null) {
      encode(entry, texts, mode, topK, ProsperSettings.ENCODE_POOL, listener);
    }
  }

  /** The registered entry, or {@code null} after failing the listener (counted as an error). */
  private ModelEntry registeredOrFail(String modelId, ActionListener<?> listener) {
    try {
      return registered(modelId);
    } catch (RuntimeException e) {
      requests.increment();
      errors.increment();
      listener.onFailure(e);
      return null;
    }
  }

  private void encode(
      ModelEntry entry,
      List<String> texts,
      Mode mode,
      Integer topK,
      String pool,
      ActionListener<List<SparseVector>> listener) {
    ActionListener<List<SparseVector>> once = ActionListener.notifyOnce(listener);
    requests.increment();
    int intraOpThreads = pool.equals(ProsperSettings.QUERY_POOL) ? queryThreads : threads;
    AbstractRunnable task =
        new AbstractRunnable() {
          @Override
          protected void doRun() {
            List<SparseVector> result;
            try {
              result = encodeNow(entry, texts, mode, topK, intraOpThreads);
            } catch (Exception e) {
              errors.increment();
              once.onFailure(e);
              return;
            }
            once.onResponse(result);
          }

          @Override
          public void onRejection(Exception e) {
            rejections.increment();
            once.onFailure(
                new OpenSearchRejectedExecutionException(
                    "["
                        + pool
                        + "] queue is full; retry later or raise"
                        + " thread_pool."
                        + pool
                        + ".queue_size",
                    true));
          }

          @Override
          public void onFailure(Exception e) {
            errors.increment();
            once.onFailure(e);
          }
        };
    Runnable submit =
        () -> {
          try {
            threadPool.executor(pool).execute(task);
          } catch (OpenSearchRejectedExecutionException e) {
            task.onRejection(e);
          }
        };
    if (loadedCopy(entry) != null) {
      submit.run();
      return;
    }
    // Loading takes seconds: it runs on the generic pool, so that the encode and query pools'
    // threads never wait for it (other models' encodings and loaded models' queries go on).
    if (waitingForLoad.incrementAndGet() > MAX_WAITING_FOR_LOAD) {
      waitingForLoad.decrementAndGet();
      task.onRejection(new OpenSearchRejectedExecutionException("too many waiting for a load"));
      return;
    }
    loading(entry)
        .whenComplete(
            (done, e) -> {
              waitingForLoad.decrementAndGet();
              if (e == null) {
                submit.run();
              } else {
                errors.increment();
                once.onFailure(
                    e instanceof Exception exception ? exception : new RuntimeException(e));
              }
            });
  }

  /** The load of this entry in progress, or a new one started on the generic pool. */
  private CompletableFuture<Void> loading(ModelEntry entry) {
    String key = entry.id() + "@" + entry.sha256();
    CompletableFuture<Void> future = new CompletableFuture<>();
    CompletableFuture<Void> running = pendingLoads.putIfAbsent(key, future);
    if (running != null) {
      return running;
    }
    try {
      threadPool
          .generic()
          .execute(
              () -> {
                try {
                  load(entry);
                  future.complete(null);
                } catch (Exception e) {
                  future.completeExceptionally(e);
                } finally {
                  pendingLoads.remove(key, future);
                }
              });
    } catch (RuntimeException e) {
      pendingLoads.remove(key, future);
      future.completeExceptionally(e);
    }
    return future;
  }

  private List<SparseVector> encodeNow(
      ModelEntry entry, List<String> input, Mode mode, Integer topK, int intraOpThreads)
      throws IOException {
    Loaded model = load(entry);
    model.lock.readLock().lock();
    try {
      if (model.closed) {
        throw new ResourceNotFoundException("model [{}] was deleted while encoding", entry.id());
      }
      int limit = mode == Mode.QUERY ? IndexSearcher.getMaxClauseCount() : Integer.MAX_VALUE;
      int k = model.model.head().servedTopK(mode, topK, limit);
      long start = System.nanoTime();
      if (!device.isGpu()) {
        Devices.intraOpThreads(intraOpThreads);
      }
      List<SparseVector> result = model.model.encode(input, mode, k);
      nanos.add(System.nanoTime() - start);
      texts.add(input.size());
      return result;
    } finally {
      model.lock.readLock().unlock();
    }
  }

  /** This id's loaded copy when it holds the registered weights, else {@code null}. */
  private Loaded loadedCopy(ModelEntry entry) {
    Loaded copy = loaded.get(entry.id());
    return copy != null && copy.key.sha256().equals(entry.sha256()) ? copy : null;
  }

  private Loaded load(ModelEntry entry) throws IOException {
    Loaded current = loadedCopy(entry);
    if (current != null) {
      return current;
    }
    synchronized (loadLocks.computeIfAbsent(entry.id(), id -> new Object())) {
      current = loadedCopy(entry);
      if (current != null) {
        return current;
      }
      Failure failure = failures.get(entry.id());
      if (failure != null
          && failure.sha256().equals(entry.sha256())
          && System.nanoTime() - failure.atNanos() < RETRY_AFTER_NANOS) {
        throw new OpenSearchStatusException(failure.message(), failure.status());
      }
      statuses.put(
          entry.id(),
          new ModelStatus(entry.id(), State.LOADING, entry.sha256(), null, null, null, null));
      ArtefactKey key = ArtefactKey.of(entry);
      Loaded fresh;
      Loaded previous;
      // One lock per artefact: two ids of the same artefact loading at once share one copy.
      synchronized (artefactLocks.computeIfAbsent(key, k -> new Object())) {
        try {
          fresh = shareOrLoad(entry, key);
        } catch (IOException | RuntimeException e) {
          recordFailure(entry, e);
          throw e;
        }
        previous = loaded.put(entry.id(), fresh);
      }
      failures.remove(entry.id());
      // Whoever takes a copy out of the map lets it go, exactly once (here or clusterChanged).
      if (previous != null && previous != fresh) {
        unload(previous);
      }
      // A delete (or a re-registration) applied while this load ran: the listener saw nothing
      // loaded yet, so this load undoes itself rather than keep a model nobody can delete.
      ModelEntry now = ModelsMetadata.of(clusterService.state()).models().get(entry.id());
      if (now == null || !now.sha256().equals(entry.sha256())) {
        if (loaded.remove(entry.id(), fresh)) {
          unload(fresh);
        }
        statuses.remove(entry.id());
        throw new ResourceNotFoundException(
            "model [{}] was deleted or re-registered while it loaded", entry.id());
      }
      statuses.put(
          entry.id(),
          new ModelStatus(
              entry.id(),
              State.LOADED,
              entry.sha256(),
              device.toString(),
              fresh.model.queryRuntime().id(),
              fresh.model.queryPrecision().id(),
              null));
      return fresh;
    }
  }

  /** A failed load: remembered when node-local (503, 409), and shown in the model's status. */
  private void recordFailure(ModelEntry entry, Exception e) {
    if (e instanceof OpenSearchStatusException status
        && (status.status() == RestStatus.SERVICE_UNAVAILABLE
            || status.status() == RestStatus.CONFLICT)) {
      failures.put(
          entry.id(),
          new Failure(entry.sha256(), status.getMessage(), status.status(), System.nanoTime()));
    }
    statuses.put(
        entry.id(),
        new ModelStatus(
            entry.id(),
            State.FAILED,
            entry.sha256(),
            null,
            null,
            null,
            files.hidePaths(e.getMessage())));
  }

  /**
   * Reads this node's copy of the artefact once ({@link Artefact#open}): 400 when it is invalid,
   * 409 when its weights are not the registered ones (checked before any weight is read).
   */
  private ProsperModel loadModel(ModelEntry entry) throws IOException {
    String node = clusterService.localNode().getName();
    Path path;
    try {
      path = files.resolve(entry.path());
    } catch (OpenSearchStatusException e) {
      throw unavailable(entry, node, e.getMessage());
    }
    long start = System.nanoTime();
    ProsperModel model;
    try {
      model =
          Djl.call(
              () -> {
                if (device == null) {
                  device = Devices.resolve(deviceSetting);
                }
                ProsperModel opened =
                    Artefact.open(
                            path,
                            device,
                            manifest -> {
                              checkCopy(entry, node, manifest);
                              String memory = ModelFiles.memoryProblem(manifest, batchSize);
                              if (memory != null) {
                                throw unavailable(entry, node, memory);
                              }
                            })
                        .model();
                useQuerySettings(entry, opened);
                return opened;
              });
    } catch (ArtefactException e) {
      throw unavailable(entry, node, files.hidePaths(e.getMessage()));
    }
    model.setBatchSize(batchSize);
    LOGGER.info(
        "loaded PROSPER model [{}] from [{}] on [{}] in {} ms",
        entry.id(),
        path,
        device,
        (System.nanoTime() - start) / 1_000_000);
    return model;
  }

  /**
   * Sets the node's {@code prosper.query.precision} and {@code prosper.query.runtime} on a freshly
   * opened model. Where ONNX Runtime cannot run here (no native library for this platform, a graph
   * it refuses), queries fall back with a warning rather than the model failing: int8 projections
   * to float16, the ONNX backbone to PyTorch (the terms are the same within float rounding).
   */
  private void useQuerySettings(ModelEntry entry, ProsperModel model) {
    try {
      model.setQueryPrecision(queryPrecision);
    } catch (IllegalStateException | LinkageError e) {
      LOGGER.warn(
          "model [{}]: ONNX Runtime cannot run int8 query projections here, they run in float16: {}",
          entry.id(),
          e.toString());
      model.setQueryPrecision(Precision.FLOAT16);
    }
    try {
      model.setQueryRuntime(queryRuntime, onnxQueryThreads);
    } catch (IllegalStateException | LinkageError e) {
      LOGGER.warn(
          "model [{}]: ONNX Runtime is not available for query texts, they run in PyTorch: {}",
          entry.id(),
          e.toString());
    }
  }

  /**
   * 503: this node's copy of a registered artefact is missing or unreadable. Retryable: the other
   * nodes keep serving, and copying the files here fixes it without a restart.
   */
  private static OpenSearchStatusException unavailable(
      ModelEntry entry, String node, String problem) {
    return new OpenSearchStatusException(
        "model ["
            + entry.id()
            + "] is not available on node ["
            + node
            + "]: "
            + problem
            + "; copy the registered artefact to this node's config/prosper/models/",
        RestStatus.SERVICE_UNAVAILABLE);
  }

  private static void checkCopy(ModelEntry entry, String node, Artefact.Manifest manifest) {
    if (entry.tokenizerSha256() != null) {
      requireSame(
          entry, node, "a tokenizer.json", manifest.tokenizerSha256(), entry.tokenizerSha256());
    }
    if (entry.manifestSha256() != null) {
      requireSame(entry, node, "a prosper.json", manifest.manifestSha256(), entry.manifestSha256());
    }
    requireSame(entry, node, "weights", manifest.weightsSha256(), entry.sha256());
  }

  /** 409 naming the node and the file when this node's copy of a file is not the registered one. */
  private static void requireSame(
      ModelEntry entry, String node, String file, String found, String registered) {
    if (!found.equals(registered)) {
      throw new OpenSearchStatusException(
          String.format(
              Locale.ROOT,
              "model [%s]: the artefact at [%s] on node [%s] has %s with sha256 [%s], but [%s]"
                  + " was registered; copy the registered artefact to every node",
              entry.id(),
              entry.path(),
              node,
              file,
              found,
              registered),
          RestStatus.CONFLICT);
    }
  }

  /**
   * Another id's load of the same artefact (one more user), else a new load of it; called under the
   * artefact's lock.
   */
  private Loaded shareOrLoad(ModelEntry entry, ArtefactKey key) throws IOException {
    synchronized (shared) {
      for (Loaded other : loaded.values()) {
        if (other.key.equals(key) && other.users > 0) {
          other.users++;
          LOGGER.info(
              "PROSPER model [{}] shares the loaded copy of artefact [{}]", entry.id(), key.path());
          return other;
        }
      }
    }
    return new Loaded(key, loadModel(entry));
  }

  /** One id lets its load go; the last one frees it. */
  private void unload(Loaded model) {
    synchronized (shared) {
      if (--model.users > 0) {
        return;
      }
    }
    threadPool.generic().execute(() -> free(model));
  }

  /** Closes a model under its write lock: after running encodings, before any new one. */
  private static void free(Loaded model) {
    model.lock.writeLock().lock();
    try {
      if (!model.closed) {
        model.closed = true;
        model.model.close();
      }
    } finally {
      model.lock.writeLock().unlock();
    }
  }

  /** Unloads models that were deleted or re-registered with other weights. */
  @Override
  public void clusterChanged(ClusterChangedEvent event) {
    if (!event.metadataChanged()) {
      return;
    }
    Map<String, ModelEntry> registered = ModelsMetadata.of(event.state()).models();
    for (String id : List.copyOf(statuses.keySet())) {
      ModelEntry entry = registered.get(id);
      ModelStatus status = statuses.get(id);
      if (entry == null || (status != null && !entry.sha256().equals(status.sha256()))) {
        statuses.remove(id);
        failures.remove(id);
        forgetQueries(id);
        Loaded model = loaded.remove(id);
        if (model != null) {
          LOGGER.info("unloading PROSPER model [{}]: it is no longer registered", id);
          unload(model);
        }
      }
    }
  }

  /** Drops the cached query encodings of a model that was deleted or re-registered. */
  private void forgetQueries(String modelId) {
    if (queryCache == null) {
      return;
    }
    List<QueryKey> stale = new ArrayList<>();
    for (QueryKey key : queryCache.keys()) {
      if (key.modelId().equals(modelId)) {
        stale.add(key);
      }
    }
    stale.forEach(queryCache::invalidate);
  }

  /** Load state of each model this node has tried to load, by id. */
  public Map<String, ModelStatus> statuses() {
    return new TreeMap<>(statuses);
  }

  public Counters counters() {
    Cache.CacheStats cache =
        queryCache == null ? new Cache.CacheStats(0, 0, 0) : queryCache.stats();
    return new Counters(
        requests.sum(),
        texts.sum(),
        nanos.sum(),
        rejections.sum(),
        errors.sum(),
        cache.getHits(),
        cache.getMisses(),
        cache.getEvictions(),
        queryCache == null ? 0 : queryCache.count(),
        // Ids registered with the same artefact share one copy.
        Set.copyOf(loaded.values()).size());
  }

  /** Frees every model, each under its write lock, so that no encoding uses one being freed. */
  @Override
  public void close() {
    Set.copyOf(loaded.values()).forEach(ModelRuntime::free);
    loaded.clear();
  }
}
