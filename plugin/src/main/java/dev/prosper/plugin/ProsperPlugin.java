package dev.prosper.plugin;

import dev.prosper.plugin.query.ProsperSparseQueryBuilder;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.SearchPlugin;

/** Wires PROSPER into OpenSearch. Holds no logic of its own. */
public class ProsperPlugin extends Plugin implements SearchPlugin {

  private static final Logger LOGGER = LogManager.getLogger(ProsperPlugin.class);

  public ProsperPlugin() {
    LOGGER.info("PROSPER plugin loaded: query [{}]", ProsperSparseQueryBuilder.NAME);
  }

  @Override
  public List<QuerySpec<?>> getQueries() {
    return List.of(
        new QuerySpec<>(
            ProsperSparseQueryBuilder.NAME,
            ProsperSparseQueryBuilder::new,
            ProsperSparseQueryBuilder::fromXContent));
  }
}
