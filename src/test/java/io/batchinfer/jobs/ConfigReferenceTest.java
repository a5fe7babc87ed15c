package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.batchinfer.testing.Projects;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every key the config binds ({@link JobConfig}'s records, walked by reflection as Jackson binds
 * them) is documented in {@code conf/README.md}, the public contract: a key added to the code
 * without a row in the reference fails here.
 */
class ConfigReferenceTest {
  @Test
  void everyConfigKeyHasARowInTheReference() throws Exception {
    String reference = Files.readString(Projects.root().resolve("conf/README.md"));
    List<String> keys = new ArrayList<>();
    walk(JobConfig.class, "", keys);
    assertThat(keys).hasSizeGreaterThan(60);
    List<String> missing = new ArrayList<>();
    for (String key : keys) {
      if (!documented(reference, key)) {
        missing.add(key);
      }
    }
    assertThat(missing).as("config keys without a row in conf/README.md").isEmpty();
  }

  /**
   * A key is documented when the reference names it in backticks, or names the block it repeats (a
   * {@code models[i]} entry and an {@code inputs.<onnx input>.text} block take the same keys as
   * their top-level forms, which the reference says once).
   */
  private static boolean documented(String reference, String key) {
    if (reference.contains("`" + key + "`") || reference.contains("`" + key + "` ")) {
      return true;
    }
    if (key.startsWith("models[i].")) {
      String block = key.substring("models[i].".length()).split("\\.")[0];
      return reference.contains("`models[i]." + block + "`");
    }
    if (key.startsWith("inputs.<onnx input>.text.")) {
      return reference.contains("`inputs.<onnx input>.text`");
    }
    return false;
  }

  private static void walk(Class<?> type, String prefix, List<String> keys) {
    for (RecordComponent c : type.getRecordComponents()) {
      String name = jsonName(c);
      if (type == JobConfig.class && name.equals("spark")) {
        keys.add("spark.<any spark.* key>");
        continue;
      }
      String key = prefix + name;
      Type generic = c.getGenericType();
      Class<?> raw = c.getType();
      if (type == JobConfig.InputSpec.class && name.equals("auto")) {
        keys.add("inputs.auto");
      } else if (raw.isRecord()) {
        walk(raw, key + ".", keys);
      } else if (Map.class.isAssignableFrom(raw) && generic instanceof ParameterizedType p) {
        Type value = p.getActualTypeArguments()[1];
        if (value instanceof Class<?> v && v.isRecord()) {
          String slot =
              key.equals("inputs") || key.endsWith(".inputs") ? "<onnx input>" : "<onnx output>";
          walk(v, key + "." + slot + ".", keys);
        } else {
          keys.add(key);
        }
      } else if (List.class.isAssignableFrom(raw)
          && generic instanceof ParameterizedType p
          && p.getActualTypeArguments()[0] instanceof Class<?> e
          && e.isRecord()) {
        walk(e, key + "[i].", keys);
      } else {
        keys.add(key);
      }
    }
  }

  private static String jsonName(RecordComponent c) {
    JsonProperty p = c.getAnnotation(JsonProperty.class);
    if (p == null && c.getAccessor().getAnnotation(JsonProperty.class) != null) {
      p = c.getAccessor().getAnnotation(JsonProperty.class);
    }
    return p != null && !p.value().isEmpty() ? p.value() : c.getName();
  }
}
