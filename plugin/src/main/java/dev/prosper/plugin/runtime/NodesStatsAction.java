package dev.prosper.plugin.runtime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.opensearch.action.ActionType;
import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.action.support.nodes.BaseNodesRequest;
import org.opensearch.action.support.nodes.BaseNodesResponse;
import org.opensearch.action.support.nodes.TransportNodesAction;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportRequest;
import org.opensearch.transport.TransportService;

/**
 * Collects every node's PROSPER runtime: which models it loaded (and how that went) and its
 * encoding counters. Backs {@code GET _plugins/prosper/stats} and the per-node load state of {@code
 * GET _plugins/prosper/models}.
 */
public final class NodesStatsAction extends ActionType<NodesStatsAction.Response> {

  public static final String NAME = "cluster:monitor/prosper/stats";
  public static final NodesStatsAction INSTANCE = new NodesStatsAction();

  private NodesStatsAction() {
    super(NAME, Response::new);
  }

  public static final class Request extends BaseNodesRequest<Request> {
    public Request(String... nodeIds) {
      super(nodeIds);
    }

    public Request(StreamInput in) throws IOException {
      super(in);
    }
  }

  public static final class NodeRequest extends TransportRequest {
    public NodeRequest() {}

    public NodeRequest(StreamInput in) throws IOException {
      super(in);
    }
  }

  /** One node's runtime. */
  public static final class NodeStats extends BaseNodeResponse {
    private final ModelRuntime.Counters counters;
    private final Map<String, ModelRuntime.ModelStatus> models;

    NodeStats(
        DiscoveryNode node,
        ModelRuntime.Counters counters,
        Map<String, ModelRuntime.ModelStatus> models) {
      super(node);
      this.counters = counters;
      this.models = models;
    }

    NodeStats(StreamInput in) throws IOException {
      super(in);
      counters =
          new ModelRuntime.Counters(
              in.readVLong(),
              in.readVLong(),
              in.readVLong(),
              in.readVLong(),
              in.readVLong(),
              in.readVLong(),
              in.readVLong(),
              in.readVLong(),
              in.readVLong(),
              in.readVLong());
      models =
          in.readMap(
              StreamInput::readString,
              input ->
                  new ModelRuntime.ModelStatus(
                      input.readString(),
                      input.readEnum(ModelRuntime.State.class),
                      input.readString(),
                      input.readOptionalString(),
                      input.readOptionalString(),
                      input.readOptionalString(),
                      input.readOptionalString()));
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
      super.writeTo(out);
      out.writeVLong(counters.requests());
      out.writeVLong(counters.textsEncoded());
      out.writeVLong(counters.encodeNanos());
      out.writeVLong(counters.rejections());
      out.writeVLong(counters.errors());
      out.writeVLong(counters.cacheHits());
      out.writeVLong(counters.cacheMisses());
      out.writeVLong(counters.cacheEvictions());
      out.writeVLong(counters.cacheEntries());
      out.writeVLong(counters.modelsInMemory());
      out.writeMap(
          models,
          StreamOutput::writeString,
          (output, status) -> {
            output.writeString(status.id());
            output.writeEnum(status.state());
            output.writeString(status.sha256());
            output.writeOptionalString(status.device());
            output.writeOptionalString(status.queryRuntime());
            output.writeOptionalString(status.queryPrecision());
            output.writeOptionalString(status.error());
          });
    }

    public Map<String, ModelRuntime.ModelStatus> models() {
      return models;
    }

    /** A model's state on this node as JSON fields. */
    public static void statusFields(XContentBuilder builder, ModelRuntime.ModelStatus status)
        throws IOException {
      builder.field("state", status.state().name().toLowerCase(java.util.Locale.ROOT));
      if (status.device() != null) {
        builder.field("device", status.device());
      }
      if (status.queryRuntime() != null) {
        builder.field("query_runtime", status.queryRuntime());
      }
      if (status.queryPrecision() != null) {
        builder.field("query_precision", status.queryPrecision());
      }
      if (status.error() != null) {
        builder.field("error", status.error());
      }
    }

    void toXContent(XContentBuilder builder) throws IOException {
      builder.startObject(getNode().getId());
      builder.field("name", getNode().getName());
      builder.field(
          "models_loaded",
          models.values().stream().filter(s -> s.state() == ModelRuntime.State.LOADED).count());
      builder.field("models_in_memory", counters.modelsInMemory());
      builder.field("requests", counters.requests());
      builder.field("texts_encoded", counters.textsEncoded());
      builder.field("encode_time_in_millis", counters.encodeNanos() / 1_000_000);
      builder.field("rejections", counters.rejections());
      builder.field("errors", counters.errors());
      builder.startObject("query_cache");
      builder.field("hits", counters.cacheHits());
      builder.field("misses", counters.cacheMisses());
      builder.field("evictions", counters.cacheEvictions());
      builder.field("entries", counters.cacheEntries());
      builder.endObject();
      builder.startObject("models");
      for (ModelRuntime.ModelStatus status : models.values()) {
        builder.startObject(status.id());
        statusFields(builder, status);
        builder.endObject();
      }
      builder.endObject();
      builder.endObject();
    }
  }

  public static final class Response extends BaseNodesResponse<NodeStats>
      implements ToXContentObject {

    public Response(StreamInput in) throws IOException {
      super(in);
    }

    Response(ClusterName cluster, List<NodeStats> nodes, List<FailedNodeException> failures) {
      super(cluster, nodes, failures);
    }

    @Override
    protected List<NodeStats> readNodesFrom(StreamInput in) throws IOException {
      return in.readList(NodeStats::new);
    }

    @Override
    protected void writeNodesTo(StreamOutput out, List<NodeStats> nodes) throws IOException {
      out.writeList(nodes);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
      builder.startObject();
      builder.startObject("_nodes");
      builder.field("total", getNodes().size() + failures().size());
      builder.field("successful", getNodes().size());
      builder.field("failed", failures().size());
      builder.endObject();
      builder.field("cluster_name", getClusterName().value());
      builder.startObject("nodes");
      Map<String, NodeStats> sorted = new TreeMap<>(getNodesMap());
      for (NodeStats node : sorted.values()) {
        node.toXContent(builder);
      }
      builder.endObject();
      return builder.endObject();
    }
  }

  public static final class TransportAction
      extends TransportNodesAction<Request, Response, NodeRequest, NodeStats> {

    private final ModelRuntime runtime;

    @Inject
    public TransportAction(
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        ModelRuntime runtime) {
      super(
          NAME,
          threadPool,
          clusterService,
          transportService,
          actionFilters,
          Request::new,
          NodeRequest::new,
          ThreadPool.Names.MANAGEMENT,
          NodeStats.class);
      this.runtime = runtime;
    }

    @Override
    protected Response newResponse(
        Request request, List<NodeStats> nodes, List<FailedNodeException> failures) {
      return new Response(clusterService.getClusterName(), new ArrayList<>(nodes), failures);
    }

    @Override
    protected NodeRequest newNodeRequest(Request request) {
      return new NodeRequest();
    }

    @Override
    protected NodeStats newNodeResponse(StreamInput in) throws IOException {
      return new NodeStats(in);
    }

    @Override
    protected NodeStats nodeOperation(NodeRequest request) {
      return new NodeStats(clusterService.localNode(), runtime.counters(), runtime.statuses());
    }
  }
}
