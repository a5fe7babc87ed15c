package io.batchinfer.udfs;

import java.util.Locale;

/**
 * How model inputs without an explicit mapping are fed ({@code inputs.auto}). Models exported from
 * scikit-learn column transformers take one {@code [N, 1]} input per column, named like the column;
 * {@link #BY_NAME} maps all of them at once.
 */
public enum AutoInputs {
  /** Every model input needs its own {@code inputs.<name>} mapping. The default. */
  NONE,
  /**
   * Every model input without its own mapping (and not filled by a text block) is fed from the
   * input column of the same name, as {@code inputs.<name>.column: <name>} would. A model input
   * without such a column is a planning error naming the input, the columns and the fix.
   */
  BY_NAME;

  /**
   * @return the mode for a config value ({@code by_name}, {@code none}), or null if unknown
   */
  public static AutoInputs parse(String value) {
    return EnumValues.parse(AutoInputs.class, value);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
