package dev.prosper.plugin;

import dev.prosper.ingest.ProsperProcessor;
import dev.prosper.plugin.query.ProsperSparseQueryBuilder;
import dev.prosper.plugin.registry.DeleteModelAction;
import dev.prosper.plugin.registry.ModelsMetadata;
import dev.prosper.plugin.registry.PutModelAction;
import dev.prosper.plugin.rest.RestEncodeAction;
import dev.prosper.plugin.rest.RestModelsAction;
import dev.prosper.plugin.rest.RestStatsAction;
import dev.prosper.plugin.runtime.EncodeAction;
import dev.prosper.plugin.runtime.ModelRuntime;
import dev.prosper.plugin.runtime.NodesStatsAction;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.lucene.util.SetOnce;
import org.opensearch.cluster.NamedDiff;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.IndexScopedSettings;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.settings.SettingsFilter;
import org.opensearch.core.ParseField;
import org.opensearch.core.common.io.stream.NamedWriteableRegistry;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.env.Environment;
import org.opensearch.env.NodeEnvironment;
import org.opensearch.ingest.Processor;
import org.opensearch.plugins.ActionPlugin;
import org.opensearch.plugins.IngestPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.SearchPlugin;
import org.opensearch.repositories.RepositoriesService;
import org.opensearch.rest.RestController;
import org.opensearch.rest.RestHandler;
import org.opensearch.script.ScriptService;
import org.opensearch.threadpool.ExecutorBuilder;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.client.Client;
import org.opensearch.watcher.ResourceWatcherService;

/**
 * Wires PROSPER into OpenSearch: the model registry and its REST API, the node's model runtime and
 * its thread pool, the {@code prosper} ingest processor and the {@code prosper_sparse} query.
 */
public class ProsperPlugin extends Plugin implements ActionPlugin, IngestPlugin, SearchPlugin {

  private static final Logger LOGGER = LogManager.getLogger(ProsperPlugin.class);

  private final SetOnce<ModelRuntime> runtime = new SetOnce<>();
  private final SetOnce<ClusterService> clusterService = new SetOnce<>();

  public ProsperPlugin() {
    LOGGER.info(
        "PROSPER plugin loaded: query [{}], processor [{}]",
        ProsperSparseQueryBuilder.NAME,
        ProsperProcessor.TYPE);
  }

  @Override
  public Collection<Object> createComponents(
      Client client,
      ClusterService clusterService,
      ThreadPool threadPool,
      ResourceWatcherService resourceWatcherService,
      ScriptService scriptService,
      NamedXContentRegistry xContentRegistry,
      Environment environment,
      NodeEnvironment nodeEnvironment,
      NamedWriteableRegistry namedWriteableRegistry,
      IndexNameExpressionResolver indexNameExpressionResolver,
      Supplier<RepositoriesService> repositoriesServiceSupplier) {
    ModelRuntime models =
        new ModelRuntime(environment.settings(), environment, clusterService, threadPool);
    this.runtime.set(models);
    this.clusterService.set(clusterService);
    ProsperSparseQueryBuilder.setQueryEncoder(models);
    LOGGER.info("PROSPER models directory: [{}]", models.files().root());
    return List.of(models);
  }

  @Override
  public List<Setting<?>> getSettings() {
    return ProsperSettings.all();
  }

  @Override
  public List<ExecutorBuilder<?>> getExecutorBuilders(Settings settings) {
    return List.of(ProsperSettings.encodePool(settings), ProsperSettings.queryPool(settings));
  }

  @Override
  public List<ActionHandler<?, ?>> getActions() {
    return List.of(
        new ActionHandler<>(PutModelAction.INSTANCE, PutModelAction.TransportAction.class),
        new ActionHandler<>(DeleteModelAction.INSTANCE, DeleteModelAction.TransportAction.class),
        new ActionHandler<>(NodesStatsAction.INSTANCE, NodesStatsAction.TransportAction.class),
        new ActionHandler<>(EncodeAction.INSTANCE, EncodeAction.TransportAction.class));
  }

  @Override
  public List<RestHandler> getRestHandlers(
      Settings settings,
      RestController restController,
      ClusterSettings clusterSettings,
      IndexScopedSettings indexScopedSettings,
      SettingsFilter settingsFilter,
      IndexNameExpressionResolver indexNameExpressionResolver,
      Supplier<DiscoveryNodes> nodesInCluster) {
    return List.of(
        new RestModelsAction(clusterService::get),
        new RestEncodeAction(runtime::get),
        new RestStatsAction());
  }

  @Override
  public Map<String, Processor.Factory> getProcessors(Processor.Parameters parameters) {
    return Map.of(ProsperProcessor.TYPE, new ProsperProcessor.Factory(runtime::get));
  }

  @Override
  public List<NamedWriteableRegistry.Entry> getNamedWriteables() {
    return List.of(
        new NamedWriteableRegistry.Entry(
            Metadata.Custom.class, ModelsMetadata.TYPE, ModelsMetadata::new),
        new NamedWriteableRegistry.Entry(
            NamedDiff.class, ModelsMetadata.TYPE, ModelsMetadata::readDiffFrom));
  }

  @Override
  public List<NamedXContentRegistry.Entry> getNamedXContent() {
    return List.of(
        new NamedXContentRegistry.Entry(
            Metadata.Custom.class,
            new ParseField(ModelsMetadata.TYPE),
            ModelsMetadata::fromXContent));
  }

  @Override
  public List<QuerySpec<?>> getQueries() {
    return List.of(
        new QuerySpec<>(
            ProsperSparseQueryBuilder.NAME,
            ProsperSparseQueryBuilder::new,
            ProsperSparseQueryBuilder::fromXContent));
  }

  @Override
  public void close() {
    ModelRuntime models = runtime.get();
    if (models != null) {
      models.close();
    }
  }
}
