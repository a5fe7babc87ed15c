/**
 * The engine as a Spark ML Pipeline stage: {@link io.batchinfer.udfs.ml.OnnxTransformer}, with
 * Params for the builder's options, saved and loaded with the model bytes inside the stage folder.
 * Public API. Planning ({@code transformSchema}, the start of {@code transform}) runs on the
 * driver; scoring ships through the same partition function as {@link
 * io.batchinfer.udfs.BatchInference}. Nothing here owns a native resource.
 */
package io.batchinfer.udfs.ml;
