package io.batchinfer.udfs;

import java.util.Locale;

/**
 * How token vectors {@code [batch, tokens, hidden]} become one vector per row ({@code
 * outputs.<name>.pooling}).
 */
public enum Pooling {
  /** No pooling: write the output as it is. */
  NONE,
  /** Mean of the token vectors where the attention mask is 1 (padding ignored). */
  MEAN,
  /** The first token's vector ([CLS] for BERT-style models). */
  CLS;

  /**
   * @return the pooling for a config value, or null if unknown
   */
  public static Pooling parse(String value) {
    return EnumValues.parse(Pooling.class, value);
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
