package io.batchinfer.udfs.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.junit.jupiter.api.Test;

/**
 * The build under test really is the Spark line it claims (so "tested on Spark 4" means it), the
 * one API seam works on it, and {@code submit-scripts/env.sh} gives the driver JVMs it starts the
 * module flags this line's Spark launcher asks for (RuntimeEnvironmentTest checks the test JVM's).
 */
class SparkCompatTest extends SparkTestBase {
  @Test
  void runsOnTheSparkAndScalaVersionsTheBuildDeclares() {
    String expected = System.getProperty("batchinfer.spark.version");
    assertThat(expected).as("set by surefire from the pom's spark.version").isNotBlank();
    assertThat(spark.version()).isEqualTo(expected);
    assertThat(expected).startsWith(SparkCompat.SPARK_LINE + ".");
    assertThat(SparkCompat.SPARK_LINE).isEqualTo(Projects.sparkLine());
    assertThat(scala.util.Properties.versionNumberString())
        .startsWith(Projects.scalaBinaryVersion() + ".");
  }

  @Test
  void internalRowsBecomeADataFrameWithoutConversion() {
    Dataset<Row> source =
        spark
            .range(0, 1000, 1, 3)
            .selectExpr("id", "CAST(id * 0.5 AS FLOAT) AS x", "CAST(id AS STRING) AS s");
    RDD<InternalRow> rows = source.queryExecution().toRdd();
    Dataset<Row> rebuilt = SparkCompat.internalCreateDataFrame(spark, rows, source.schema());
    assertThat(rebuilt.schema()).isEqualTo(source.schema());
    assertThat(rebuilt.rdd().getNumPartitions()).isEqualTo(3);
    assertThat(rebuilt.orderBy("id").collectAsList())
        .isEqualTo(source.orderBy("id").collectAsList());
  }

  @Test
  void scriptsGiveDriversTheModuleFlagsOfThisSparkLauncher() throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                "bash",
                "-c",
                "source submit-scripts/env.sh && printf '%s\\n' \"$BATCHINFER_DRIVER_OPTS\"")
            .directory(Projects.root().toFile())
            .redirectErrorStream(true);
    pb.environment().put("BATCHINFER_SPARK", Projects.sparkLine());
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(Arrays.asList(out.trim().split("\\s+"))).containsAll(launcherFlags());
  }

  private static List<String> launcherFlags() {
    return Arrays.asList(JavaModuleOptions.defaultModuleOptions().split("\\s+"));
  }
}
