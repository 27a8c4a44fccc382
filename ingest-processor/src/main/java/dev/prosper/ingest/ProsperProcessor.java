package dev.prosper.ingest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
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
      if (skipExisting && document.hasField(target)) {
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
      if (text.isBlank()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT, "[%s] field [%s] is empty; there is nothing to encode", TYPE, source));
      }
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
    encode(
        jobs,
        ActionListener.wrap(
            weights -> {
              for (int i = 0; i < jobs.size(); i++) {
                document.setFieldValue(jobs.get(i).target(), weights.get(i));
              }
              handler.accept(document, null);
            },
            e -> handler.accept(null, e)));
  }

  @Override
  public IngestDocument execute(IngestDocument document) {
    throw new UnsupportedOperationException("[" + TYPE + "] encodes asynchronously");
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
        ActionListener.wrap(
            weights -> {
              for (int i = 0; i < jobs.size(); i++) {
                Job job = jobs.get(i);
                documents
                    .get(job.document())
                    .getIngestDocument()
                    .setFieldValue(job.target(), weights.get(i));
              }
              handler.accept(documents);
            },
            e -> {
              for (Job job : jobs) {
                IngestDocumentWrapper wrapper = documents.get(job.document());
                if (wrapper.getException() == null) {
                  wrapper.update(wrapper.getIngestDocument(), e);
                }
              }
              handler.accept(documents);
            }));
  }

  private void encode(List<Job> jobs, ActionListener<List<Map<String, Float>>> listener) {
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

  /** Parses the processor's configuration; the model must be registered. */
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
      try {
        documentEncoder.checkRegistered(modelId);
      } catch (IllegalArgumentException e) {
        throw ConfigurationUtils.newConfigurationException(TYPE, tag, MODEL_ID, e.getMessage());
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
