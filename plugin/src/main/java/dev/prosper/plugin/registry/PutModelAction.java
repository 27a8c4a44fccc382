package dev.prosper.plugin.registry;

import dev.prosper.plugin.ProsperSettings;
import java.io.IOException;
import org.opensearch.ResourceAlreadyExistsException;
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
import org.opensearch.env.Environment;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

/** {@code PUT _plugins/prosper/models/{model_id}}: checks an artefact and records it. */
public final class PutModelAction extends ActionType<AcknowledgedResponse> {

  public static final String NAME = "cluster:admin/prosper/model/put";
  public static final PutModelAction INSTANCE = new PutModelAction();

  private PutModelAction() {
    super(NAME, AcknowledgedResponse::new);
  }

  /** Model id, artefact path relative to the models directory, description. */
  public static final class Request extends AcknowledgedRequest<Request> {
    private final String modelId;
    private final String path;
    private final String description;

    public Request(String modelId, String path, String description) {
      this.modelId = modelId;
      this.path = path;
      this.description = description == null ? "" : description;
    }

    public Request(StreamInput in) throws IOException {
      super(in);
      modelId = in.readString();
      path = in.readString();
      description = in.readString();
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
      super.writeTo(out);
      out.writeString(modelId);
      out.writeString(path);
      out.writeString(description);
    }

    @Override
    public ActionRequestValidationException validate() {
      ActionRequestValidationException errors = ModelIds.validate(modelId, null);
      if (path == null || path.isBlank()) {
        errors = errors == null ? new ActionRequestValidationException() : errors;
        errors.addValidationError(
            "[path] is required: the artefact's directory or zip, relative to config/prosper/models/");
      }
      if (description.length() > MAX_DESCRIPTION_CHARS) {
        errors = errors == null ? new ActionRequestValidationException() : errors;
        errors.addValidationError(
            "[description] has "
                + description.length()
                + " characters; at most "
                + MAX_DESCRIPTION_CHARS
                + " (it is stored in the cluster state)");
      }
      return errors;
    }
  }

  /** Longest description a registration may carry: every node keeps it in the cluster state. */
  public static final int MAX_DESCRIPTION_CHARS = 1000;

  /** Runs on the cluster-manager node, which checks the artefact in its own models directory. */
  public static final class TransportAction extends ModelsUpdateAction<Request> {

    private final ModelFiles files;

    @Inject
    public TransportAction(
        TransportService transportService,
        ClusterService clusterService,
        ThreadPool threadPool,
        ActionFilters actionFilters,
        IndexNameExpressionResolver resolver,
        Environment environment) {
      super(
          NAME,
          transportService,
          clusterService,
          threadPool,
          actionFilters,
          Request::new,
          resolver);
      this.files = new ModelFiles(environment.configDir());
    }

    @Override
    protected String executor() {
      // Hashing the weights takes a moment: not on a transport thread.
      return ThreadPool.Names.GENERIC;
    }

    @Override
    protected void clusterManagerOperation(
        Request request, ClusterState state, ActionListener<AcknowledgedResponse> listener) {
      if (ModelsMetadata.of(state).models().containsKey(request.modelId)) {
        listener.onFailure(duplicate(request.modelId));
        return;
      }
      ModelEntry entry;
      try {
        entry =
            files.describe(
                request.modelId,
                request.path,
                request.description,
                threadPool.absoluteTimeInMillis(),
                clusterService.getClusterSettings().get(ProsperSettings.BATCH_SIZE));
      } catch (RuntimeException e) {
        listener.onFailure(e);
        return;
      }
      submit(
          "prosper-put-model [" + request.modelId + "]",
          request,
          listener,
          models -> {
            if (models.models().containsKey(entry.id())) {
              throw duplicate(entry.id());
            }
            return models.with(entry);
          });
    }

    private static ResourceAlreadyExistsException duplicate(String id) {
      return new ResourceAlreadyExistsException(
          "model [{}] is already registered; delete it first to register another artefact under this id",
          id);
    }
  }
}
