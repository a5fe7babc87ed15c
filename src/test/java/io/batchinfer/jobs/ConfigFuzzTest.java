package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random mutations of a valid config (a key deleted, misspelt, or its value replaced by a value of
 * another type or an odd value) must each end in a clear validation error (exit 3, a message with
 * no stack trace) or a valid dry run (exit 0), never anything else.
 */
@Tag("slow")
class ConfigFuzzTest extends SparkTestBase {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  @TempDir Path tmp;

  @Test
  void mutatedConfigsFailClearlyOrRun() throws Exception {
    Path input = writeIrisLike(spark, tmp, 20, 1, 3);
    JsonNode base = YAML.readTree(irisConfig(input, tmp.resolve("out")));
    Random random = new Random(2026);
    int valid = 0;
    int invalid = 0;
    for (int i = 0; i < 60; i++) {
      JsonNode mutated = base.deepCopy();
      String what = mutate(mutated, random);
      Path conf = writeConfig(tmp, YAML.writeValueAsString(mutated));
      JobTestSupport.Run run = cli("--config", conf.toString(), "--dry-run");
      String context = "mutation " + i + " (" + what + "):\n" + run.err();
      assertThat(run.exitCode()).as(context).isIn(ExitCodes.OK, ExitCodes.INVALID);
      if (run.exitCode() == ExitCodes.INVALID) {
        invalid++;
        assertThat(run.err())
            .as(context)
            .startsWith("batchinfer: ")
            .contains("problem")
            .doesNotContain("\tat ")
            .doesNotContain("Exception");
      } else {
        valid++;
        assertThat(run.out()).as(context).contains("dry run: configuration is valid");
      }
    }
    assertThat(invalid).isPositive();
    assertThat(valid + invalid).isEqualTo(60);
  }

  /** Applies one random mutation to a random node; returns a description. */
  private static String mutate(JsonNode root, Random random) {
    List<String[]> paths = new ArrayList<>();
    collect(root, "", paths);
    String[] target = paths.get(random.nextInt(paths.size()));
    String parentPath = target[0];
    String key = target[1];
    JsonNode parent = parentPath.isEmpty() ? root : root.at(parentPath);
    int kind = random.nextInt(6);
    JsonNode value =
        switch (random.nextInt(7)) {
          case 0 -> F.numberNode(-1);
          case 1 -> F.textNode("");
          case 2 -> F.textNode("zzz");
          case 3 -> F.booleanNode(true);
          case 4 -> F.arrayNode().add("x").add(3);
          case 5 -> F.objectNode().put("k", "v");
          default -> F.nullNode();
        };
    if (parent instanceof ObjectNode o) {
      switch (kind) {
        case 0 -> o.remove(key);
        case 1 -> {
          JsonNode v = o.remove(key);
          o.set(key.length() > 2 ? key.substring(0, key.length() - 1) : key + "x", v);
        }
        default -> o.set(key, value);
      }
      return (kind == 0 ? "delete " : kind == 1 ? "misspell " : "set ")
          + parentPath
          + "/"
          + key
          + (kind > 1 ? " = " + value : "");
    }
    ArrayNode a = (ArrayNode) parent;
    int index = Integer.parseInt(key);
    if (kind == 0) {
      a.remove(index);
      return "delete " + parentPath + "/" + index;
    }
    a.set(index, value);
    return "set " + parentPath + "/" + index + " = " + value;
  }

  private static void collect(JsonNode node, String path, List<String[]> out) {
    if (node instanceof ObjectNode o) {
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.add(new String[] {path, e.getKey()});
        collect(e.getValue(), path + "/" + e.getKey().replace("~", "~0").replace("/", "~1"), out);
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        out.add(new String[] {path, Integer.toString(i)});
        collect(a.get(i), path + "/" + i, out);
      }
    }
  }
}
