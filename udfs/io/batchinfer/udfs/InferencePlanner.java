package io.batchinfer.udfs;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.InputLayout;
import io.batchinfer.udfs.codec.OutputBinding;
import io.batchinfer.udfs.codec.Pooling;
import io.batchinfer.udfs.codec.SourceKind;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.Shapes;
import io.batchinfer.udfs.model.TensorSpec;
import io.batchinfer.udfs.session.OrtRuntime;
import io.batchinfer.udfs.session.SessionOptionsSpec;
import io.batchinfer.udfs.text.TextTokenizer;
import io.batchinfer.udfs.text.TokenField;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: checks a request against the model signature and input schema, collecting every
 * problem, and freezes the result into an {@link InferenceSpec}. Stateless.
 */
final class InferencePlanner {
  private static final Logger LOG = LoggerFactory.getLogger(InferencePlanner.class);

  private InferencePlanner() {}

  static InferencePlan plan(ModelArtifact model, Problems problems, BatchInference.Builder request,
      SessionOptionsSpec session, StructType schema, Configuration hadoopConf) {
    Map<String, InputMapping> inputs = request.inputs;
    Map<String, OutputMapping> outputs = request.outputs;
    List<String> passthrough = request.passthrough;
    int batchSize = Math.max(request.batchSize, 1);
    Batching batching = request.batching;
    ModelSignature signature;
    try {
      signature = inspect(model, session);
    } catch (ValidationException e) {
      // Report settings problems found earlier (model.batch_size, ...) together with this one.
      problems.addAll(e);
      problems.throwIfAny("");
      throw e;
    }
    List<String> available = Arrays.asList(schema.fieldNames());

    // Inputs
    List<InputBinding> inputBindings = new ArrayList<>();
    for (String name : signature.unsupportedInputs()) {
      // Every input must be fed, so one batchinfer cannot build makes the whole model unusable.
      problems.add("inputs." + name + ": model input '" + name + "' is " + signature.unsupported().get(name)
          + "; batchinfer can only feed tensors of " + Arrays.toString(ElementType.values()) + ". Re-export the"
          + " model with a supported input type.");
    }
    // Text: explicit per-input text blocks, then the global block for the remaining token inputs.
    Map<String, TextRef> textTargets = new LinkedHashMap<>();
    for (Map.Entry<String, InputMapping> e : inputs.entrySet()) {
      if (e.getValue().text() != null) {
        textTargets.put(e.getKey(), new TextRef("inputs." + e.getKey() + ".text", e.getValue().text()));
      }
    }
    if (request.text != null) {
      for (TensorSpec in : signature.inputs().values()) {
        if (!inputs.containsKey(in.name()) && TokenField.fromInputName(in.name()) != null) {
          textTargets.put(in.name(), new TextRef("text", request.text));
        }
      }
      if (textTargets.values().stream().noneMatch(t -> t.key().equals("text"))) {
        problems.add("text: the model has no token input left to fill (input_ids, attention_mask, token_type_ids);"
            + " model inputs: " + describeAll(signature.inputs()) + ". Map its inputs under 'inputs' instead.");
      }
    }
    for (TensorSpec in : signature.inputs().values()) {
      if (!inputs.containsKey(in.name()) && !textTargets.containsKey(in.name())) {
        problems.add("inputs: model input '" + in.name() + "' (" + in.describe() + ") is not mapped; add inputs."
            + in.name() + " with " + (in.type().isInteger() ? "'columns', 'column' or 'text'" : "'columns' or 'column'")
            + ".");
      }
    }
    List<TextBinding> textBindings = bindTexts(textTargets, signature, schema, hadoopConf, problems);
    for (Map.Entry<String, InputMapping> e : inputs.entrySet()) {
      if (e.getValue().text() != null) {
        continue;
      }
      TensorSpec spec = signature.inputs().get(e.getKey());
      if (spec == null) {
        if (!signature.unsupported().containsKey(e.getKey())) {
          problems.add("inputs." + e.getKey() + ": the model has no input '" + e.getKey() + "'; model inputs: "
              + describeAll(signature.inputs()) + "." + Problems.didYouMean(e.getKey(), signature.inputs().keySet()));
        }
        continue;
      }
      InputBinding b = bindInput(spec, e.getValue(), schema, available, request.allowNan, problems);
      if (b != null) {
        inputBindings.add(b);
      }
    }
    boolean anyInput = !inputBindings.isEmpty() || !textBindings.isEmpty();
    boolean allBatchAxis = anyInput && inputBindings.stream().allMatch(InputBinding::batchAxis);
    boolean batchable = allBatchAxis && inputBindings.stream()
        .allMatch(b -> signature.inputs().get(b.onnxName()).dim(0) < 0)
        && textBindings.stream().flatMap(t -> t.targets().stream())
            .allMatch(t -> signature.inputs().get(t.onnxName()).dim(0) < 0);
    boolean batched = batching == Batching.AUTO && batchable;

    // Passthrough
    List<StructField> fields = new ArrayList<>();
    int[] passOrdinals = new int[passthrough.size()];
    DataType[] passTypes = new DataType[passthrough.size()];
    Set<String> taken = new HashSet<>();
    for (int i = 0; i < passthrough.size(); i++) {
      String c = passthrough.get(i);
      if (!available.contains(c)) {
        problems.add("passthrough[" + i + "]: column '" + c + "' not found in input; available: " + available + "."
            + Problems.didYouMean(c, available));
        continue;
      }
      if (!taken.add(c)) {
        problems.add("passthrough[" + i + "]: column '" + c + "' is listed twice.");
        continue;
      }
      StructField f = schema.apply(c);
      passOrdinals[i] = schema.fieldIndex(c);
      passTypes[i] = f.dataType();
      fields.add(f);
    }

    // Outputs
    List<OutputBinding> outputBindings = new ArrayList<>();
    if (outputs.isEmpty()) {
      problems.add("outputs: no model output is mapped; model outputs: " + describeAll(signature.outputs())
          + ". Add e.g. outputs." + signature.outputs().keySet().stream().findFirst().orElse("<name>") + ".column.");
    }
    for (Map.Entry<String, OutputMapping> e : outputs.entrySet()) {
      String key = "outputs." + e.getKey();
      TensorSpec spec = signature.outputs().get(e.getKey());
      if (spec == null) {
        if (signature.unsupported().containsKey(e.getKey())) {
          problems.add(key + ": model output '" + e.getKey() + "' is " + signature.unsupported().get(e.getKey())
              + ", not a tensor. For sklearn-onnx classifiers, map the tensor output instead, or convert with"
              + " options={'zipmap': False} to get a probability tensor.");
        } else {
          problems.add(key + ": the model has no output '" + e.getKey() + "'; model outputs: "
              + describeAll(signature.outputs()) + "." + Problems.didYouMean(e.getKey(), signature.allOutputNames()));
        }
        continue;
      }
      OutputBinding b = bindOutput(key, spec, e.getValue(), allBatchAxis || !anyInput, !textBindings.isEmpty(), problems);
      if (b == null) {
        continue;
      }
      for (StructField f : b.fields()) {
        if (!taken.add(f.name())) {
          problems.add(key + ": output column '" + f.name() + "' is already used by passthrough or another output;"
              + " choose another name.");
        }
      }
      outputBindings.add(b);
      fields.addAll(b.fields());
    }
    problems.throwIfAny("");
    InferenceSpec spec = new InferenceSpec(model.uri(), model.sha256(), session, batchSize, batched, inputBindings,
        outputBindings, passOrdinals, passTypes, new StructType(fields.toArray(new StructField[0])), textBindings,
        request.lengthWindow, request.errorPolicy, schema);
    return new InferencePlan(model, signature, spec, schema, batching, batchable);
  }

  /**
   * Opens a throwaway CPU session on the driver to read the signature. It goes through {@link
   * OrtRuntime#environment(SessionOptionsSpec)} so that, when the driver is also the executor
   * (local mode), a global thread pool asked for in {@code options} can still be created.
   */
  static ModelSignature inspect(ModelArtifact model, SessionOptionsSpec sessionOptions) {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = OrtRuntime.environment(sessionOptions).createSession(model.bytes(), options)) {
      return ModelSignature.of(session);
    } catch (OrtException e) {
      throw new ValidationException("model.path: " + model.uri() + " is not a valid ONNX model that ONNX Runtime can"
          + " load: " + e.getMessage().strip().replaceAll("\\.+$", "") + ". Check that the file is a complete .onnx"
          + " export.");
    }
  }

  private static InputBinding bindInput(TensorSpec spec, InputMapping m, StructType schema, List<String> available,
      boolean allowNan, Problems problems) {
    String key = "inputs." + spec.name();
    if ((m.columns() == null) == (m.column() == null)) {
      problems.add(key + ": set exactly one of 'columns' (a list of scalar columns) or 'column' (one scalar or array"
          + " column); found " + (m.columns() == null ? "neither" : "both") + ".");
      return null;
    }
    if (m.type() != null) {
      ElementType asserted = ElementType.parse(m.type());
      if (asserted == null) {
        problems.add(key + ".type: unknown element type '" + m.type() + "'; expected one of "
            + Arrays.toString(ElementType.values()) + ".");
      } else if (asserted != spec.type()) {
        problems.add(key + ".type: model input '" + spec.name() + "' is " + spec.type() + " but the config says "
            + asserted + ". Check that the right model is configured, or fix the type.");
      }
    }
    boolean wantString = spec.type() == ElementType.STRING;
    String typeWord = wantString ? "string" : "numeric or boolean";
    int rank = spec.rank();

    // One array column.
    if (m.column() != null && available.contains(m.column()) && schema.apply(m.column()).dataType() instanceof ArrayType) {
      String column = m.column();
      DataType leaf = schema.apply(column).dataType();
      int depth = 0;
      while (leaf instanceof ArrayType a) {
        leaf = a.elementType();
        depth++;
      }
      SourceKind kind = SourceKind.of(leaf);
      if (kind == null || (kind == SourceKind.STRING) != wantString) {
        problems.add(key + ".column: column '" + column + "' is " + schema.apply(column).dataType().simpleString()
            + "; model input '" + spec.name() + "' takes " + spec.describe() + ", so map an array of " + typeWord
            + " values.");
        return null;
      }
      boolean batchAxis;
      if (rank == depth + 1) {
        batchAxis = true;
      } else if (rank == depth) {
        batchAxis = false;
      } else {
        problems.add(key + ".column: model input '" + spec.name() + "' expects " + spec.describe() + " (rank " + rank
            + ") but column '" + column + "' is " + schema.apply(column).dataType().simpleString() + " (" + depth
            + " array level" + (depth == 1 ? "" : "s") + " per row). Map a column with " + Math.max(rank - 1, 1)
            + " array level" + (rank - 1 == 1 ? "" : "s") + ", or 'columns' of scalars.");
        return null;
      }
      if (!checkBatchDim(key, spec, batchAxis, problems)) {
        return null;
      }
      long[] rowShape = batchAxis ? Shapes.dropFirst(spec.shape()) : spec.shape();
      return new InputBinding(spec.name(), spec.type(), InputLayout.ARRAY, new String[] {column},
          new int[] {schema.fieldIndex(column)}, new SourceKind[] {kind},
          new DecimalType[] {leaf instanceof DecimalType d ? d : null}, rowShape, batchAxis, allowNan);
    }

    // Scalar columns.
    List<String> columns = m.columns() != null ? m.columns() : List.of(m.column());
    String columnKey = m.columns() != null ? key + ".columns" : key + ".column";
    int n = columns.size();
    if (n == 0) {
      problems.add(columnKey + ": empty; list the input columns in the order model input '" + spec.name()
          + "' expects them (" + spec.describe() + ").");
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
        problems.add(where + ": column '" + c + "' not found in input; available: " + available + "."
            + Problems.didYouMean(c, available));
        ok = false;
        continue;
      }
      DataType t = schema.apply(c).dataType();
      SourceKind kind = SourceKind.of(t);
      if (kind == null || (kind == SourceKind.STRING) != wantString) {
        problems.add(where + ": column '" + c + "' is " + t.simpleString() + "; model input '" + spec.name()
            + "' takes " + spec.describe() + ", so map " + typeWord + " columns"
            + (t instanceof ArrayType ? " (an array column goes alone under 'column')" : "") + ".");
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
        problems.add(key + ": model input '" + spec.name() + "' expects " + spec.describe() + " but " + n + " column"
            + (n == 1 ? " is" : "s are") + " mapped (" + String.join(", ", columns) + "). Map " + last
            + " scalar columns, or one array column of length " + last + ".");
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
      problems.add(key + ": model input '" + spec.name() + "' expects " + spec.describe() + " but " + n + " scalar column"
          + (n == 1 ? " is" : "s are") + " mapped (" + String.join(", ", columns) + "), which make [batch, " + n
          + "]. " + (rank <= 1 ? "Map one scalar column instead."
              : "Map one array column with " + (rank - 1) + " array levels instead."));
      return null;
    }
    if (!checkBatchDim(key, spec, batchAxis, problems)) {
      return null;
    }
    return new InputBinding(spec.name(), spec.type(), InputLayout.COLUMNS, columns.toArray(new String[0]), ordinals,
        kinds, decimals, rowShape, batchAxis, allowNan);
  }

  private static boolean checkBatchDim(String key, TensorSpec spec, boolean batchAxis, Problems problems) {
    if (batchAxis && spec.dim(0) > 1) {
      problems.add(key + ": model input '" + spec.name() + "' expects " + spec.describe() + ", a fixed batch of "
          + spec.dim(0) + " rows; batchinfer feeds batches of any size (the last one is shorter) or single rows."
          + " Re-export the model with a free (dynamic) batch dimension or a batch of 1.");
      return false;
    }
    return true;
  }

  private static OutputBinding bindOutput(String key, TensorSpec spec, OutputMapping m, boolean batchAxis,
      boolean hasText, Problems problems) {
    boolean any = m.column() != null || m.argmax() != null || m.topK() != null || m.labels() != null;
    if (!any) {
      problems.add(key + ": nothing to write; set 'column', 'argmax', 'top_k' or 'labels'.");
      return null;
    }
    if (batchAxis && spec.rank() == 0) {
      problems.add(key + ": model output '" + spec.name() + "' is a scalar " + spec.describe()
          + " with no batch axis; set model.batching=none if it is per row.");
      return null;
    }
    long[] rowShape = batchAxis ? Shapes.dropFirst(spec.shape()) : spec.shape();
    Pooling pooling = m.pooling() == null ? Pooling.NONE : m.pooling();
    boolean post = m.softmax() || m.argmax() != null || m.topK() != null || m.labels() != null;
    if (pooling != Pooling.NONE || m.normalize()) {
      if (post) {
        problems.add(key + ": pooling/normalize produce an embedding; they cannot be combined with softmax, argmax,"
            + " top_k or labels.");
        return null;
      }
      if (m.column() == null) {
        problems.add(key + ".column: missing; name the column for the " + (pooling != Pooling.NONE ? "pooled " : "")
            + "vector.");
        return null;
      }
      if (!spec.type().isFloatingPoint()) {
        problems.add(key + ": pooling and normalize need floating-point values; model output '" + spec.name()
            + "' is " + spec.describe() + ".");
        return null;
      }
      if (pooling != Pooling.NONE && rowShape.length != 2) {
        problems.add(key + ".pooling: needs token vectors [batch, tokens, hidden]; model output '" + spec.name()
            + "' is " + spec.describe() + ". Remove pooling for outputs that are already one vector per row.");
        return null;
      }
      if (pooling == Pooling.MEAN && !hasText) {
        problems.add(key + ".pooling: mean pooling weighs tokens by the attention mask of a text input; map the"
            + " model's token inputs with 'text', or use pooling: cls.");
        return null;
      }
      if (pooling == Pooling.NONE && rowShape.length != 1) {
        problems.add(key + ".normalize: needs one vector per row [batch, hidden]; model output '" + spec.name()
            + "' is " + spec.describe() + ". Add pooling: mean or cls for token vectors.");
        return null;
      }
    }
    if (post) {
      boolean numeric = spec.type() != ElementType.STRING && spec.type() != ElementType.BOOL;
      if (rowShape.length != 1 || !numeric) {
        problems.add(key + ": softmax, argmax, top_k and labels work on a per-row vector of class scores, shape [batch,"
            + " classes] numeric; model output '" + spec.name() + "' is " + spec.describe() + ". Write it with"
            + " 'column' only.");
        return null;
      }
      if ((m.softmax() || m.topK() != null) && !spec.type().isFloatingPoint()) {
        problems.add(key + ": softmax and top_k need floating-point scores; model output '" + spec.name() + "' is "
            + spec.describe() + ".");
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
        problems.add(key + ".top_k.k: must be between 1 and the number of classes (" + (classes > 0 ? classes : "?")
            + "); found " + k + ".");
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
        problems.add(key + ".labels: model output '" + spec.name() + "' has " + classes + " classes (" + spec.describe()
            + ") but " + m.labels().size() + " labels are listed. List one label per class index.");
      }
      labelColumn = m.labelColumn() != null ? m.labelColumn() : m.argmax() != null ? m.argmax() + "_label" : "label";
    }
    if (topKNamesMissing) {
      return null;
    }
    return new OutputBinding(spec.name(), spec.type(), rowShape, batchAxis, m.column(), m.softmax(), m.argmax(),
        m.labels(), labelColumn, Math.max(k, 0), indices, scores, pooling, m.normalize());
  }

  private record TextRef(String key, TextInput text) {}

  /** Groups text targets by (column, tokenizer, max_length): one tokenizer run per batch feeds all of a group's inputs. */
  private static List<TextBinding> bindTexts(Map<String, TextRef> targets, ModelSignature signature, StructType schema,
      Configuration hadoopConf, Problems problems) {
    Map<TextInput, List<String>> groups = new LinkedHashMap<>();
    Map<TextInput, String> keys = new LinkedHashMap<>();
    for (Map.Entry<String, TextRef> e : targets.entrySet()) {
      TextInput t = e.getValue().text();
      TextInput groupKey = new TextInput(t.column(), t.tokenizer(), t.maxLength(), null, t.rejectEmpty());
      groups.computeIfAbsent(groupKey, k -> new ArrayList<>()).add(e.getKey());
      keys.putIfAbsent(groupKey, e.getValue().key());
    }
    List<String> available = Arrays.asList(schema.fieldNames());
    List<TextBinding> bindings = new ArrayList<>();
    for (Map.Entry<TextInput, List<String>> g : groups.entrySet()) {
      TextInput t = g.getKey();
      String key = keys.get(t);
      boolean ok = true;
      if (t.column() == null || t.column().isBlank()) {
        problems.add(key + ".column: missing; name the string column to tokenize.");
        ok = false;
      } else if (!available.contains(t.column())) {
        problems.add(key + ".column: column '" + t.column() + "' not found in input; available: " + available + "."
            + Problems.didYouMean(t.column(), available));
        ok = false;
      } else if (!(schema.apply(t.column()).dataType() instanceof StringType)) {
        problems.add(key + ".column: column '" + t.column() + "' is " + schema.apply(t.column()).dataType().simpleString()
            + "; text inputs need a string column.");
        ok = false;
      }
      List<TextBinding.Target> fed = new ArrayList<>();
      long fixedSeq = -1;
      for (String name : g.getValue()) {
        TensorSpec spec = signature.inputs().get(name);
        String inputKey = targets.get(name).key();
        if (spec == null) {
          if (!signature.unsupported().containsKey(name)) {
            problems.add("inputs." + name + ": the model has no input '" + name + "'; model inputs: "
                + describeAll(signature.inputs()) + "." + Problems.didYouMean(name, signature.inputs().keySet()));
          }
          ok = false;
          continue;
        }
        TextInput own = targets.get(name).text();
        TokenField field = own.field() == null ? TokenField.fromInputName(name) : TokenField.parse(own.field());
        if (field == null) {
          problems.add(inputKey + ".field: " + (own.field() == null
              ? "cannot tell which tokenizer output model input '" + name + "' takes from its name"
              : "unknown field '" + own.field() + "'") + "; set field to one of [input_ids, attention_mask, token_type_ids].");
          ok = false;
          continue;
        }
        if (spec.type() != ElementType.INT64 && spec.type() != ElementType.INT32) {
          problems.add(inputKey + ": model input '" + name + "' is " + spec.describe() + "; token inputs must be int64"
              + " or int32 [batch, sequence].");
          ok = false;
          continue;
        }
        if (spec.rank() != 2 || spec.dim(0) > 1) {
          problems.add(inputKey + ": model input '" + name + "' expects " + spec.describe() + "; token inputs must be"
              + " [batch, sequence] with a free batch dimension or a batch of 1.");
          ok = false;
          continue;
        }
        if (spec.dim(1) > 0) {
          if (t.maxLength() > spec.dim(1)) {
            problems.add(key + ".max_length: " + t.maxLength() + " is longer than model input '" + name
                + "' allows (" + spec.describe() + "); set max_length to at most " + spec.dim(1) + ".");
            ok = false;
          }
          fixedSeq = spec.dim(1);
        }
        fed.add(new TextBinding.Target(name, field, spec.type()));
      }
      if (t.maxLength() < 1) {
        problems.add(key + ".max_length: must be a positive number of tokens; found " + t.maxLength() + ".");
        ok = false;
      }
      if (t.tokenizer() == null || t.tokenizer().isBlank()) {
        problems.add(key + ".tokenizer: missing; set it to the model's tokenizer.json.");
        continue;
      }
      ModelLoader.Loaded json;
      try {
        json = ModelLoader.read(t.tokenizer(), hadoopConf, key + ".tokenizer", "tokenizer", "a tokenizer.json file");
      } catch (ValidationException e) {
        problems.addAll(e);
        continue;
      }
      if (ok) {
        try (TextTokenizer check = TextTokenizer.fromBytes(json.bytes(), t.maxLength())) {
          LOG.info("tokenizer {} loaded: max_length {}, {} special tokens", json.uri(), t.maxLength(),
              check.specialTokenCount());
        } catch (RuntimeException e) {
          problems.add(key + ".tokenizer: " + json.uri() + " is not a usable HuggingFace tokenizer.json: "
              + e.getMessage());
          continue;
        }
        int ordinal = schema.fieldIndex(t.column());
        bindings.add(new TextBinding(t.column(), ordinal, json.uri(), ModelLoader.sha256(json.bytes()), json.bytes(),
            t.maxLength(), fed, fixedSeq, t.rejectEmpty()));
      }
    }
    return bindings;
  }

  private static String describeAll(Map<String, TensorSpec> specs) {
    return "[" + ModelSignature.describe(specs) + "]";
  }
}
