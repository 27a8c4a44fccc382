package dev.prosper.ingest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.opensearch.cluster.service.ClusterApplierService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.ingest.AbstractBatchingProcessor;
import org.opensearch.ingest.ConfigurationUtils;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

/**
 * {@code prosper}: encodes each mapped text field in document mode and writes the term weights to
 * its target field (map the target as {@code rank_features}).
 *
 * <pre>
 * { "prosper": { "model_id": "prosper-en", "field_map": { "title": "title_sparse" },
 *     "batch_size": 128, "top_k": 512, "ignore_missing": false, "skip_existing": false } }
 * </pre>
 *
 * In a {@code _bulk} request the documents of a batch are encoded together. A document whose field
 * is absent (unless {@code ignore_missing}), not a string or blank fails alone, with a message that
 * names the field; the other documents of the batch are encoded and indexed.
 */
public final class ProsperProcessor extends AbstractBatchingProcessor {

  public static final String TYPE = "prosper";
  public static final String MODEL_ID = "model_id";
  public static final String FIELD_MAP = "field_map";
  public static final String TOP_K = "top_k";
  public static final String IGNORE_MISSING = "ignore_missing";
  public static final String SKIP_EXISTING = "skip_existing";
  static final int DEFAULT_BATCH_SIZE = 128;

  /** Most documents encoded together; their texts are held in memory at once. */
  static final int MAX_BATCH_SIZE = 10_000;

  private final String modelId;
  private final Map<String, String> fieldMap;
  private final Integer topK;
  private final boolean ignoreMissing;
  private final boolean skipExisting;
  private final DocumentEncoder encoder;

  ProsperProcessor(
      String tag,
      String description,
      int batchSize,
      String modelId,
      Map<String, String> fieldMap,
      Integer topK,
      boolean ignoreMissing,
      boolean skipExisting,
      DocumentEncoder encoder) {
    super(tag, description, batchSize);
    this.modelId = modelId;
    this.fieldMap = fieldMap;
    this.topK = topK;
    this.ignoreMissing = ignoreMissing;
    this.skipExisting = skipExisting;
    this.encoder = encoder;
  }

  @Override
  public String getType() {
    return TYPE;
  }

  public String modelId() {
    return modelId;
  }

  public Map<String, String> fieldMap() {
    return fieldMap;
  }

  /** One text to encode: which document, which target field. */
  private record Job(int document, String target, String text) {}

  /** Reads the texts of one document; throws a message naming the field when one is invalid. */
  private List<Job> jobs(int index, IngestDocument document) {
    List<Job> jobs = new ArrayList<>();
    for (Map.Entry<String, String> mapping : fieldMap.entrySet()) {
      String source = mapping.getKey();
      String target = mapping.getValue();
      if (skipExisting
          && document.hasField(target)
          && document.getFieldValue(target, Object.class) != null) {
        continue;
      }
      Object value =
          document.hasField(source) ? document.getFieldValue(source, Object.class) : null;
      if (value == null) {
        if (ignoreMissing) {
          continue;
        }
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "[%s] field [%s] is missing or null; set [%s] to true to index such documents without [%s]",
                TYPE,
                source,
                IGNORE_MISSING,
                target));
      }
      if (!(value instanceof String text)) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "[%s] field [%s] must be a string, got [%s]",
                TYPE,
                source,
                value.getClass().getSimpleName()));
      }
      if (Texts.isBlank(text)) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "[%s] field [%s] is empty or only invisible characters; there is nothing to encode",
                TYPE,
                source));
      }
      Texts.checkLength("[" + TYPE + "] field [" + source + "]", text, encoder.maxTextChars());
      jobs.add(new Job(index, target, text));
    }
    return jobs;
  }

  @Override
  public void execute(IngestDocument document, BiConsumer<IngestDocument, Exception> handler) {
    List<Job> jobs;
    try {
      jobs = jobs(0, document);
    } catch (IllegalArgumentException e) {
      handler.accept(null, e);
      return;
    }
    // The handler is called exactly once, outside any try: an exception it throws is not ours
    // to report a second time.
    encode(
        jobs,
        new ActionListener<>() {
          @Override
          public void onResponse(List<Map<String, Float>> weights) {
            Exception failure = null;
            try {
              for (int i = 0; i < jobs.size(); i++) {
                document.setFieldValue(jobs.get(i).target(), weights.get(i));
              }
            } catch (RuntimeException e) {
              failure = targetFailure(e);
            }
            handler.accept(failure == null ? document : null, failure);
          }

          @Override
          public void onFailure(Exception e) {
            handler.accept(null, e);
          }
        });
  }

  /** Why a target field could not be written, naming it. */
  private static IllegalArgumentException targetFailure(RuntimeException e) {
    return new IllegalArgumentException(
        "[" + TYPE + "] cannot write the term weights: " + e.getMessage(), e);
  }

  @Override
  public IngestDocument execute(IngestDocument document) {
    throw new UnsupportedOperationException("[" + TYPE + "] encodes asynchronously");
  }

  /**
   * Hands the results back sorted by slot: sub-batches finish in any order, and OpenSearch 3.4
   * rebuilds the bulk response assuming failures arrive in slot order (else a failure is reported
   * on another document's item). Each wrapper is updated in place and returned exactly once.
   */
  @Override
  public void batchExecute(
      List<IngestDocumentWrapper> documents, Consumer<List<IngestDocumentWrapper>> handler) {
    super.batchExecute(
        documents,
        results -> {
          List<IngestDocumentWrapper> ordered = new ArrayList<>(results);
          ordered.sort(Comparator.comparingInt(IngestDocumentWrapper::getSlot));
          handler.accept(ordered);
        });
  }

  @Override
  protected void subBatchExecute(
      List<IngestDocumentWrapper> documents, Consumer<List<IngestDocumentWrapper>> handler) {
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < documents.size(); i++) {
      IngestDocumentWrapper wrapper = documents.get(i);
      if (wrapper.getException() != null || wrapper.getIngestDocument() == null) {
        continue;
      }
      try {
        jobs.addAll(jobs(i, wrapper.getIngestDocument()));
      } catch (IllegalArgumentException e) {
        // This document fails alone; the others are still encoded.
        wrapper.update(wrapper.getIngestDocument(), e);
      }
    }
    encode(
        jobs,
        new ActionListener<>() {
          @Override
          public void onResponse(List<Map<String, Float>> weights) {
            for (int i = 0; i < jobs.size(); i++) {
              IngestDocumentWrapper wrapper = documents.get(jobs.get(i).document());
              if (wrapper.getException() != null) {
                continue;
              }
              try {
                wrapper.getIngestDocument().setFieldValue(jobs.get(i).target(), weights.get(i));
              } catch (RuntimeException e) {
                // Only this document fails; its siblings keep their weights.
                wrapper.update(wrapper.getIngestDocument(), targetFailure(e));
              }
            }
            handler.accept(documents);
          }

          @Override
          public void onFailure(Exception e) {
            for (Job job : jobs) {
              IngestDocumentWrapper wrapper = documents.get(job.document());
              if (wrapper.getException() == null) {
                wrapper.update(wrapper.getIngestDocument(), e);
              }
            }
            handler.accept(documents);
          }
        });
  }

  /** Encodes the jobs' texts; the listener is called once, whatever the encoder does. */
  private void encode(List<Job> jobs, ActionListener<List<Map<String, Float>>> callback) {
    ActionListener<List<Map<String, Float>>> listener = ActionListener.notifyOnce(callback);
    if (jobs.isEmpty()) {
      listener.onResponse(List.of());
      return;
    }
    List<String> texts = new ArrayList<>(jobs.size());
    for (Job job : jobs) {
      texts.add(job.text());
    }
    try {
      encoder.encodeDocuments(modelId, texts, topK, listener);
    } catch (RuntimeException e) {
      listener.onFailure(e);
    }
  }

  /** Fields the ingest pipeline treats as the document's metadata, never a place for weights. */
  private static final Set<String> METADATA_FIELDS =
      Set.of(
          "_index",
          "_id",
          "_routing",
          "_version",
          "_version_type",
          "_if_seq_no",
          "_if_primary_term",
          "_op_type",
          "_ingest",
          "_source");

  /**
   * What is wrong with a field map, or {@code null}: every source a field name, every target
   * distinct, none a source (or inside one, or holding one) and none a metadata field.
   */
  static String fieldMapProblem(Map<String, String> fieldMap) {
    Set<String> targets = new HashSet<>();
    for (Map.Entry<String, String> entry : fieldMap.entrySet()) {
      String source = entry.getKey();
      String target = entry.getValue();
      if (source.isBlank()) {
        return "a source field name must not be empty";
      }
      if (!targets.add(target)) {
        return "target [" + target + "] is mapped from more than one source field";
      }
      String root = target.startsWith("_source.") ? target.substring("_source.".length()) : target;
      String first = root.contains(".") ? root.substring(0, root.indexOf('.')) : root;
      if (METADATA_FIELDS.contains(target) || METADATA_FIELDS.contains(first)) {
        return "target ["
            + target
            + "] of ["
            + source
            + "] is a metadata field; map the weights to a rank_features field of the document";
      }
      for (String other : fieldMap.keySet()) {
        if (sameOrNested(root, other)) {
          return "target ["
              + target
              + "] of ["
              + source
              + "] would overwrite the text field ["
              + other
              + "]; map the weights to a field of their own";
        }
      }
    }
    return null;
  }

  private static boolean sameOrNested(String a, String b) {
    return a.equals(b) || a.startsWith(b + ".") || b.startsWith(a + ".");
  }

  /** Parses the processor's configuration; a PUT of the pipeline needs the model registered. */
  public static final class Factory extends AbstractBatchingProcessor.Factory {

    private final Supplier<DocumentEncoder> encoder;

    /**
     * @param encoder the node's encoder, looked up when a pipeline is created (the plugin's
     *     components may be created after the ingest service)
     */
    public Factory(Supplier<DocumentEncoder> encoder) {
      super(TYPE);
      this.encoder = encoder;
    }

    @Override
    public AbstractBatchingProcessor create(
        Map<String, org.opensearch.ingest.Processor.Factory> factories,
        String tag,
        String description,
        Map<String, Object> config)
        throws Exception {
      config.putIfAbsent(BATCH_SIZE_FIELD, DEFAULT_BATCH_SIZE);
      return super.create(factories, tag, description, config);
    }

    @Override
    protected AbstractBatchingProcessor newProcessor(
        String tag, String description, int batchSize, Map<String, Object> config) {
      String modelId = ConfigurationUtils.readStringProperty(TYPE, tag, config, MODEL_ID);
      if (modelId.isBlank()) {
        throw ConfigurationUtils.newConfigurationException(
            TYPE, tag, MODEL_ID, "must not be empty");
      }
      Map<String, Object> rawMap = ConfigurationUtils.readMap(TYPE, tag, config, FIELD_MAP);
      if (rawMap.isEmpty()) {
        throw ConfigurationUtils.newConfigurationException(
            TYPE, tag, FIELD_MAP, "must map at least one text field to a rank_features field");
      }
      Map<String, String> fieldMap = new LinkedHashMap<>();
      for (Map.Entry<String, Object> entry : rawMap.entrySet()) {
        if (!(entry.getValue() instanceof String target) || target.isBlank()) {
          throw ConfigurationUtils.newConfigurationException(
              TYPE,
              tag,
              FIELD_MAP,
              "the target of ["
                  + entry.getKey()
                  + "] must be a field name, got ["
                  + entry.getValue()
                  + "]");
        }
        fieldMap.put(entry.getKey(), target);
      }
      String problem = fieldMapProblem(fieldMap);
      if (problem != null) {
        throw ConfigurationUtils.newConfigurationException(TYPE, tag, FIELD_MAP, problem);
      }
      if (batchSize > MAX_BATCH_SIZE) {
        throw ConfigurationUtils.newConfigurationException(
            TYPE,
            tag,
            BATCH_SIZE_FIELD,
            "must be at most " + MAX_BATCH_SIZE + ", got [" + batchSize + "]");
      }
      Integer topK = ConfigurationUtils.readIntProperty(TYPE, tag, config, TOP_K, null);
      if (topK != null && topK < 1) {
        throw ConfigurationUtils.newConfigurationException(
            TYPE, tag, TOP_K, "must be at least 1, got [" + topK + "]");
      }
      boolean ignoreMissing =
          ConfigurationUtils.readBooleanProperty(TYPE, tag, config, IGNORE_MISSING, false);
      boolean skipExisting =
          ConfigurationUtils.readBooleanProperty(TYPE, tag, config, SKIP_EXISTING, false);
      DocumentEncoder documentEncoder = encoder.get();
      // A PUT of the pipeline refuses a model that is not registered. When the node builds its
      // pipelines from the cluster state (at start, on the cluster applier thread), the registry
      // seen may be older than the pipeline, or the model may be re-registered later: the
      // pipeline is built all the same, and each document checks its model when it is encoded.
      if (!Thread.currentThread()
          .getName()
          .contains(ClusterApplierService.CLUSTER_UPDATE_THREAD_NAME)) {
        try {
          documentEncoder.checkRegistered(modelId);
        } catch (IllegalArgumentException e) {
          throw ConfigurationUtils.newConfigurationException(TYPE, tag, MODEL_ID, e.getMessage());
        }
      }
      return new ProsperProcessor(
          tag,
          description,
          batchSize,
          modelId,
          fieldMap,
          topK,
          ignoreMissing,
          skipExisting,
          documentEncoder);
    }
  }
}
