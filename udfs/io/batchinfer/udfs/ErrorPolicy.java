package io.batchinfer.udfs;

import java.util.Locale;

/** The {@code errors.policy} config key: what happens to an input row that cannot be scored. */
public enum ErrorPolicy {
  /**
   * The first bad row fails the job, naming the row (first passthrough value, partition, offset)
   * and column.
   */
  FAIL,
  /** Bad rows are counted and dropped; good rows go on. */
  SKIP,
  /**
   * Bad rows are kept, with every original column plus {@code _error_code}, {@code _error_column},
   * {@code _error_message}.
   */
  DEAD_LETTER;

  /**
   * @return the policy for a config value ({@code fail}, {@code skip}, {@code dead-letter}), or
   *     null if unknown
   */
  public static ErrorPolicy parse(String value) {
    return EnumValues.parse(ErrorPolicy.class, value);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
