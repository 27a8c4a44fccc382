package dev.prosper.plugin.registry;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;

/**
 * A registered model as every node sees it in the cluster state.
 *
 * @param path artefact path relative to {@code config/prosper/models/}
 * @param sha256 SHA-256 of the artefact's weights; every node checks its copy against it
 * @param tokenizerSha256 SHA-256 of its {@code tokenizer.json}
 * @param manifestSha256 SHA-256 of its {@code prosper.json} (null in entries registered before it
 *     was recorded)
 * @param head the artefact's head configuration (pooling, lrn, windows, query_top_k, ...)
 */
public record ModelEntry(
    String id,
    String path,
    String description,
    String sha256,
    String tokenizerSha256,
    String manifestSha256,
    String architecture,
    int vocabularySize,
    Map<String, Object> head,
    long registeredAtMillis)
    implements Writeable, ToXContentObject {

  public ModelEntry {
    Objects.requireNonNull(id);
    Objects.requireNonNull(path);
    Objects.requireNonNull(sha256);
    description = description == null ? "" : description;
    head = Map.copyOf(new TreeMap<>(head));
  }

  public static ModelEntry readFrom(StreamInput in) throws IOException {
    return new ModelEntry(
        in.readString(),
        in.readString(),
        in.readString(),
        in.readString(),
        in.readString(),
        in.readOptionalString(),
        in.readString(),
        in.readVInt(),
        in.readMap(),
        in.readVLong());
  }

  @Override
  public void writeTo(StreamOutput out) throws IOException {
    out.writeString(id);
    out.writeString(path);
    out.writeString(description);
    out.writeString(sha256);
    out.writeString(tokenizerSha256);
    out.writeOptionalString(manifestSha256);
    out.writeString(architecture);
    out.writeVInt(vocabularySize);
    out.writeMap(new TreeMap<>(head));
    out.writeVLong(registeredAtMillis);
  }

  @Override
  public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
    builder.startObject();
    fields(builder);
    return builder.endObject();
  }

  /** The entry's fields, without the enclosing object (for responses that add to it). */
  public XContentBuilder fields(XContentBuilder builder) throws IOException {
    builder.field("model_id", id);
    builder.field("path", path);
    builder.field("description", description);
    builder.field("sha256", sha256);
    builder.field("tokenizer_sha256", tokenizerSha256);
    if (manifestSha256 != null) {
      builder.field("manifest_sha256", manifestSha256);
    }
    builder.field("architecture", architecture);
    builder.field("vocabulary_size", vocabularySize);
    builder.field("head", new TreeMap<>(head));
    builder.field("registered_at", registeredAtMillis);
    return builder;
  }

  /** Parses what {@link #toXContent} wrote (the cluster state as persisted on disk). */
  public static ModelEntry fromXContent(XContentParser parser) throws IOException {
    Map<String, Object> map = parser.map();
    return new ModelEntry(
        (String) map.get("model_id"),
        (String) map.get("path"),
        (String) map.get("description"),
        (String) map.get("sha256"),
        (String) map.get("tokenizer_sha256"),
        (String) map.get("manifest_sha256"),
        (String) map.get("architecture"),
        ((Number) map.get("vocabulary_size")).intValue(),
        castMap(map.get("head")),
        ((Number) map.get("registered_at")).longValue());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object value) {
    return (Map<String, Object>) value;
  }
}
