package io.batchinfer.udfs;

import java.util.Locale;

/** Parses enum-valued config keys ({@code model.device}, {@code errors.policy}, ...). Stateless. */
final class EnumValues {
  private EnumValues() {}

  /**
   * Case-insensitive, with {@code -} and {@code _} equivalent ({@code dead-letter} is {@code
   * DEAD_LETTER}).
   *
   * @return the constant, or null when {@code value} names none (callers report the allowed values)
   */
  static <E extends Enum<E>> E parse(Class<E> type, String value) {
    if (value == null) {
      return null;
    }
    String name = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(name)) {
        return e;
      }
    }
    return null;
  }
}
