package io.batchinfer.udfs.codec;

import io.batchinfer.udfs.model.Shapes;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DecimalType;

/**
 * Shared walk of an {@link InputBinding}'s columns for one row: null checks, array lengths against
 * the model's fixed dimensions (free dimensions are taken from the first row of each batch and
 * every other row of the batch must match), and leaf values handed to {@link #putLeaf}. Subclasses
 * decide where leaves go. Not thread-safe.
 */
abstract class TensorEncoder implements InputEncoder {
  protected final InputBinding binding;
  protected final int batchSize;

  /** The binding's arrays, copied once (its accessors copy on every call). */
  private final String[] columns;

  private final int[] ordinals;
  private final SourceKind[] kinds;
  private final DecimalType[] decimalTypes;
  private final long[] rowShape;

  /** Per-row shape of the current batch: the binding's shape with free dimensions resolved. */
  protected final long[] dims;

  private final boolean hasFreeDims;
  protected int rows;

  TensorEncoder(InputBinding binding, int batchSize) {
    this.binding = binding;
    this.batchSize = batchSize;
    this.columns = binding.columns();
    this.ordinals = binding.ordinals();
    this.kinds = binding.kinds();
    this.decimalTypes = binding.decimalTypes();
    this.rowShape = binding.rowShape();
    this.dims = rowShape.clone();
    boolean free = false;
    for (long d : dims) {
      free |= d < 0;
    }
    this.hasFreeDims = free;
  }

  /** Appends one leaf value; returns why it cannot be cast (column unset), or null. */
  protected abstract RowProblem putLeaf(
      SpecializedGetters src, int ordinal, SourceKind kind, DecimalType decimalType);

  /**
   * Appends a whole leaf array at once when the subclass can do it exactly (no nulls, a source and
   * target type it copies in bulk, every value valid). Returns false, having written nothing, when
   * the element-by-element path must handle it (and name any bad element).
   */
  protected boolean putLeafArray(ArrayData array, int n) {
    return false;
  }

  /**
   * Called before the first row of a batch, once {@link #dims} is known; starts writing at the
   * beginning.
   */
  protected abstract void prepareBatch(long elementsPerRow);

  /** Remembers the write position at the start of a row (after the first row of a batch). */
  protected abstract void mark();

  /** Goes back to the position of the last {@link #mark()}, dropping a partly written row. */
  protected abstract void rollback();

  @Override
  public final RowProblem append(InternalRow row) {
    if (rows > 0) {
      mark();
    }
    RowProblem problem = appendRow(row);
    if (problem != null) {
      rollback();
      if (rows == 0) {
        resetDims();
      }
      return problem;
    }
    rows++;
    return null;
  }

  private RowProblem appendRow(InternalRow row) {
    if (binding.layout() == InputLayout.COLUMNS) {
      if (rows == 0) {
        prepareBatch(Shapes.elementCount(dims));
      }
      String[] columns = this.columns;
      for (int c = 0; c < columns.length; c++) {
        int ordinal = ordinals[c];
        if (row.isNullAt(ordinal)) {
          return new RowProblem(RowProblem.NULL_VALUE, columns[c], "null value");
        }
        RowProblem error = putLeaf(row, ordinal, kinds[c], decimalTypes[c]);
        if (error != null) {
          return error.at(columns[c]);
        }
      }
      return null;
    }
    String column = columns[0];
    int ordinal = ordinals[0];
    if (row.isNullAt(ordinal)) {
      return new RowProblem(RowProblem.NULL_VALUE, column, "null value");
    }
    ArrayData array = row.getArray(ordinal);
    if (rows == 0) {
      if (hasFreeDims) {
        resolveFreeDims(array);
      }
      prepareBatch(Shapes.elementCount(dims));
    }
    return writeArray(array, 0, column);
  }

  private RowProblem writeArray(ArrayData array, int depth, String path) {
    int n = array.numElements();
    if (n != dims[depth]) {
      String expected =
          rowShape[depth] >= 0
              ? "model input '"
                  + binding.onnxName()
                  + "' expects "
                  + dims[depth]
                  + " (row shape "
                  + Shapes.format(rowShape)
                  + ")"
              : dims[depth]
                  + " like the first row of this batch (model input '"
                  + binding.onnxName()
                  + "' has a free dimension here, but one batch is one tensor, so its rows must agree)";
      String code = rowShape[depth] >= 0 ? RowProblem.SHAPE_MISMATCH : RowProblem.BATCH_SHAPE;
      return new RowProblem(
          code, path, "array has " + n + " elements at depth " + depth + "; expected " + expected);
    }
    boolean leaf = depth == dims.length - 1;
    if (leaf && putLeafArray(array, n)) {
      return null;
    }
    for (int i = 0; i < n; i++) {
      if (array.isNullAt(i)) {
        return new RowProblem(
            RowProblem.NULL_VALUE, path + "[" + i + "]", leaf ? "null element" : "null array");
      }
      if (leaf) {
        RowProblem error = putLeaf(array, i, kinds[0], decimalTypes[0]);
        if (error != null) {
          return error.at(path + "[" + i + "]");
        }
      } else {
        RowProblem p = writeArray(array.getArray(i), depth + 1, path + "[" + i + "]");
        if (p != null) {
          return p;
        }
      }
    }
    return null;
  }

  private void resolveFreeDims(ArrayData array) {
    long[] declared = rowShape;
    ArrayData level = array;
    for (int d = 0; d < dims.length; d++) {
      int n = level == null ? 0 : level.numElements();
      if (declared[d] < 0) {
        dims[d] = n;
      }
      level = d + 1 < dims.length && n > 0 && !level.isNullAt(0) ? level.getArray(0) : null;
    }
  }

  private void resetDims() {
    if (hasFreeDims) {
      System.arraycopy(rowShape, 0, dims, 0, dims.length);
    }
  }

  @Override
  public final void dropLast() {
    rollback();
    rows--;
    if (rows == 0) {
      resetDims();
    }
  }

  /**
   * @return the full tensor shape for {@code rowCount} rows
   */
  protected final long[] tensorShape(int rowCount) {
    return binding.batchAxis() ? Shapes.prepend(rowCount, dims) : dims.clone();
  }

  @Override
  public void reset() {
    rows = 0;
    resetDims();
  }
}
