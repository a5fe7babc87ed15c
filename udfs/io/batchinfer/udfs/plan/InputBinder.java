package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.InputLayout;
import io.batchinfer.udfs.codec.SourceKind;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.Shapes;
import io.batchinfer.udfs.model.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: binds the numeric, boolean and string model inputs ({@code inputs.<name>} with
 * {@code columns} or {@code column}) to input columns, checking types, ranks and the batch
 * dimension, and checks that every model input is fed. Text inputs are {@link TextBinder}'s.
 * Records problems instead of throwing; one instance per planning pass.
 */
final class InputBinder {
  private final ModelSignature signature;
  private final StructType schema;
  private final List<String> available;
  private final boolean allowNan;
  private final Problems problems;

  InputBinder(ModelSignature signature, StructType schema, boolean allowNan, Problems problems) {
    this.signature = signature;
    this.schema = schema;
    this.available = Arrays.asList(schema.fieldNames());
    this.allowNan = allowNan;
    this.problems = problems;
  }

  /** Records a problem for each model input that is not a tensor batchinfer can build. */
  void checkSupported() {
    for (String name : signature.unsupportedInputs()) {
      // Every input must be fed, so one batchinfer cannot build makes the whole model unusable.
      problems.add(
          "inputs."
              + name
              + ": model input '"
              + name
              + "' is "
              + signature.unsupported().get(name)
              + "; batchinfer can only feed tensors of "
              + Arrays.toString(ElementType.values())
              + ". Re-export the"
              + " model with a supported input type.");
    }
  }

  /** Records a problem for each model input fed neither by {@code inputs} nor by a text target. */
  void checkMapped(Map<String, InputMapping> inputs, Set<String> textTargets) {
    for (TensorSpec in : signature.inputs().values()) {
      if (!inputs.containsKey(in.name()) && !textTargets.contains(in.name())) {
        problems.add(
            "inputs: model input '"
                + in.name()
                + "' ("
                + in.describe()
                + ") is not mapped; add inputs."
                + in.name()
                + " with "
                + (in.type().isInteger()
                    ? "'columns', 'column' or 'text'"
                    : "'columns', 'column' or 'image'")
                + ".");
      }
    }
  }

  /**
   * @return a binding per valid non-text mapping, in the mappings' order
   */
  List<InputBinding> bind(Map<String, InputMapping> inputs) {
    List<InputBinding> bindings = new ArrayList<>();
    for (Map.Entry<String, InputMapping> e : inputs.entrySet()) {
      if (e.getValue().text() != null || e.getValue().image() != null) {
        continue; // TextBinder's and ImageBinder's
      }
      TensorSpec spec = signature.inputs().get(e.getKey());
      if (spec == null) {
        if (!signature.unsupported().containsKey(e.getKey())) {
          problems.add(
              "inputs."
                  + e.getKey()
                  + ": the model has no input '"
                  + e.getKey()
                  + "'; model inputs: "
                  + InferencePlanner.describeAll(signature.inputs())
                  + "."
                  + Problems.didYouMean(e.getKey(), signature.inputs().keySet()));
        }
        continue;
      }
      InputBinding b = bindInput(spec, e.getValue());
      if (b != null) {
        bindings.add(b);
      }
    }
    return bindings;
  }

  private InputBinding bindInput(TensorSpec spec, InputMapping m) {
    String key = "inputs." + spec.name();
    if ((m.columns() == null) == (m.column() == null)) {
      problems.add(
          key
              + ": set exactly one of 'columns' (a list of scalar columns) or 'column' (one scalar or array"
              + " column); found "
              + (m.columns() == null ? "neither" : "both")
              + ".");
      return null;
    }
    if (m.type() != null) {
      ElementType asserted = ElementType.parse(m.type());
      if (asserted == null) {
        problems.add(
            key
                + ".type: unknown element type '"
                + m.type()
                + "'; expected one of "
                + Arrays.toString(ElementType.values())
                + ".");
      } else if (asserted != spec.type()) {
        problems.add(
            key
                + ".type: model input '"
                + spec.name()
                + "' is "
                + spec.type()
                + " but the config says "
                + asserted
                + ". Check that the right model is configured, or fix the type.");
      }
    }
    boolean wantString = spec.type() == ElementType.STRING;
    String typeWord = wantString ? "string" : "numeric or boolean";
    int rank = spec.rank();

    // One array column.
    if (m.column() != null
        && available.contains(m.column())
        && schema.apply(m.column()).dataType() instanceof ArrayType) {
      String column = m.column();
      DataType leaf = schema.apply(column).dataType();
      int depth = 0;
      while (leaf instanceof ArrayType a) {
        leaf = a.elementType();
        depth++;
      }
      SourceKind kind = SourceKind.of(leaf);
      if (kind == null || (kind == SourceKind.STRING) != wantString) {
        problems.add(
            key
                + ".column: column '"
                + column
                + "' is "
                + schema.apply(column).dataType().simpleString()
                + "; model input '"
                + spec.name()
                + "' takes "
                + spec.describe()
                + ", so map an array of "
                + typeWord
                + " values.");
        return null;
      }
      boolean batchAxis;
      if (rank == depth + 1) {
        batchAxis = true;
      } else if (rank == depth) {
        batchAxis = false;
      } else {
        problems.add(
            key
                + ".column: model input '"
                + spec.name()
                + "' expects "
                + spec.describe()
                + " (rank "
                + rank
                + ") but column '"
                + column
                + "' is "
                + schema.apply(column).dataType().simpleString()
                + " ("
                + depth
                + " array level"
                + (depth == 1 ? "" : "s")
                + " per row). Map a column with "
                + Math.max(rank - 1, 1)
                + " array level"
                + (rank - 1 == 1 ? "" : "s")
                + ", or 'columns' of scalars.");
        return null;
      }
      if (!checkBatchDim(key, spec, batchAxis)) {
        return null;
      }
      long[] rowShape = batchAxis ? Shapes.dropFirst(spec.shape()) : spec.shape();
      return new InputBinding(
          spec.name(),
          spec.type(),
          InputLayout.ARRAY,
          new String[] {column},
          new int[] {schema.fieldIndex(column)},
          new SourceKind[] {kind},
          new DecimalType[] {leaf instanceof DecimalType d ? d : null},
          rowShape,
          batchAxis,
          allowNan);
    }

    // Scalar columns.
    List<String> columns = m.columns() != null ? m.columns() : List.of(m.column());
    String columnKey = m.columns() != null ? key + ".columns" : key + ".column";
    int n = columns.size();
    if (n == 0) {
      problems.add(
          columnKey
              + ": empty; list the input columns in the order model input '"
              + spec.name()
              + "' expects them ("
              + spec.describe()
              + ").");
      return null;
    }
    int[] ordinals = new int[n];
    SourceKind[] kinds = new SourceKind[n];
    DecimalType[] decimals = new DecimalType[n];
    boolean ok = true;
    for (int i = 0; i < n; i++) {
      String c = columns.get(i);
      String where = m.columns() != null ? columnKey + "[" + i + "]" : columnKey;
      if (!available.contains(c)) {
        problems.add(
            where
                + ": column '"
                + c
                + "' not found in input; available: "
                + available
                + "."
                + Problems.didYouMean(c, available));
        ok = false;
        continue;
      }
      DataType t = schema.apply(c).dataType();
      SourceKind kind = SourceKind.of(t);
      if (kind == null || (kind == SourceKind.STRING) != wantString) {
        problems.add(
            where
                + ": column '"
                + c
                + "' is "
                + t.simpleString()
                + "; model input '"
                + spec.name()
                + "' takes "
                + spec.describe()
                + ", so map "
                + typeWord
                + " columns"
                + (t instanceof ArrayType ? " (an array column goes alone under 'column')" : "")
                + ".");
        ok = false;
        continue;
      }
      ordinals[i] = schema.fieldIndex(c);
      kinds[i] = kind;
      decimals[i] = t instanceof DecimalType d ? d : null;
    }
    if (!ok) {
      return null;
    }
    long[] rowShape;
    boolean batchAxis;
    long last = rank > 0 ? spec.dim(rank - 1) : -1;
    if (rank == 2) {
      batchAxis = true;
      rowShape = new long[] {n};
      if (last >= 0 && last != n) {
        problems.add(
            key
                + ": model input '"
                + spec.name()
                + "' expects "
                + spec.describe()
                + " but "
                + n
                + " column"
                + (n == 1 ? " is" : "s are")
                + " mapped ("
                + String.join(", ", columns)
                + "). Map "
                + last
                + " scalar columns, or one array column of length "
                + last
                + ".");
        return null;
      }
    } else if (rank == 1 && n == 1) {
      batchAxis = true;
      rowShape = new long[0];
    } else if (rank == 1 && last == n) {
      batchAxis = false;
      rowShape = new long[] {n};
    } else if (rank == 0 && n == 1) {
      batchAxis = false;
      rowShape = new long[0];
    } else {
      problems.add(
          key
              + ": model input '"
              + spec.name()
              + "' expects "
              + spec.describe()
              + " but "
              + n
              + " scalar column"
              + (n == 1 ? " is" : "s are")
              + " mapped ("
              + String.join(", ", columns)
              + "), which make [batch, "
              + n
              + "]. "
              + (rank <= 1
                  ? "Map one scalar column instead."
                  : "Map one array column with " + (rank - 1) + " array levels instead."));
      return null;
    }
    if (!checkBatchDim(key, spec, batchAxis)) {
      return null;
    }
    return new InputBinding(
        spec.name(),
        spec.type(),
        InputLayout.COLUMNS,
        columns.toArray(new String[0]),
        ordinals,
        kinds,
        decimals,
        rowShape,
        batchAxis,
        allowNan);
  }

  private boolean checkBatchDim(String key, TensorSpec spec, boolean batchAxis) {
    if (batchAxis && spec.dim(0) > 1) {
      problems.add(
          key
              + ": model input '"
              + spec.name()
              + "' expects "
              + spec.describe()
              + ", a fixed batch of "
              + spec.dim(0)
              + " rows; batchinfer feeds batches of any size (the last one is shorter) or single rows."
              + " Re-export the model with a free (dynamic) batch dimension or a batch of 1.");
      return false;
    }
    return true;
  }
}
