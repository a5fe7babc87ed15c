package io.batchinfer.jobs;

import io.batchinfer.udfs.AutoInputs;
import io.batchinfer.udfs.MapForm;
import io.batchinfer.udfs.plan.Problems;

/**
 * Driver only: parses the config keys for ONNX-ML models, {@code inputs.auto} and {@code
 * outputs.<name>.as}, naming the key and the allowed values on a mistake. Stateless.
 */
final class OnnxMlConfig {
  /** The one {@code inputs} entry that is a plain value: {@code inputs: {auto: by_name}}. */
  static final String INPUTS_AUTO = "auto";

  private OnnxMlConfig() {}

  /**
   * @param name the key under {@code inputs} holding the plain value {@code value}
   * @return the mode, or null after recording a problem
   */
  static AutoInputs autoInputs(String name, String value, Problems problems) {
    String key = ConfigKeys.INPUTS + "." + name;
    if (!INPUTS_AUTO.equals(name)) {
      problems.add(
          key
              + ": expected a mapping such as {column: "
              + name
              + "} or {columns: [...]}; found the value '"
              + value
              + "'. Only inputs.auto takes a plain value (by_name).");
      return null;
    }
    AutoInputs mode = AutoInputs.parse(value);
    if (mode == null) {
      problems.add(
          key
              + ": unknown value '"
              + value
              + "'; expected by_name (feed every unmapped model input from the column of the same"
              + " name) or none.");
    }
    return mode;
  }

  /**
   * @param key e.g. {@code outputs.output_probability}
   * @return the form (null when {@code value} is null, or after recording a problem)
   */
  static MapForm mapForm(String key, String value, Problems problems) {
    if (value == null) {
      return null;
    }
    MapForm form = MapForm.parse(value);
    if (form == null) {
      problems.add(
          key
              + ".as: unknown value '"
              + value
              + "'; expected map (a map column) or array (the values in class order).");
    }
    return form;
  }
}
