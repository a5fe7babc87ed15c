package io.batchinfer.udfs.codec;

/**
 * Why one input row cannot be encoded: the column (with element path for arrays) and a reason
 * that never quotes the whole row. Immutable.
 *
 * @param column the input column, e.g. {@code features} or {@code features[3]}
 * @param message what was wrong, e.g. {@code null value}
 */
public record RowProblem(String column, String message) {}
