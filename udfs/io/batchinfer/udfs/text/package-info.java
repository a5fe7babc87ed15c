/**
 * Tokenization of text columns with HuggingFace tokenizers (DJL): the tokenizer wrapper, the token
 * fields a model input can take, and the per-JVM tokenizer cache. Runs on the driver (a check) and
 * on executors; not public API. The cache owns the native tokenizers it hands out.
 */
package io.batchinfer.udfs.text;
