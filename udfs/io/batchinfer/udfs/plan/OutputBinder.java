package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.Shapes;
import io.batchinfer.udfs.model.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.types.StructField;

/**
 * Driver only: binds the requested model outputs ({@code outputs.<name>}) to output columns,
 * checking that each post-processing step (softmax, argmax, top-k, labels, pooling, normalize) fits
 * the output's type and shape and that no output column name is taken twice. ONNX-ML map outputs go
 * through {@link MapOutputBinder}. Records problems instead of throwing; one instance per planning
 * pass.
 */
final class OutputBinder {
  private final ModelSignature signature;
  private final Problems problems;

  OutputBinder(ModelSignature signature, Problems problems) {
    this.signature = signature;
    this.problems = problems;
  }

  /**
   * @param batchAxis whether the outputs carry a batch axis (all inputs do, or there are none)
   * @param hasText whether a text input exists (mean pooling needs its attention mask)
   * @param taken column names already used (passthrough); output names are added
   * @param fields the output schema so far; each binding's fields are appended
   * @return a binding per valid mapping, in the mappings' order
   */
  List<OutputBinding> bind(
      Map<String, OutputMapping> outputs,
      boolean batchAxis,
      boolean hasText,
      Set<String> taken,
      List<StructField> fields) {
    List<OutputBinding> outputBindings = new ArrayList<>();
    if (outputs.isEmpty()) {
      problems.add(
          "outputs: no model output is mapped; model outputs: "
              + InferencePlanner.describeAll(signature.outputs())
              + ". Add e.g. outputs."
              + signature.outputs().keySet().stream().findFirst().orElse("<name>")
              + ".column.");
    }
    for (Map.Entry<String, OutputMapping> e : outputs.entrySet()) {
      String key = "outputs." + e.getKey();
      TensorSpec spec = signature.outputs().get(e.getKey());
      MapOutputBinder maps = new MapOutputBinder(problems);
      OutputBinding b;
      if (spec == null && signature.maps().containsKey(e.getKey())) {
        b =
            maps.bind(
                key,
                signature.maps().get(e.getKey()),
                e.getValue(),
                batchAxis,
                s -> bindOutput(key, s, e.getValue(), s.rank() == 2, hasText));
      } else if (spec == null) {
        if (signature.unsupported().containsKey(e.getKey())) {
          problems.add(
              key
                  + ": model output '"
                  + e.getKey()
                  + "' is "
                  + signature.unsupported().get(e.getKey())
                  + ", not a tensor. For sklearn-onnx classifiers, map the tensor output instead, or convert with"
                  + " options={'zipmap': False} to get a probability tensor.");
        } else {
          problems.add(
              key
                  + ": the model has no output '"
                  + e.getKey()
                  + "'; model outputs: "
                  + InferencePlanner.describeAll(signature.outputs())
                  + "."
                  + Problems.didYouMean(e.getKey(), signature.allOutputNames()));
        }
        continue;
      } else if (maps.checkTensor(key, spec, e.getValue())) {
        b = bindOutput(key, spec, e.getValue(), batchAxis, hasText);
      } else {
        continue;
      }
      if (b == null) {
        continue;
      }
      for (StructField f : b.fields()) {
        if (!taken.add(f.name())) {
          problems.add(
              key
                  + ": output column '"
                  + f.name()
                  + "' is already used by passthrough or another output;"
                  + " choose another name.");
        }
      }
      outputBindings.add(b);
      fields.addAll(b.fields());
    }
    return outputBindings;
  }

  private OutputBinding bindOutput(
      String key, TensorSpec spec, OutputMapping m, boolean batchAxis, boolean hasText) {
    boolean any =
        m.column() != null || m.argmax() != null || m.topK() != null || m.labels() != null;
    if (!any) {
      problems.add(key + ": nothing to write; set 'column', 'argmax', 'top_k' or 'labels'.");
      return null;
    }
    if (batchAxis && spec.rank() == 0) {
      problems.add(
          key
              + ": model output '"
              + spec.name()
              + "' is a scalar "
              + spec.describe()
              + " with no batch axis; set model.batching=none if it is per row.");
      return null;
    }
    long[] rowShape = batchAxis ? Shapes.dropFirst(spec.shape()) : spec.shape();
    Pooling pooling = m.pooling() == null ? Pooling.NONE : m.pooling();
    boolean post = m.softmax() || m.argmax() != null || m.topK() != null || m.labels() != null;
    if (pooling != Pooling.NONE || m.normalize()) {
      if (post) {
        problems.add(
            key
                + ": pooling/normalize produce an embedding; they cannot be combined with softmax, argmax,"
                + " top_k or labels.");
        return null;
      }
      if (m.column() == null) {
        problems.add(
            key
                + ".column: missing; name the column for the "
                + (pooling != Pooling.NONE ? "pooled " : "")
                + "vector.");
        return null;
      }
      if (!spec.type().isFloatingPoint()) {
        problems.add(
            key
                + ": pooling and normalize need floating-point values; model output '"
                + spec.name()
                + "' is "
                + spec.describe()
                + ".");
        return null;
      }
      if (pooling != Pooling.NONE && rowShape.length != 2) {
        problems.add(
            key
                + ".pooling: needs token vectors [batch, tokens, hidden]; model output '"
                + spec.name()
                + "' is "
                + spec.describe()
                + ". Remove pooling for outputs that are already one vector per row.");
        return null;
      }
      if (pooling == Pooling.MEAN && !hasText) {
        problems.add(
            key
                + ".pooling: mean pooling weighs tokens by the attention mask of a text input; map the"
                + " model's token inputs with 'text', or use pooling: cls.");
        return null;
      }
      if (pooling == Pooling.NONE && rowShape.length != 1) {
        problems.add(
            key
                + ".normalize: needs one vector per row [batch, hidden]; model output '"
                + spec.name()
                + "' is "
                + spec.describe()
                + ". Add pooling: mean or cls for token vectors.");
        return null;
      }
    }
    if (post) {
      boolean numeric = spec.type() != ElementType.STRING && spec.type() != ElementType.BOOL;
      if (rowShape.length != 1 || !numeric) {
        problems.add(
            key
                + ": softmax, argmax, top_k and labels work on a per-row vector of class scores, shape [batch,"
                + " classes] numeric; model output '"
                + spec.name()
                + "' is "
                + spec.describe()
                + ". Write it with"
                + " 'column' only.");
        return null;
      }
      if ((m.softmax() || m.topK() != null) && !spec.type().isFloatingPoint()) {
        problems.add(
            key
                + ": softmax and top_k need floating-point scores; model output '"
                + spec.name()
                + "' is "
                + spec.describe()
                + ".");
        return null;
      }
    }
    long classes = rowShape.length == 1 ? rowShape[0] : -1;
    int k = 0;
    String indices = null;
    String scores = null;
    // A binding without its top-k column names cannot describe its output fields: drop it.
    boolean topKNamesMissing = false;
    if (m.topK() != null) {
      k = m.topK().k();
      indices = m.topK().indices();
      scores = m.topK().scores();
      if (k < 1 || (classes > 0 && k > classes)) {
        problems.add(
            key
                + ".top_k.k: must be between 1 and the number of classes ("
                + (classes > 0 ? classes : "?")
                + "); found "
                + k
                + ".");
      }
      if (indices == null || indices.isBlank()) {
        problems.add(key + ".top_k.indices: missing; name the column for the top-k class indices.");
        topKNamesMissing = true;
      }
      if (scores == null || scores.isBlank()) {
        problems.add(key + ".top_k.scores: missing; name the column for the top-k scores.");
        topKNamesMissing = true;
      }
    }
    String labelColumn = null;
    if (m.labels() != null) {
      if (classes > 0 && m.labels().size() != classes) {
        problems.add(
            key
                + ".labels: model output '"
                + spec.name()
                + "' has "
                + classes
                + " classes ("
                + spec.describe()
                + ") but "
                + m.labels().size()
                + " labels are listed. List one label per class index.");
      }
      labelColumn =
          m.labelColumn() != null
              ? m.labelColumn()
              : m.argmax() != null ? m.argmax() + "_label" : "label";
    }
    if (topKNamesMissing) {
      return null;
    }
    return new OutputBinding(
        spec.name(),
        spec.type(),
        rowShape,
        batchAxis,
        m.column(),
        m.softmax(),
        m.argmax(),
        m.labels(),
        labelColumn,
        Math.max(k, 0),
        indices,
        scores,
        pooling,
        m.normalize());
  }
}
