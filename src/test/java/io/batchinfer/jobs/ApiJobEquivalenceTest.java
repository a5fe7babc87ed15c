package io.batchinfer.jobs;

import static org.junit.Assert.assertEquals;

import com.holdenkarau.spark.testing.JavaDataFrameSuiteBase;
import io.batchinfer.testing.Projects;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.Test;

/**
 * spark-testing-base suite (JUnit 4, run by the vintage engine): the job's Parquet output equals,
 * within 1e-6, what the engine's Java API returns in memory for the same input: the CLI adds
 * nothing and loses nothing between scoring and writing.
 */
public class ApiJobEquivalenceTest extends JavaDataFrameSuiteBase {
  @Override
  public boolean enableHiveSupport() {
    return false;
  }

  @Test
  public void jobOutputEqualsApiResult() throws Exception {
    Path tmp = Files.createTempDirectory("api-job");
    Path input = JobTestSupport.writeIrisLike(spark(), tmp, 300, 3, 17);
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        JobTestSupport.cli(
            "--config",
            JobTestSupport.writeConfig(tmp, JobTestSupport.irisConfig(input, output)).toString());
    assertEquals(run.err(), 0, run.exitCode());

    Dataset<Row> in = spark().read().parquet(input.toString());
    Dataset<Row> api =
        BatchInference.builder()
            .modelPath(Projects.irisModel().toString(), null)
            .input(
                "input",
                InputMapping.columns("sepal_length", "sepal_width", "petal_length", "petal_width"))
            .output(
                "output",
                OutputMapping.toColumn("probabilities")
                    .withArgmax("class_index")
                    .withLabels(List.of("setosa", "versicolor", "virginica"), null))
            .passthrough(List.of("id", "day"))
            .batchSize(50)
            .score(in)
            .scored();
    Dataset<Row> job = spark().read().parquet(output.toString());
    assertDataFrameApproximateEquals(flat(api), flat(job), 1e-6);
  }

  private static Dataset<Row> flat(Dataset<Row> d) {
    return d.selectExpr(
            "id",
            "day",
            "probabilities[0] AS p0",
            "probabilities[1] AS p1",
            "probabilities[2] AS p2",
            "class_index",
            "class_index_label")
        .orderBy("id");
  }
}
