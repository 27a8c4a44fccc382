package dev.prosper.training.bench;

import picocli.CommandLine.Option;

/** Where the node is and which registered model to use (shared by the node commands). */
public final class NodeOptions {

  @Option(names = "--url", description = "The node or cluster.")
  public String url = "http://127.0.0.1:9200";

  @Option(names = "--model-id", required = true, description = "Registered PROSPER model.")
  public String modelId;
}
