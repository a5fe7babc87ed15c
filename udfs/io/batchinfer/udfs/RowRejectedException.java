package io.batchinfer.udfs;

/**
 * An input row that cannot be scored (null, wrong array length, value out of range), thrown on an
 * executor. The message names the partition, the row's position in it, the row's first passthrough
 * value (its id, usually) and the column; it never quotes the whole row.
 */
public final class RowRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String column;

  public RowRejectedException(String message, String column) {
    super(message);
    this.column = column;
  }

  /**
   * @return the offending column (with element index for arrays)
   */
  public String column() {
    return column;
  }
}
