package dev.prosper.plugin.registry;

import java.io.IOException;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;
import org.opensearch.Version;
import org.opensearch.cluster.AbstractNamedDiffable;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.NamedDiff;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;

/**
 * The registered models, a custom part of the cluster metadata: every node agrees on it, and it is
 * persisted with the cluster state, so it survives a full restart.
 */
public final class ModelsMetadata extends AbstractNamedDiffable<Metadata.Custom>
    implements Metadata.Custom {

  public static final String TYPE = "prosper_models";
  public static final ModelsMetadata EMPTY = new ModelsMetadata(Map.of());

  private final Map<String, ModelEntry> models;

  public ModelsMetadata(Map<String, ModelEntry> models) {
    this.models = Collections.unmodifiableMap(new TreeMap<>(models));
  }

  public ModelsMetadata(StreamInput in) throws IOException {
    this(in.readMap(StreamInput::readString, ModelEntry::readFrom));
  }

  /** The registered models of a cluster state (empty when none was ever registered). */
  public static ModelsMetadata of(ClusterState state) {
    ModelsMetadata metadata = state.metadata().custom(TYPE);
    return metadata == null ? EMPTY : metadata;
  }

  public Map<String, ModelEntry> models() {
    return models;
  }

  public ModelsMetadata with(ModelEntry entry) {
    Map<String, ModelEntry> copy = new TreeMap<>(models);
    copy.put(entry.id(), entry);
    return new ModelsMetadata(copy);
  }

  public ModelsMetadata without(String id) {
    Map<String, ModelEntry> copy = new TreeMap<>(models);
    copy.remove(id);
    return new ModelsMetadata(copy);
  }

  @Override
  public EnumSet<Metadata.XContentContext> context() {
    return Metadata.ALL_CONTEXTS;
  }

  @Override
  public String getWriteableName() {
    return TYPE;
  }

  @Override
  public Version getMinimalSupportedVersion() {
    return Version.CURRENT.minimumCompatibilityVersion();
  }

  @Override
  public void writeTo(StreamOutput out) throws IOException {
    out.writeMap(models, StreamOutput::writeString, (o, entry) -> entry.writeTo(o));
  }

  public static NamedDiff<Metadata.Custom> readDiffFrom(StreamInput in) throws IOException {
    return readDiffFrom(Metadata.Custom.class, TYPE, in);
  }

  @Override
  public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
    builder.startObject("models");
    for (ModelEntry entry : models.values()) {
      builder.field(entry.id());
      entry.toXContent(builder, params);
    }
    return builder.endObject();
  }

  /** Parses what {@link #toXContent} wrote, the parser being on the custom's start object. */
  public static ModelsMetadata fromXContent(XContentParser parser) throws IOException {
    Map<String, ModelEntry> models = new TreeMap<>();
    XContentParser.Token token;
    while ((token = parser.nextToken()) != XContentParser.Token.END_OBJECT) {
      if (token == XContentParser.Token.FIELD_NAME && "models".equals(parser.currentName())) {
        parser.nextToken();
        while (parser.nextToken() != XContentParser.Token.END_OBJECT) {
          parser.nextToken();
          ModelEntry entry = ModelEntry.fromXContent(parser);
          models.put(entry.id(), entry);
        }
      }
    }
    return new ModelsMetadata(models);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ModelsMetadata that && models.equals(that.models);
  }

  @Override
  public int hashCode() {
    return models.hashCode();
  }
}
