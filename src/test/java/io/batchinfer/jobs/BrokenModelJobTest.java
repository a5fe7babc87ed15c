package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.model.Sha256;
import io.batchinfer.udfs.session.OrtRuntime;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job as a user runs it, in its own JVM (so ONNX Runtime's native stderr is captured too), on a
 * model that fails in ONNX Runtime on every input ({@link TestModels#allocationHungry}) and 20,000
 * valid rows, under each error policy. Each run must end with exit 1 in bounded time, after a
 * bounded number of ONNX Runtime calls, saying that the model is broken; write no output and no
 * dead letters; and keep the whole log to a few hundred lines.
 */
@Tag("slow")
class BrokenModelJobTest extends SparkTestBase {
  private static final int ROWS = 20_000;
  private static final int BATCH = 256;
  private static final int FILES = 4;
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  @TempDir Path tmp;
  private Path input;
  private Path model;
  private byte[] modelBytes;

  @BeforeEach
  void data() {
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      rows.add(RowFactory.create(id, List.of((float) id / ROWS, 1f)));
    }
    input = tmp.resolve("input");
    spark.createDataFrame(rows, SCHEMA).repartition(FILES).write().parquet(input.toString());
    modelBytes = TestModels.allocationHungry("features", "y", 2);
    model = TestModels.write(modelBytes, tmp.resolve("hungry.onnx"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"fail", "skip", "dead-letter"})
  void brokenModelFailsFastWithOneClearMessageAndWritesNothing(String policy) throws Exception {
    Path out = tmp.resolve("out");
    Path dead = tmp.resolve("dead");
    Path summary = tmp.resolve("summary.json");
    String yaml =
        """
        job: {name: broken-model}
        spark: {spark.master: "local[2]", spark.ui.enabled: "false", spark.driver.host: 127.0.0.1,
                spark.driver.bindAddress: 127.0.0.1}
        input: {path: "%s"}
        model: {path: "%s", batch_size: %d}
        inputs: {features: {column: features}}
        outputs: {y: {column: y}}
        passthrough: [id]
        output: {path: "%s"}
        errors: {policy: %s%s}
        """
            .formatted(
                input,
                model,
                BATCH,
                out,
                policy,
                policy.equals("dead-letter") ? ", dead_letter_path: \"" + dead + "\"" : "");
    Path config = JobTestSupport.writeConfig(tmp, yaml);

    long start = System.nanoTime();
    Child run = runJob("--config", config.toString(), "--summary-json", summary.toString());
    double seconds = (System.nanoTime() - start) / 1e9;
    List<String> lines = run.log().lines().toList();
    JsonNode json = new ObjectMapper().readTree(summary.toFile());
    System.out.printf(
        "broken model under %s: exit %d after %.1f s, %d log lines, %d ONNX Runtime calls%n",
        policy, run.exit(), seconds, lines.size(), json.path("batches").asLong());

    assertThat(run.exit()).as(run.log()).isEqualTo(ExitCodes.FAILED);
    String sha = Sha256.hex(modelBytes);
    assertThat(run.log())
        .contains(
            "batchinfer: job failed: model file:"
                + model
                + " (sha256 "
                + sha
                + ") fails on every input")
        .contains("is not bad data")
        .contains(
            "ONNX Runtime's reason: Non-zero status code returned while running ConstantOfShape node")
        .contains("Failed to allocate memory for requested buffer")
        .contains("To reproduce on one row, run the model on partition ")
        .contains("batchinfer: job=broken-model status=failed reason=broken_model rows_in=")
        // ONNX Runtime's own per-call error lines are silenced: the engine reports each failure
        // once.
        .doesNotContain("[E:onnxruntime");
    assertThat(lines.size()).as("log lines for %d rows:%n%s", ROWS, run.log()).isLessThan(300);
    assertThat(out).as("output folder left behind: %s", listing(out)).doesNotExist();
    assertThat(dead).as("dead-letter folder left behind: %s", listing(dead)).doesNotExist();

    assertThat(json.path("status").asText()).isEqualTo("failed");
    assertThat(json.path("reason").asText()).isEqualTo("broken_model");
    assertThat(json.path("error").asText()).contains("fails on every input");
    long batches = (ROWS + BATCH - 1) / BATCH;
    // Every ONNX Runtime call is counted, failed task attempts included; all of them failed. Each
    // task stops after its first batch plus at most 32 rows alone (fail: plus its first row).
    assertThat(json.path("batches").asLong()).isBetween(1L, 2 * batches);
    assertThat(json.path("batches_failed").asLong()).isEqualTo(json.path("batches").asLong());
    assertThat(json.path("rows_out").asLong()).isZero();
  }

  private static List<Path> listing(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (var files = Files.walk(dir)) {
      return files.toList();
    }
  }

  private record Child(int exit, String log) {}

  /**
   * Runs the job's main class in a new JVM with this test's classpath; stdout and stderr merged.
   */
  private Child runJob(String... args) throws Exception {
    Path argFile = tmp.resolve("java.args");
    // The classpath goes through an @argfile: ONNX Runtime 1.29 crashes on long command lines
    // unless
    // telemetry is off, and the job must not depend on that being set for the driver.
    Files.writeString(
        argFile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-Dlog4j2.configurationFile=" + Projects.root().resolve("conf/log4j2.properties")));
    cmd.addAll(List.of(JavaModuleOptions.defaultModuleOptions().split(" ")));
    cmd.add("@" + argFile);
    cmd.add(BatchInferenceJob.class.getName());
    cmd.addAll(List.of(args));
    Path log = tmp.resolve("job.log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put(OrtRuntime.TELEMETRY_ENV, "1");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    Process p = pb.start();
    boolean done = p.waitFor(3, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(done).as("the job ended within 3 minutes; log so far:%n%s", text).isTrue();
    return new Child(p.exitValue(), text);
  }
}
