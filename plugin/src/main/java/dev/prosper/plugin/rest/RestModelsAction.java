package dev.prosper.plugin.rest;

import static org.opensearch.rest.RestRequest.Method.DELETE;
import static org.opensearch.rest.RestRequest.Method.GET;
import static org.opensearch.rest.RestRequest.Method.PUT;

import dev.prosper.plugin.registry.DeleteModelAction;
import dev.prosper.plugin.registry.ModelEntry;
import dev.prosper.plugin.registry.ModelsMetadata;
import dev.prosper.plugin.registry.PutModelAction;
import dev.prosper.plugin.runtime.ModelRuntime;
import dev.prosper.plugin.runtime.NodesStatsAction;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.opensearch.ResourceNotFoundException;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

/**
 * The model registry:
 *
 * <ul>
 *   <li>{@code PUT _plugins/prosper/models/{model_id}} {@code {"path": "...", "description":
 *       "..."}}
 *   <li>{@code GET _plugins/prosper/models[/{model_id}]}: the registration and each node's load
 *       state
 *   <li>{@code DELETE _plugins/prosper/models/{model_id}}
 * </ul>
 */
public final class RestModelsAction extends BaseRestHandler {

  static final String BASE = "/_plugins/prosper/models";
  private static final Set<String> PUT_FIELDS = Set.of("path", "description");

  private final Supplier<ClusterService> clusterService;

  public RestModelsAction(Supplier<ClusterService> clusterService) {
    this.clusterService = clusterService;
  }

  @Override
  public String getName() {
    return "prosper_models";
  }

  @Override
  public List<Route> routes() {
    return List.of(
        new Route(GET, BASE),
        new Route(GET, BASE + "/{model_id}"),
        new Route(PUT, BASE + "/{model_id}"),
        new Route(DELETE, BASE + "/{model_id}"));
  }

  @Override
  protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client)
      throws IOException {
    String modelId = request.param("model_id");
    return switch (request.method()) {
      case PUT -> put(request, client, modelId);
      case DELETE ->
          channel ->
              client.execute(
                  DeleteModelAction.INSTANCE,
                  new DeleteModelAction.Request(modelId),
                  new RestToXContentListener<>(channel));
      default -> get(client, modelId);
    };
  }

  private RestChannelConsumer put(RestRequest request, NodeClient client, String modelId)
      throws IOException {
    Map<String, Object> body =
        body(
            request,
            "{\"path\": \"<artefact under config/prosper/models/>\", \"description\": \"...\"}");
    for (String field : body.keySet()) {
      if (!PUT_FIELDS.contains(field)) {
        throw new IllegalArgumentException(
            "unknown field [" + field + "]; a registration takes [path] and [description]");
      }
    }
    String path = stringField(body, "path");
    String description = stringField(body, "description");
    PutModelAction.Request put = new PutModelAction.Request(modelId, path, description);
    return channel ->
        client.execute(PutModelAction.INSTANCE, put, new RestToXContentListener<>(channel));
  }

  /** Answers with the exception's status and OpenSearch's error body. */
  static void sendError(org.opensearch.rest.RestChannel channel, Exception e) {
    try {
      channel.sendResponse(new BytesRestResponse(channel, e));
    } catch (IOException inner) {
      inner.addSuppressed(e);
      channel.sendResponse(
          new BytesRestResponse(RestStatus.INTERNAL_SERVER_ERROR, inner.toString()));
    }
  }

  /**
   * A request's body as a JSON object; 400 when it is missing, not an object or not parseable (too
   * deeply nested included), never a 500.
   *
   * @param usage the body the endpoint takes, for the message
   */
  static Map<String, Object> body(RestRequest request, String usage) {
    if (!request.hasContent()) {
      throw new IllegalArgumentException("request body is required: " + usage);
    }
    try (var parser = request.contentParser()) {
      return parser.map();
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "request body must be a JSON object like " + usage + ": " + e.getMessage());
    }
  }

  static String stringField(Map<String, Object> body, String field) {
    Object value = body.get(field);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw new IllegalArgumentException(
        "[" + field + "] must be a string, got [" + value.getClass().getSimpleName() + "]");
  }

  private RestChannelConsumer get(NodeClient client, String modelId) {
    Map<String, ModelEntry> registered = ModelsMetadata.of(clusterService.get().state()).models();
    if (modelId != null && !registered.containsKey(modelId)) {
      throw new ResourceNotFoundException("model [{}] is not registered", modelId);
    }
    Map<String, ModelEntry> shown =
        modelId == null ? registered : Map.of(modelId, registered.get(modelId));
    return channel ->
        client.execute(
            NodesStatsAction.INSTANCE,
            new NodesStatsAction.Request(),
            ActionListener.wrap(
                nodes -> {
                  XContentBuilder builder = channel.newBuilder();
                  builder.startObject().startObject("models");
                  for (ModelEntry entry : new java.util.TreeMap<>(shown).values()) {
                    builder.startObject(entry.id());
                    entry.fields(builder);
                    builder.startObject("nodes");
                    for (NodesStatsAction.NodeStats node : nodes.getNodes()) {
                      builder.startObject(node.getNode().getId());
                      builder.field("name", node.getNode().getName());
                      ModelRuntime.ModelStatus status = node.models().get(entry.id());
                      if (status == null) {
                        builder.field("state", "not_loaded");
                      } else {
                        NodesStatsAction.NodeStats.statusFields(builder, status);
                      }
                      builder.endObject();
                    }
                    builder.endObject();
                    builder.endObject();
                  }
                  builder.endObject().endObject();
                  channel.sendResponse(new BytesRestResponse(RestStatus.OK, builder));
                },
                e -> RestModelsAction.sendError(channel, e)));
  }
}
