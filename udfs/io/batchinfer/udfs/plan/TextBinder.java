package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.InferenceRequest;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.TextInput;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.codec.TextBinding;
import io.batchinfer.udfs.model.ElementType;
import io.batchinfer.udfs.model.ModelLoader;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.Sha256;
import io.batchinfer.udfs.model.TensorSpec;
import io.batchinfer.udfs.text.TextTokenizer;
import io.batchinfer.udfs.text.TokenField;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only: binds tokenized text inputs ({@code inputs.<name>.text} and the top-level {@code
 * text} block) to a string column and the model's token inputs, reading and trying each tokenizer
 * once (the throwaway tokenizer is closed here). Records problems instead of throwing; one instance
 * per planning pass.
 */
final class TextBinder {
  private static final Logger LOG = LoggerFactory.getLogger(TextBinder.class);

  /** A model input fed by a text block, with the key path of that block for messages. */
  record TextRef(String key, TextInput text) {}

  private final ModelSignature signature;
  private final StructType schema;
  private final Configuration hadoopConf;
  private final Problems problems;

  TextBinder(
      ModelSignature signature, StructType schema, Configuration hadoopConf, Problems problems) {
    this.signature = signature;
    this.schema = schema;
    this.hadoopConf = hadoopConf;
    this.problems = problems;
  }

  /**
   * @return model input name to the text block feeding it: explicit per-input text blocks, then the
   *     global block for the remaining token inputs
   */
  static Map<String, TextRef> targets(
      InferenceRequest request, ModelSignature signature, Problems problems) {
    Map<String, InputMapping> inputs = request.inputs();
    Map<String, TextRef> textTargets = new LinkedHashMap<>();
    for (Map.Entry<String, InputMapping> e : inputs.entrySet()) {
      if (e.getValue().text() != null) {
        textTargets.put(
            e.getKey(), new TextRef("inputs." + e.getKey() + ".text", e.getValue().text()));
      }
    }
    if (request.text() != null) {
      for (TensorSpec in : signature.inputs().values()) {
        if (!inputs.containsKey(in.name()) && TokenField.fromInputName(in.name()) != null) {
          textTargets.put(in.name(), new TextRef("text", request.text()));
        }
      }
      if (textTargets.values().stream().noneMatch(t -> t.key().equals("text"))) {
        problems.add(
            "text: the model has no token input left to fill (input_ids, attention_mask, token_type_ids);"
                + " model inputs: "
                + InferencePlanner.describeAll(signature.inputs())
                + ". Map its inputs under 'inputs' instead.");
      }
    }
    return textTargets;
  }

  /**
   * Groups text targets by (column, tokenizer, max_length): one tokenizer run per batch feeds all
   * of a group's inputs.
   */
  List<TextBinding> bind(Map<String, TextRef> targets) {
    Map<TextInput, List<String>> groups = new LinkedHashMap<>();
    Map<TextInput, String> keys = new LinkedHashMap<>();
    for (Map.Entry<String, TextRef> e : targets.entrySet()) {
      TextInput t = e.getValue().text();
      TextInput groupKey =
          new TextInput(t.column(), t.tokenizer(), t.maxLength(), null, t.rejectEmpty());
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
        problems.add(
            key
                + ".column: column '"
                + t.column()
                + "' not found in input; available: "
                + available
                + "."
                + Problems.didYouMean(t.column(), available));
        ok = false;
      } else if (!(schema.apply(t.column()).dataType() instanceof StringType)) {
        problems.add(
            key
                + ".column: column '"
                + t.column()
                + "' is "
                + schema.apply(t.column()).dataType().simpleString()
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
            problems.add(
                "inputs."
                    + name
                    + ": the model has no input '"
                    + name
                    + "'; model inputs: "
                    + InferencePlanner.describeAll(signature.inputs())
                    + "."
                    + Problems.didYouMean(name, signature.inputs().keySet()));
          }
          ok = false;
          continue;
        }
        TextInput own = targets.get(name).text();
        TokenField field =
            own.field() == null ? TokenField.fromInputName(name) : TokenField.parse(own.field());
        if (field == null) {
          problems.add(
              inputKey
                  + ".field: "
                  + (own.field() == null
                      ? "cannot tell which tokenizer output model input '"
                          + name
                          + "' takes from its name"
                      : "unknown field '" + own.field() + "'")
                  + "; set field to one of [input_ids, attention_mask, token_type_ids].");
          ok = false;
          continue;
        }
        if (spec.type() != ElementType.INT64 && spec.type() != ElementType.INT32) {
          problems.add(
              inputKey
                  + ": model input '"
                  + name
                  + "' is "
                  + spec.describe()
                  + "; token inputs must be int64"
                  + " or int32 [batch, sequence].");
          ok = false;
          continue;
        }
        if (spec.rank() != 2 || spec.dim(0) > 1) {
          problems.add(
              inputKey
                  + ": model input '"
                  + name
                  + "' expects "
                  + spec.describe()
                  + "; token inputs must be"
                  + " [batch, sequence] with a free batch dimension or a batch of 1.");
          ok = false;
          continue;
        }
        if (spec.dim(1) > 0) {
          if (t.maxLength() > spec.dim(1)) {
            problems.add(
                key
                    + ".max_length: "
                    + t.maxLength()
                    + " is longer than model input '"
                    + name
                    + "' allows ("
                    + spec.describe()
                    + "); set max_length to at most "
                    + spec.dim(1)
                    + ".");
            ok = false;
          }
          fixedSeq = spec.dim(1);
        }
        fed.add(new TextBinding.Target(name, field, spec.type()));
      }
      if (t.maxLength() < 1) {
        problems.add(
            key + ".max_length: must be a positive number of tokens; found " + t.maxLength() + ".");
        ok = false;
      }
      if (t.tokenizer() == null || t.tokenizer().isBlank()) {
        problems.add(key + ".tokenizer: missing; set it to the model's tokenizer.json.");
        continue;
      }
      ModelLoader.Loaded json;
      try {
        json =
            ModelLoader.read(
                t.tokenizer(),
                hadoopConf,
                key + ".tokenizer",
                "tokenizer",
                "a tokenizer.json file");
      } catch (ValidationException e) {
        problems.addAll(e);
        continue;
      }
      if (ok) {
        try (TextTokenizer check = TextTokenizer.fromBytes(json.bytes(), t.maxLength())) {
          LOG.info(
              "tokenizer {} loaded: max_length {}, {} special tokens",
              json.uri(),
              t.maxLength(),
              check.specialTokenCount());
        } catch (RuntimeException e) {
          problems.add(
              key
                  + ".tokenizer: "
                  + json.uri()
                  + " is not a usable HuggingFace tokenizer.json: "
                  + e.getMessage());
          continue;
        }
        int ordinal = schema.fieldIndex(t.column());
        bindings.add(
            new TextBinding(
                t.column(),
                ordinal,
                json.uri(),
                Sha256.hex(json.bytes()),
                json.bytes(),
                t.maxLength(),
                fed,
                fixedSeq,
                t.rejectEmpty()));
      }
    }
    return bindings;
  }
}
