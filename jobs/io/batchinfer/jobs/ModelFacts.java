package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.udfs.InferencePlan;
import java.util.ArrayList;
import java.util.List;

/**
 * Driver only: one model of the run, as the report, {@code --summary-json} and (for several models)
 * the summary line list it.
 *
 * @param name {@code models[i].name}, or null for the single model
 * @param path where it was read from
 * @param sha256 the full sha256
 * @param distribution {@code broadcast} or {@code files}
 * @param device {@code model.device}
 * @param modelColumn the output column holding its short sha256, or null
 */
record ModelFacts(
    String name,
    String path,
    String sha256,
    String distribution,
    String device,
    String modelColumn) {

  static List<ModelFacts> of(JobPlan plan) {
    List<ModelFacts> facts = new ArrayList<>();
    List<InferencePlan> models = plan.scoring().models();
    List<String> columns = plan.scoring().modelColumns();
    for (int i = 0; i < models.size(); i++) {
      InferencePlan m = models.get(i);
      facts.add(
          new ModelFacts(
              m.name(),
              m.model().uri(),
              m.model().sha256(),
              String.valueOf(m.model().distribution()),
              String.valueOf(m.spec().session().device()),
              i < columns.size() ? columns.get(i) : null));
    }
    return facts;
  }

  void addTo(ObjectNode node) {
    node.put("name", name);
    node.put("path", path);
    node.put("sha256", sha256);
    node.put("distribution", distribution);
    node.put("device", device);
    node.put("model_column", modelColumn);
  }

  /**
   * @return the report's {@code models} list as text, one model per line: {@code name: path, sha256
   *     ..., distribution, device}
   */
  static String describe(JsonNode models) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode m : models) {
      sb.append(m.path("name").asText())
          .append(": ")
          .append(m.path("path").asText())
          .append(", sha256 ")
          .append(m.path("sha256").asText())
          .append(", ")
          .append(m.path("distribution").asText())
          .append(", ")
          .append(m.path("device").asText())
          .append('\n');
    }
    return sb.toString().trim();
  }
}
