/**
 * The {@code prosper} ingest processor: encodes mapped text fields of a document into {@code
 * rank_features} term weights with a registered PROSPER model. The processor arrives with the model
 * registry (issue "plugin: model registry, the prosper ingest processor ..."); until then this
 * module only has its place in the build and in the plugin zip.
 */
package dev.prosper.ingest;
