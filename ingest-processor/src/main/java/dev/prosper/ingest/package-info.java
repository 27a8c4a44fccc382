/**
 * The {@code prosper} ingest processor: encodes mapped text fields of a document into {@code
 * rank_features} term weights with a registered PROSPER model. Encoding itself is the plugin's (see
 * {@link dev.prosper.ingest.DocumentEncoder}); this package parses the processor's configuration,
 * reads and validates the fields, and writes the weights.
 */
package dev.prosper.ingest;
