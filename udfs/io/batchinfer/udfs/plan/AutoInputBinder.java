package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.AutoInputs;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.codec.SourceKind;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.TensorSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: expands {@code inputs: {auto: by_name}} into one {@code inputs.<name>.column:
 * <name>} mapping per model input that has no mapping of its own and is not filled by a text block
 * (models exported from scikit-learn column transformers take one {@code [N, 1]} input per column,
 * named like it). A model input without a column of its name, or whose column is a string where the
 * input is numeric (or the reverse), is recorded as a problem under {@code inputs.auto} naming the
 * input, the columns and the fix; other checks are {@link InputBinder}'s. Stateless.
 */
final class AutoInputBinder {
  private AutoInputBinder() {}

  /**
   * The mappings to bind, and the model inputs already reported as missing (so that the "not
   * mapped" check does not report them twice).
   */
  record Resolved(Map<String, InputMapping> inputs, Set<String> reported) {}

  static Resolved resolve(
      AutoInputs mode,
      Map<String, InputMapping> explicit,
      ModelSignature signature,
      StructType schema,
      Set<String> textTargets,
      Problems problems) {
    if (mode != AutoInputs.BY_NAME) {
      return new Resolved(explicit, Set.of());
    }
    List<String> available = Arrays.asList(schema.fieldNames());
    Map<String, InputMapping> all = new LinkedHashMap<>(explicit);
    Set<String> reported = new LinkedHashSet<>();
    for (TensorSpec in : signature.inputs().values()) {
      String name = in.name();
      if (explicit.containsKey(name) || textTargets.contains(name)) {
        continue;
      }
      if (available.contains(name)) {
        DataType type = schema.apply(name).dataType();
        SourceKind kind = SourceKind.of(type);
        boolean wantString = in.type() == ElementType.STRING;
        if (kind != null && (kind == SourceKind.STRING) != wantString) {
          // Said here, naming inputs.auto: the user never wrote inputs.<name>.
          reported.add(name);
          problems.add(
              "inputs.auto: by_name feeds model input '"
                  + name
                  + "' ("
                  + in.describe()
                  + ") from column '"
                  + name
                  + "', which is "
                  + type.simpleString()
                  + "; the input takes "
                  + (wantString ? "a string column" : "a numeric or boolean column")
                  + ". Cast the column (e.g. in input.sql), or map the input explicitly with inputs."
                  + name
                  + ".column.");
          continue;
        }
        all.put(name, InputMapping.column(name));
      } else {
        reported.add(name);
        problems.add(
            "inputs.auto: by_name feeds model input '"
                + name
                + "' ("
                + in.describe()
                + ") from the column of the same name, but the input has no column '"
                + name
                + "'; available: "
                + available
                + "."
                + Problems.didYouMean(name, available)
                + " Add the column (e.g. in input.sql), or map the input explicitly with inputs."
                + name
                + ".column.");
      }
    }
    return new Resolved(all, reported);
  }
}
