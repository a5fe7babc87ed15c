/**
 * Shared building blocks that turn Spark rows into ONNX tensors and output tensors back into Spark
 * values: bindings are built on the driver, encoders and decoders run on executors. Not public API;
 * each encoder owns its direct buffers, and the tensors it creates are closed by the caller after
 * the batch's run.
 */
package io.batchinfer.udfs.codec;
