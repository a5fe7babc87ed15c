/**
 * The engine's public API for Java and Scala Spark programs: the {@link
 * io.batchinfer.udfs.BatchInference} builder, the immutable request and plan, input/output
 * mappings, option enums, metrics and exception types. Planning runs on the driver; the plan ships
 * executor work through {@code io.batchinfer.udfs.exec}. Nothing here owns a native resource: ONNX
 * Runtime sessions belong to {@code io.batchinfer.udfs.session.SessionCache}.
 */
package io.batchinfer.udfs;
