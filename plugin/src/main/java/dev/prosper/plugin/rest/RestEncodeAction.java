package dev.prosper.plugin.rest;

import static org.opensearch.rest.RestRequest.Method.POST;

import dev.prosper.encoder.head.Mode;
import dev.prosper.ingest.Texts;
import dev.prosper.plugin.ProsperSettings;
import dev.prosper.plugin.runtime.EncodeAction;
import dev.prosper.plugin.runtime.ModelRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

/**
 * {@code POST _plugins/prosper/models/{model_id}/_encode} {@code {"texts": [...], "mode":
 * "query"|"document", "top_k": n}}: the served vector of each text ({@code ProsperModel.encode}),
 * literal terms marked. Document weights are what the {@code prosper} processor stores; query
 * weights are what {@code prosper_sparse} scores with (both pruned and normalised as the artefact
 * says).
 */
public final class RestEncodeAction extends BaseRestHandler {

  private static final Set<String> FIELDS = Set.of("texts", "mode", "top_k");

  private final Supplier<ModelRuntime> runtime;

  public RestEncodeAction(Supplier<ModelRuntime> runtime) {
    this.runtime = runtime;
  }

  @Override
  public String getName() {
    return "prosper_encode";
  }

  @Override
  public List<Route> routes() {
    return List.of(new Route(POST, RestModelsAction.BASE + "/{model_id}/_encode"));
  }

  @Override
  protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client)
      throws IOException {
    String modelId = request.param("model_id");
    Map<String, Object> body =
        RestModelsAction.body(request, "{\"texts\": [\"...\"], \"mode\": \"query\"}");
    for (String field : body.keySet()) {
      if (!FIELDS.contains(field)) {
        throw new IllegalArgumentException(
            "unknown field [" + field + "]; _encode takes [texts], [mode] and [top_k]");
      }
    }
    List<String> texts = texts(body.get("texts"));
    for (int i = 0; i < texts.size(); i++) {
      runtime.get().checkLength("[texts][" + i + "]", texts.get(i));
    }
    String modeName = RestModelsAction.stringField(body, "mode");
    Mode mode = Mode.of(modeName == null ? "query" : modeName);
    Integer topK = topK(body.get("top_k"));
    EncodeAction.Request encode = new EncodeAction.Request(modelId, texts, mode, topK);
    return channel ->
        client.execute(EncodeAction.INSTANCE, encode, new RestToXContentListener<>(channel));
  }

  private static List<String> texts(Object value) {
    if (!(value instanceof List<?> list) || list.isEmpty()) {
      throw new IllegalArgumentException("[texts] must be a non-empty array of strings");
    }
    if (list.size() > ProsperSettings.MAX_ENCODE_TEXTS) {
      throw new IllegalArgumentException(
          "[texts] has "
              + list.size()
              + " entries; at most "
              + ProsperSettings.MAX_ENCODE_TEXTS
              + " per request");
    }
    List<String> texts = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof String text)) {
        throw new IllegalArgumentException(
            "[texts][" + i + "] must be a string, got [" + list.get(i) + "]");
      }
      if (Texts.isBlank(text)) {
        throw new IllegalArgumentException(
            "[texts][" + i + "] is empty or only invisible characters; there is nothing to encode");
      }
      texts.add(text);
    }
    return texts;
  }

  private static Integer topK(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof Integer k) || k < 1) {
      throw new IllegalArgumentException(
          "[top_k] must be an integer of at least 1, got [" + value + "]");
    }
    return k;
  }
}
