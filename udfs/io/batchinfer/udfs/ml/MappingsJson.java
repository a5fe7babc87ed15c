package io.batchinfer.udfs.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.TextInput;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON form of the input and output mappings, as a saved stage's metadata holds them. Keys are the
 * job config's ({@code columns}, {@code column}, {@code type}, {@code text.max_length}, {@code
 * argmax}, {@code top_k}, {@code label_column}, ...), so a saved stage reads like a config. Uses
 * Spark's own Jackson (Spark ships it). Stateless; driver only.
 */
final class MappingsJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private MappingsJson() {}

  static String encodeInputs(Map<String, InputMapping> inputs) {
    ObjectNode root = JSON.createObjectNode();
    inputs.forEach(
        (name, m) -> {
          ObjectNode n = root.putObject(name);
          if (m.columns() != null) {
            ArrayNode a = n.putArray("columns");
            m.columns().forEach(a::add);
          }
          putIfSet(n, "column", m.column());
          putIfSet(n, "type", m.type());
          if (m.text() != null) {
            ObjectNode t = n.putObject("text");
            TextInput x = m.text();
            putIfSet(t, "column", x.column());
            putIfSet(t, "tokenizer", x.tokenizer());
            t.put("max_length", x.maxLength());
            putIfSet(t, "field", x.field());
            t.put("reject_empty", x.rejectEmpty());
          }
        });
    return root.toString();
  }

  static Map<String, InputMapping> decodeInputs(String json) {
    Map<String, InputMapping> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = parse(json).fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode n = e.getValue();
      JsonNode t = n.get("text");
      TextInput text =
          t == null
              ? null
              : new TextInput(
                  text(t, "column"),
                  text(t, "tokenizer"),
                  t.path("max_length").asInt(TextInput.MAX_LENGTH_DEFAULT),
                  text(t, "field"),
                  t.path("reject_empty").asBoolean(false));
      out.put(
          e.getKey(),
          new InputMapping(strings(n.get("columns")), text(n, "column"), text(n, "type"), text));
    }
    return Collections.unmodifiableMap(out);
  }

  static String encodeOutputs(Map<String, OutputMapping> outputs) {
    ObjectNode root = JSON.createObjectNode();
    outputs.forEach(
        (name, m) -> {
          ObjectNode n = root.putObject(name);
          putIfSet(n, "column", m.column());
          n.put("softmax", m.softmax());
          putIfSet(n, "argmax", m.argmax());
          if (m.topK() != null) {
            ObjectNode k = n.putObject("top_k");
            k.put("k", m.topK().k());
            putIfSet(k, "indices", m.topK().indices());
            putIfSet(k, "scores", m.topK().scores());
          }
          if (m.labels() != null) {
            ArrayNode a = n.putArray("labels");
            m.labels().forEach(a::add);
          }
          putIfSet(n, "label_column", m.labelColumn());
          putIfSet(n, "pooling", m.pooling() == null ? null : m.pooling().toString());
          n.put("normalize", m.normalize());
        });
    return root.toString();
  }

  static Map<String, OutputMapping> decodeOutputs(String json) {
    Map<String, OutputMapping> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = parse(json).fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode n = e.getValue();
      JsonNode k = n.get("top_k");
      String pooling = text(n, "pooling");
      out.put(
          e.getKey(),
          new OutputMapping(
              text(n, "column"),
              n.path("softmax").asBoolean(false),
              text(n, "argmax"),
              k == null
                  ? null
                  : new OutputMapping.TopK(
                      k.path("k").asInt(), text(k, "indices"), text(k, "scores")),
              strings(n.get("labels")),
              text(n, "label_column"),
              pooling == null ? null : Pooling.parse(pooling),
              n.path("normalize").asBoolean(false)));
    }
    return Collections.unmodifiableMap(out);
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a mappings JSON object: " + e.getMessage(), e);
    }
  }

  private static void putIfSet(ObjectNode n, String key, String value) {
    if (value != null) {
      n.put(key, value);
    }
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static List<String> strings(JsonNode array) {
    if (array == null || array.isNull()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }
}
