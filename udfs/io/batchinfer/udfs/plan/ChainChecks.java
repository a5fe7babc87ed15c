package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.InferenceRequest;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.TextInput;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.types.StructType;

/**
 * Driver only: the checks that span the models of a chain ({@code models:}), made before any model
 * is read: unique names, one error policy, each input column available from the input or an earlier
 * model (not from a later one: models run in list order, so a chain has no cycle), and no output
 * column written twice or shadowing an input column. Problems use the key paths users write ({@code
 * models[1].inputs.embedding.column}) and name the model. Stateless.
 */
public final class ChainChecks {
  private ChainChecks() {}

  /**
   * A column a model reads or writes, with the key path that names it.
   *
   * @param key the key path inside the model's entry, e.g. {@code inputs.features.columns[2]}
   * @param column the column
   */
  public record ColumnRef(String key, String column) {}

  /**
   * One model of a chain as the checks see it.
   *
   * @param name the model's name ({@code models[i].name})
   * @param request what was asked of it
   */
  public record Step(String name, InferenceRequest request) {}

  /**
   * @return {@code problem} (which starts with a key path inside one model's entry, e.g. {@code
   *     inputs.x.column: ...}) as the chain reports it: {@code models[1].inputs.x.column (model
   *     'head'): ...}
   */
  public static String qualify(int index, String name, String problem) {
    String where = "models[" + index + "]";
    String model = " (model '" + name + "')";
    int colon = problem.indexOf(": ");
    if (colon > 0) {
      String key = problem.substring(0, colon);
      if (!key.contains(" ") && !key.isEmpty()) {
        return where + "." + key + model + problem.substring(colon);
      }
    }
    return where + model + ": " + problem;
  }

  /** Records every problem spanning the models of {@code steps} over {@code input}. */
  public static void check(List<Step> steps, StructType input, Problems problems) {
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < steps.size(); i++) {
      String name = steps.get(i).name();
      if (name == null || name.isBlank()) {
        problems.add(
            "models[" + i + "].name: empty; name the model (letters, digits, '_'), e.g. 'head'.");
        continue;
      }
      Integer before = names.putIfAbsent(name, i);
      if (before != null) {
        problems.add(
            "models["
                + i
                + "].name: '"
                + name
                + "' is also the name of models["
                + before
                + "]; names must be unique (they name the models in messages, reports and"
                + " output.model_column). Set a different name.");
      }
    }
    for (int i = 1; i < steps.size(); i++) {
      if (steps.get(i).request().errorPolicy() != steps.get(0).request().errorPolicy()) {
        problems.add(
            qualify(
                i,
                steps.get(i).name(),
                "errors.policy: "
                    + steps.get(i).request().errorPolicy()
                    + " differs from models[0]'s "
                    + steps.get(0).request().errorPolicy()
                    + "; a chain has one error policy. Set the same on every model."));
      }
    }
    Set<String> inputColumns = new HashSet<>(List.of(input.fieldNames()));
    Map<String, Integer> writer = new HashMap<>();
    Map<String, String> writerKey = new HashMap<>();
    List<List<ColumnRef>> written = new ArrayList<>();
    for (Step s : steps) {
      written.add(outputColumns(s.request()));
    }
    for (int i = 0; i < steps.size(); i++) {
      Step s = steps.get(i);
      for (ColumnRef ref : inputColumns(s.request())) {
        if (inputColumns.contains(ref.column())) {
          continue;
        }
        Integer from = writer.get(ref.column());
        if (from != null) {
          continue;
        }
        int later = producer(written, ref.column(), i);
        if (later == i) {
          problems.add(
              qualify(
                  i,
                  s.name(),
                  ref.key()
                      + ": column '"
                      + ref.column()
                      + "' is this model's own output ("
                      + keyOf(written.get(i), ref.column())
                      + "): a model cannot read what it writes (a cycle). Read an input column or"
                      + " an earlier model's output."));
        } else if (later > i) {
          problems.add(
              qualify(
                  i,
                  s.name(),
                  ref.key()
                      + ": column '"
                      + ref.column()
                      + "' is written by a later model, '"
                      + steps.get(later).name()
                      + "' (models["
                      + later
                      + "]."
                      + keyOf(written.get(later), ref.column())
                      + "); models run in list order and a chain cannot have a cycle. Move '"
                      + steps.get(later).name()
                      + "' before '"
                      + s.name()
                      + "' if it does not need this model's output."));
        }
        // Otherwise the column is missing altogether: the model's own planning reports it with
        // the columns available at that point of the chain.
      }
      for (ColumnRef ref : written.get(i)) {
        if (inputColumns.contains(ref.column())) {
          problems.add(
              qualify(
                  i,
                  s.name(),
                  ref.key()
                      + ": column '"
                      + ref.column()
                      + "' is an input column; in a chain every input column stays available to"
                      + " later models, so an output cannot replace it. Choose another name."));
          continue;
        }
        Integer before = writer.putIfAbsent(ref.column(), i);
        if (before != null && before != i) {
          problems.add(
              qualify(
                  i,
                  s.name(),
                  ref.key()
                      + ": column '"
                      + ref.column()
                      + "' is already written by model '"
                      + steps.get(before).name()
                      + "' (models["
                      + before
                      + "]."
                      + writerKey.get(ref.column())
                      + "); each output column has one writer. Choose another name."));
        } else if (before == null) {
          writerKey.put(ref.column(), ref.key());
        }
      }
    }
  }

  private static int producer(List<List<ColumnRef>> written, String column, int from) {
    for (int j = from; j < written.size(); j++) {
      for (ColumnRef r : written.get(j)) {
        if (r.column().equals(column)) {
          return j;
        }
      }
    }
    return -1;
  }

  private static String keyOf(List<ColumnRef> refs, String column) {
    for (ColumnRef r : refs) {
      if (r.column().equals(column)) {
        return r.key();
      }
    }
    return "?";
  }

  /**
   * @return the columns {@code request}'s input mappings read, with their keys (mapping kinds this
   *     does not know are left to the model's planning, which reports missing columns too)
   */
  public static List<ColumnRef> inputColumns(InferenceRequest request) {
    List<ColumnRef> refs = new ArrayList<>();
    if (request.text() != null && request.text().column() != null) {
      refs.add(new ColumnRef("text.column", request.text().column()));
    }
    for (Map.Entry<String, InputMapping> e : request.inputs().entrySet()) {
      String key = "inputs." + e.getKey();
      InputMapping m = e.getValue();
      if (m.columns() != null) {
        for (int i = 0; i < m.columns().size(); i++) {
          if (m.columns().get(i) != null) {
            refs.add(new ColumnRef(key + ".columns[" + i + "]", m.columns().get(i)));
          }
        }
      }
      if (m.column() != null) {
        refs.add(new ColumnRef(key + ".column", m.column()));
      }
      TextInput t = m.text();
      if (t != null && t.column() != null) {
        refs.add(new ColumnRef(key + ".text.column", t.column()));
      }
    }
    return refs;
  }

  /**
   * @return the columns {@code request}'s output mappings write, with their keys (as {@link
   *     OutputBinder} names them)
   */
  public static List<ColumnRef> outputColumns(InferenceRequest request) {
    List<ColumnRef> refs = new ArrayList<>();
    for (Map.Entry<String, OutputMapping> e : request.outputs().entrySet()) {
      String key = "outputs." + e.getKey();
      OutputMapping m = e.getValue();
      if (m.column() != null) {
        refs.add(new ColumnRef(key + ".column", m.column()));
      }
      if (m.argmax() != null) {
        refs.add(new ColumnRef(key + ".argmax", m.argmax()));
      }
      if (m.topK() != null) {
        if (m.topK().indices() != null) {
          refs.add(new ColumnRef(key + ".top_k.indices", m.topK().indices()));
        }
        if (m.topK().scores() != null) {
          refs.add(new ColumnRef(key + ".top_k.scores", m.topK().scores()));
        }
      }
      if (m.labels() != null) {
        String label =
            m.labelColumn() != null
                ? m.labelColumn()
                : m.argmax() != null ? m.argmax() + "_label" : "label";
        refs.add(new ColumnRef(key + ".label_column", label));
      }
    }
    return refs;
  }
}
