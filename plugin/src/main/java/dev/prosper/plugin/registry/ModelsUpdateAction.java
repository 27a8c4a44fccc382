package dev.prosper.plugin.registry;

import java.io.IOException;
import java.util.function.UnaryOperator;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.clustermanager.AcknowledgedRequest;
import org.opensearch.action.support.clustermanager.AcknowledgedResponse;
import org.opensearch.action.support.clustermanager.TransportClusterManagerNodeAction;
import org.opensearch.cluster.AckedClusterStateUpdateTask;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.block.ClusterBlockException;
import org.opensearch.cluster.block.ClusterBlockLevel;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

/** A change to the registered models, run on the cluster-manager node and acknowledged. */
abstract class ModelsUpdateAction<R extends AcknowledgedRequest<R>>
    extends TransportClusterManagerNodeAction<R, AcknowledgedResponse> {

  ModelsUpdateAction(
      String name,
      TransportService transportService,
      ClusterService clusterService,
      ThreadPool threadPool,
      ActionFilters actionFilters,
      Writeable.Reader<R> reader,
      IndexNameExpressionResolver resolver) {
    super(name, transportService, clusterService, threadPool, actionFilters, reader, resolver);
  }

  @Override
  protected AcknowledgedResponse read(StreamInput in) throws IOException {
    return new AcknowledgedResponse(in);
  }

  @Override
  protected ClusterBlockException checkBlock(R request, ClusterState state) {
    return state.blocks().globalBlockedException(ClusterBlockLevel.METADATA_WRITE);
  }

  /**
   * Replaces the registered models with {@code update} of the current ones; {@code update} may
   * throw to refuse the change (the listener gets the exception).
   */
  void submit(
      String source,
      R request,
      ActionListener<AcknowledgedResponse> listener,
      UnaryOperator<ModelsMetadata> update) {
    clusterService.submitStateUpdateTask(
        source,
        new AckedClusterStateUpdateTask<>(request, listener) {
          @Override
          public ClusterState execute(ClusterState current) {
            ModelsMetadata updated = update.apply(ModelsMetadata.of(current));
            return ClusterState.builder(current)
                .metadata(
                    Metadata.builder(current.metadata()).putCustom(ModelsMetadata.TYPE, updated))
                .build();
          }

          @Override
          protected AcknowledgedResponse newResponse(boolean acknowledged) {
            return new AcknowledgedResponse(acknowledged);
          }
        });
  }
}
