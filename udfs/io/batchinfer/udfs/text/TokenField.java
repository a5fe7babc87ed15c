package io.batchinfer.udfs.text;

import java.util.Locale;

/** Which tokenizer output feeds a model input. */
public enum TokenField {
  /** Token ids ({@code input_ids}). */
  INPUT_IDS("input_ids"),
  /** 1 for real tokens, 0 for padding ({@code attention_mask}). */
  ATTENTION_MASK("attention_mask"),
  /** Segment ids ({@code token_type_ids}). */
  TOKEN_TYPE_IDS("token_type_ids");

  private final String configName;

  TokenField(String configName) {
    this.configName = configName;
  }

  /**
   * @return the name used in config ({@code inputs.<name>.text.field})
   */
  public String configName() {
    return configName;
  }

  /**
   * Infers the field from a model input name as common exporters write it ({@code input_ids},
   * {@code attention_mask}/{@code input_mask}, {@code token_type_ids}/{@code segment_ids}).
   *
   * @return the field, or null when the name says nothing
   */
  public static TokenField fromInputName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.contains("input_ids") || n.equals("ids")) {
      return INPUT_IDS;
    } else if (n.contains("attention_mask") || n.contains("input_mask")) {
      return ATTENTION_MASK;
    } else if (n.contains("token_type_ids") || n.contains("segment_ids")) {
      return TOKEN_TYPE_IDS;
    }
    return null;
  }

  /**
   * @return the field for a config value, or null if unknown
   */
  public static TokenField parse(String value) {
    for (TokenField f : values()) {
      if (f.configName.equalsIgnoreCase(value.trim())) {
        return f;
      }
    }
    return null;
  }
}
