/**
 * ONNX Runtime sessions: the shared environment and the per-JVM session cache that creates one
 * session per model sha256 and options, on executors and in the driver's local mode. Not public
 * API; {@code SessionCache} owns every session and its options and closes them at JVM shutdown.
 */
package io.batchinfer.udfs.session;
