package dev.prosper.plugin.rest;

import static org.opensearch.rest.RestRequest.Method.GET;

import dev.prosper.plugin.runtime.NodesStatsAction;
import java.util.List;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

/**
 * {@code GET _plugins/prosper/stats} and {@code GET _plugins/prosper/{node_id}/stats}: per node,
 * models loaded, requests, texts encoded, encode time, rejections (full queue) and errors.
 */
public final class RestStatsAction extends BaseRestHandler {

  @Override
  public String getName() {
    return "prosper_stats";
  }

  @Override
  public List<Route> routes() {
    return List.of(
        new Route(GET, "/_plugins/prosper/stats"),
        new Route(GET, "/_plugins/prosper/{node_id}/stats"));
  }

  @Override
  protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
    String[] nodes = request.paramAsStringArray("node_id", new String[0]);
    return channel ->
        client.execute(
            NodesStatsAction.INSTANCE,
            new NodesStatsAction.Request(nodes),
            new RestToXContentListener<>(channel));
  }
}
