package dev.prosper.plugin.registry;

import java.io.IOException;
import org.opensearch.ResourceNotFoundException;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.action.ActionType;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.clustermanager.AcknowledgedRequest;
import org.opensearch.action.support.clustermanager.AcknowledgedResponse;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

/**
 * {@code DELETE _plugins/prosper/models/{model_id}}: forgets a model; every node unloads it. The
 * artefact's files are left in place.
 */
public final class DeleteModelAction extends ActionType<AcknowledgedResponse> {

  public static final String NAME = "cluster:admin/prosper/model/delete";
  public static final DeleteModelAction INSTANCE = new DeleteModelAction();

  private DeleteModelAction() {
    super(NAME, AcknowledgedResponse::new);
  }

  public static final class Request extends AcknowledgedRequest<Request> {
    private final String modelId;

    public Request(String modelId) {
      this.modelId = modelId;
    }

    public Request(StreamInput in) throws IOException {
      super(in);
      modelId = in.readString();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
      super.writeTo(out);
      out.writeString(modelId);
    }

    @Override
    public ActionRequestValidationException validate() {
      return ModelIds.validate(modelId, null);
    }
  }

  public static final class TransportAction extends ModelsUpdateAction<Request> {

    @Inject
    public TransportAction(
        TransportService transportService,
        ClusterService clusterService,
        ThreadPool threadPool,
        ActionFilters actionFilters,
        IndexNameExpressionResolver resolver) {
      super(
          NAME,
          transportService,
          clusterService,
          threadPool,
          actionFilters,
          Request::new,
          resolver);
    }

    @Override
    protected String executor() {
      return ThreadPool.Names.SAME;
    }

    @Override
    protected void clusterManagerOperation(
        Request request, ClusterState state, ActionListener<AcknowledgedResponse> listener) {
      submit(
          "prosper-delete-model [" + request.modelId + "]",
          request,
          listener,
          models -> {
            if (!models.models().containsKey(request.modelId)) {
              throw new ResourceNotFoundException("model [{}] is not registered", request.modelId);
            }
            return models.without(request.modelId);
          });
    }
  }
}
