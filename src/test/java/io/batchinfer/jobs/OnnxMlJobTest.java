package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX-ML models through the job config: the shipped {@code conf/examples/iris-sklearn.yaml}
 * ({@code inputs: {auto: by_name}}, a string label, ZipMap probabilities as a map column) compared
 * with ONNX Runtime called directly on the 150 committed flowers; the array form with a class order
 * from YAML; and the config mistakes, each with its message and exit code 3.
 */
class OnnxMlJobTest extends SparkTestBase {
  private static final Path IRIS_MODEL =
      Projects.root().resolve("models/iris-sklearn/iris-sklearn.onnx");
  private static final Path TREE =
      Projects.root().resolve("src/test/resources/onnxml/tree-zipmap.onnx");
  private static final Path IRIS_DATA = Projects.root().resolve("data/iris/iris.parquet");

  @TempDir Path tmp;

  @Test
  void shippedExampleMatchesOnnxRuntime() throws Exception {
    Path out = tmp.resolve("preds");
    JobTestSupport.Run run =
        cli(
            "--config",
            Projects.root().resolve("conf/examples/iris-sklearn.yaml").toString(),
            "--set",
            "input.path=" + IRIS_DATA,
            "--set",
            "model.path=" + IRIS_MODEL,
            "--set",
            "output.path=" + out);
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("rows_in=150 rows_out=150 rows_rejected=0");
    List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
    assertThat(spark.read().parquet(out.toString()).schema().apply("probabilities").dataType())
        .isEqualTo(DataTypes.createMapType(DataTypes.StringType, DataTypes.FloatType, true));

    List<Row> in = spark.read().parquet(IRIS_DATA.toString()).orderBy("id").collectAsList();
    int n = in.size();
    String[] names = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<Long, String> labels = new HashMap<>();
    Map<Long, Map<Object, Object>> probabilities = new HashMap<>();
    try (OrtSession session =
        env.createSession(IRIS_MODEL.toString(), new OrtSession.SessionOptions())) {
      Map<String, OnnxTensor> feeds = new HashMap<>();
      for (String name : names) {
        float[][] col = new float[n][1];
        for (int i = 0; i < n; i++) {
          col[i][0] = ((Number) in.get(i).getAs(name)).floatValue();
        }
        feeds.put(name, OnnxTensor.createTensor(env, col));
      }
      try (OrtSession.Result r = session.run(feeds)) {
        String[] l = (String[]) r.get("output_label").orElseThrow().getValue();
        List<? extends OnnxValue> maps =
            ((OnnxSequence) r.get("output_probability").orElseThrow()).getValue();
        for (int i = 0; i < n; i++) {
          long id = ((Number) in.get(i).getAs("id")).longValue();
          labels.put(id, l[i]);
          try (OnnxMap m = (OnnxMap) maps.get(i)) {
            probabilities.put(id, new HashMap<>(m.getValue()));
          }
        }
      }
      feeds.values().forEach(OnnxTensor::close);
    }
    int correct = 0;
    for (Row r : rows) {
      long id = ((Number) r.getAs("id")).longValue();
      assertThat(r.<String>getAs("predicted_species")).isEqualTo(labels.get(id));
      Map<String, Float> p = r.getJavaMap(r.fieldIndex("probabilities"));
      assertThat(p).hasSize(3);
      p.forEach(
          (k, v) -> assertThat(v).isCloseTo((Float) probabilities.get(id).get(k), within(1e-6f)));
      correct += r.<String>getAs("predicted_species").equals(r.getAs("species")) ? 1 : 0;
    }
    // scikit-learn's own training accuracy, printed by make_onnxml_models.py, is 0.9733 (146/150).
    assertThat(correct).isEqualTo(146);
    JsonNode report = new ObjectMapper().readTree(out.resolve("_batchinfer/report.json").toFile());
    assertThat(report.at("/model/outputs/1/name").asText()).isEqualTo("output_probability");
    assertThat(report.at("/model/outputs/1/map").asText()).isEqualTo("seq(map(string, float32))");
  }

  @Test
  void arrayFormWithClassOrderFromYaml() throws Exception {
    Path input = tmp.resolve("in");
    spark
        .sql(
            "SELECT id, CAST(id % 2 AS FLOAT) AS x0, CAST(id % 5 AS FLOAT) AS x1,"
                + " CAST(id % 3 AS FLOAT) AS x2 FROM range(40)")
        .write()
        .parquet(input.toString());
    Path out = tmp.resolve("out");
    String yaml =
        """
        job: {name: tree}
        input: {path: "%s"}
        model: {path: "%s", batch_size: 7}
        inputs:
          features: {columns: [x0, x1, x2]}
        outputs:
          label: {column: label}
          probabilities:
            as: array
            classes: [9, 7, 3]
            column: scores
            argmax: best
            labels: [nine, seven, three]
            top_k: {k: 2, indices: top, scores: top_scores}
        passthrough: [id]
        output: {path: "%s"}
        """
            .formatted(input, TREE, out);
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).as(run.err()).isZero();
    List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
    assertThat(rows).hasSize(40);
    Map<Long, String> nameOf = Map.of(9L, "nine", 7L, "seven", 3L, "three");
    for (Row r : rows) {
      List<Float> scores = r.getList(r.fieldIndex("scores"));
      long id = r.getLong(r.fieldIndex("id"));
      double[] want = treeScores(id % 2, id % 5, id % 3);
      assertThat(scores).hasSize(3);
      // classes: [9, 7, 3]: the reverse of the model's (and the sorted) order
      assertThat((double) scores.get(0)).isCloseTo(want[2], within(1e-6));
      assertThat((double) scores.get(1)).isCloseTo(want[1], within(1e-6));
      assertThat((double) scores.get(2)).isCloseTo(want[0], within(1e-6));
      // The classifier's own label output names the same class as the argmax of the array.
      long label = r.getLong(r.fieldIndex("label"));
      assertThat(r.<String>getAs("best_label")).isEqualTo(nameOf.get(label));
      assertThat(r.<Integer>getAs("best")).isEqualTo(List.of(9L, 7L, 3L).indexOf(label));
      assertThat(r.<Integer>getList(r.fieldIndex("top")).get(0))
          .isEqualTo(r.<Integer>getAs("best"));
    }
  }

  /**
   * The tree ensemble of tree-zipmap.onnx written out from its parameters (see
   * make_onnxml_models.py): tree 0 splits on x0 <= 0.5, then x1 <= 2.0; tree 1 on x2 <= 1.0; a
   * class's score is the sum of its weights in the two leaves reached (post_transform NONE).
   *
   * @return scores of classes 3, 7, 9
   */
  static double[] treeScores(double x0, double x1, double x2) {
    double[] tree0 =
        x0 <= 0.5
            ? new double[] {0.6, 0.3, 0.1}
            : x1 <= 2.0 ? new double[] {0.1, 0.8, 0.1} : new double[] {0.2, 0.2, 0.6};
    double[] tree1 = x2 <= 1.0 ? new double[] {0.5, 0.25, 0.25} : new double[] {0.0, 0.5, 0.5};
    return new double[] {tree0[0] + tree1[0], tree0[1] + tree1[1], tree0[2] + tree1[2]};
  }

  private JobTestSupport.Run plan(String inputs, String outputs, String... extra) throws Exception {
    String yaml =
        """
        job: {name: bad}
        input: {path: "%s"}
        model: {path: "%s"}
        inputs: %s
        outputs: %s
        output: {path: "%s"}
        """
            .formatted(IRIS_DATA, IRIS_MODEL, inputs, outputs, tmp.resolve("never"));
    List<String> args =
        new java.util.ArrayList<>(
            List.of("--config", writeConfig(tmp, yaml).toString(), "--dry-run"));
    args.addAll(List.of(extra));
    return cli(args.toArray(new String[0]));
  }

  @Test
  void autoInputsFromTheCommandLine() throws Exception {
    JobTestSupport.Run run =
        plan(
            "{sepal_length: {column: sepal_length}}",
            "{output_label: {column: species_pred}}",
            "--set",
            "inputs.auto=by_name");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out())
        .contains("input:    sepal_length <- [sepal_length] as [?, 1] float32")
        .contains("input:    petal_width <- [petal_width] as [?, 1] float32");
  }

  @Test
  void autoInputsIsValidatedWithItsKey() throws Exception {
    JobTestSupport.Run run = plan("{auto: by_nam}", "{output_label: {column: species_pred}}");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err()).contains("inputs.auto: unknown value 'by_nam'; expected by_name");
    run = plan("{sepal_length: by_name}", "{output_label: {column: species_pred}}");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains("inputs.sepal_length: expected a mapping such as {column: sepal_length}")
        .contains("Only inputs.auto takes a plain value (by_name)");
    run = plan("{sepal_length: {auto: by_name}}", "{output_label: {column: species_pred}}");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains(
            "inputs.sepal_length.auto: unknown key 'auto'; known keys here: [column, columns, image,"
                + " text, type]");
  }

  @Test
  void autoInputsWithMissingColumnsIsAPlanningError() throws Exception {
    JobTestSupport.Run run =
        plan(
            "{auto: by_name, sepal_length: {column: sepal_width}}",
            "{output_label: {column: species_pred}}");
    // petal_* exist in iris.parquet; rename one away to see the error
    assertThat(run.exitCode()).as(run.err()).isZero();
    String yaml =
        """
        job: {name: bad}
        input: {sql: "SELECT id, sepal_length, sepal_width, petal_length AS Petal_Length, petal_width FROM parquet.`%s`"}
        model: {path: "%s"}
        inputs: {auto: by_name}
        outputs: {output_label: {column: species_pred}}
        output: {path: "%s"}
        """
            .formatted(IRIS_DATA, IRIS_MODEL, tmp.resolve("never"));
    run = cli("--config", writeConfig(tmp, yaml).toString(), "--dry-run");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains("inputs.auto: by_name feeds model input 'petal_length' ([N, 1] float32)")
        .contains("the input has no column 'petal_length'; available: [id, sepal_length,")
        .contains("Did you mean 'Petal_Length'?");
  }

  @Test
  void mapOnlyKeysOnATensorOutputAreRejected() throws Exception {
    JobTestSupport.Run run =
        plan("{auto: by_name}", "{output_label: {column: l, as: array, classes: [a, b]}}");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains(
            "outputs.output_label.as: only for model outputs that are maps or sequences of maps"
                + " (ONNX-ML ZipMap, e.g. seq(map(int64, float32))); model output 'output_label'"
                + " is a tensor [N] string");
    run = plan("{auto: by_name}", "{output_probability: {column: p, as: list}}");
    assertThat(run.exitCode()).isEqualTo(3);
    assertThat(run.err())
        .contains(
            "outputs.output_probability.as: unknown value 'list'; expected map (a map column) or"
                + " array");
  }
}
