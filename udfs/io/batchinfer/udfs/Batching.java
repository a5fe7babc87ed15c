package io.batchinfer.udfs;

import java.util.Locale;

/** The {@code model.batching} config key: how rows are grouped into model runs. */
public enum Batching {
  /** Batch when every mapped model input has a free first dimension; else one row per run. */
  AUTO,
  /** One row per run, whatever the model declares. */
  NONE;

  /**
   * @return the mode for a config value, or null if unknown
   */
  public static Batching parse(String value) {
    return EnumValues.parse(Batching.class, value);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
