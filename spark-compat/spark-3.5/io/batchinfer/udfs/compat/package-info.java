/**
 * The single seam between batchinfer and the Spark APIs that differ from one Spark line to the
 * next. Not API: {@code spark-compat/spark-3.5} and {@code spark-compat/spark-4} each hold a class
 * of the same name, and the Maven profile compiles one of them. Driver only; owns no native
 * resources.
 */
package io.batchinfer.udfs.compat;
