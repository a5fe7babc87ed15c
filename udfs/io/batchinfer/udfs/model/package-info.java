/**
 * The model as bytes and as a signature: reading model and tokenizer files through Hadoop (with
 * sha256 pins), element types, shapes and tensor specs. Runs on the driver (reading, checking) and
 * on executors (types and shapes); no native resources. {@code ModelArtifact} and {@code
 * ModelSignature} appear in the public API.
 */
package io.batchinfer.udfs.model;
