package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, as a newcomer runs it: {@code submit-scripts/run-local.sh} with no
 * argument, in a separate process whose environment lacks the ONNX Runtime and DJL switches (the
 * script must set them). Runs after {@code package} (failsafe), so the script finds the jar built.
 */
@Tag("slow")
class RunLocalScriptIT {
  @Test
  void defaultExampleRunsAndWritesEveryIrisRow() throws Exception {
    String log = runScript();
    assertThat(log).contains("rows_in=150 rows_out=150");
    assertThat(parquetRows(Projects.root().resolve("target/example-output/iris-predictions")))
        .isEqualTo(150);
  }

  @Test
  void textExampleEmbedsEverySentence() throws Exception {
    String log = runScript("conf/examples/text-embeddings.yaml");
    assertThat(log).contains("rows_in=3000 rows_out=3000 rows_rejected=0");
    assertThat(parquetRows(Projects.root().resolve("target/example-output/sentence-embeddings")))
        .isEqualTo(3000);
  }

  /** The chain example (README "Several models in one pass"): three models, one pass. */
  @Test
  void chainExampleRunsThreeModelsInOnePass() throws Exception {
    assertThat(runScript("conf/examples/iris-chain.yaml"))
        .contains("status=ok rows_in=150 rows_out=150 rows_rejected=0")
        .contains("sessions_created=3")
        .contains("models=embed:edff212b9732,head:bb5bacaca5e1,logreg:cbce91bb9294");
    assertThat(parquetRows(Projects.root().resolve("target/example-output/iris-chain")))
        .isEqualTo(150);
  }

  /**
   * Class-data sharing (run-local.sh, docs/PERFORMANCE.md): with no archive, a scoring run records
   * one beside the jar (renamed into place, no temporary file left, no CDS message in the output);
   * the next run maps its classes from it (the JVM's class-load log says "shared objects file
   * (top)", the dynamic archive) without recording it again.
   */
  @Test
  void firstRunRecordsTheClassDataArchiveAndLaterRunsUseIt() throws Exception {
    Path build = Projects.buildDir();
    Path archive = build.resolve("batchinfer-cds.jsa");
    Files.deleteIfExists(archive);
    String first = runScript();
    assertThat(first).contains("rows_in=150 rows_out=150").doesNotContainIgnoringCase("cds");
    assertThat(archive).exists();
    assertThat(Files.getLastModifiedTime(archive))
        .isGreaterThan(Files.getLastModifiedTime(build.resolve("batchinfer.jar")));
    try (Stream<Path> s = Files.list(build)) {
      assertThat(s.map(f -> f.getFileName().toString()).filter(n -> n.contains(".jsa."))).isEmpty();
    }
    var recorded = Files.getLastModifiedTime(archive);
    String second =
        runScript(
            Map.of("BATCHINFER_JAVA_OPTS", "-Xlog:class+load=info"),
            "conf/examples/iris.yaml",
            "--dry-run");
    assertThat(second).contains("source: shared objects file (top)");
    assertThat(Files.getLastModifiedTime(archive)).isEqualTo(recorded);
  }

  /**
   * The table examples (README "Tables and object stores"): a new table, then a second day into it.
   */
  @Test
  void icebergExampleWritesOneSnapshotPerDay() throws Exception {
    org.apache.commons.io.FileUtils.deleteDirectory(
        Projects.root().resolve("target/example-warehouse/iceberg").toFile());
    assertThat(runScript("conf/examples/iceberg.yaml", "--var", "ds=2026-11-01"))
        .contains("rows_in=150 rows_out=150")
        .contains("output=table:lake.db.iris_scores snapshot=");
    assertThat(runScript("conf/examples/iceberg.yaml", "--var", "ds=2026-11-02"))
        .contains("rows_in=150 rows_out=150")
        .contains("output=table:lake.db.iris_scores snapshot=");
  }

  @Test
  void deltaExampleWritesOneVersionPerDay() throws Exception {
    org.apache.commons.io.FileUtils.deleteDirectory(
        Projects.root().resolve("target/example-warehouse/delta").toFile());
    assertThat(runScript("conf/examples/delta.yaml", "--var", "ds=2026-11-01"))
        .contains("rows_in=150 rows_out=150")
        .contains("version=0");
    assertThat(runScript("conf/examples/delta.yaml", "--var", "ds=2026-11-02"))
        .contains("rows_in=150 rows_out=150")
        .contains("version=1");
  }

  /**
   * The README's S3 recipe: the endpoint in a {@code core-site.xml} under {@code HADOOP_CONF_DIR},
   * the credentials in {@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY} (nothing secret in
   * the config), the config itself on {@code s3a://}, against a real S3 API server on 127.0.0.1;
   * the output partitioned by species under {@code overwrite-partitions}.
   */
  @Test
  void s3ConfigRunsWithHadoopConfDirAndEnvironmentCredentials(@TempDir Path tmp) throws Exception {
    try (io.batchinfer.lake.S3Server s3 = io.batchinfer.lake.S3Server.start(tmp, "lake")) {
      Path confDir = Files.createDirectories(tmp.resolve("hadoop-conf"));
      Configuration site = new Configuration(false);
      Configuration client = new Configuration();
      for (Map.Entry<String, String> e : s3.hadoopConf().entrySet()) {
        client.set(e.getKey(), e.getValue());
        if (!e.getKey().contains("key") && !e.getKey().contains("credentials")) {
          site.set(e.getKey(), e.getValue());
        }
      }
      try (OutputStream out = Files.newOutputStream(confDir.resolve("core-site.xml"))) {
        site.writeXml(out);
      }
      Path root = Projects.root();
      String config =
          """
          job: {name: iris-s3}
          input: {path: "s3a://lake/input/iris"}
          model: {path: "s3a://lake/models/iris-logreg.onnx"}
          inputs: {input: {columns: [sepal_length, sepal_width, petal_length, petal_width]}}
          outputs: {output: {column: probabilities, argmax: class_index}}
          passthrough: [id, species]
          output: {path: "s3a://lake/scored/iris", mode: overwrite-partitions, partition_by: [species]}
          """;
      put(client, "s3a://lake/conf/iris.yaml", config.getBytes(StandardCharsets.UTF_8));
      put(client, "s3a://lake/models/iris-logreg.onnx", Files.readAllBytes(Projects.irisModel()));
      put(
          client,
          "s3a://lake/input/iris/iris.parquet",
          Files.readAllBytes(root.resolve("data/iris/iris.parquet")));

      String log =
          runScript(
              Map.of(
                  "HADOOP_CONF_DIR", confDir.toString(),
                  "AWS_ACCESS_KEY_ID", io.batchinfer.lake.S3Server.ACCESS_KEY,
                  "AWS_SECRET_ACCESS_KEY", io.batchinfer.lake.S3Server.SECRET_KEY),
              "s3a://lake/conf/iris.yaml");
      assertThat(log)
          .contains("rows_in=150 rows_out=150")
          .contains("output=s3a://lake/scored/iris");
      assertThat(s3.root().resolve("lake/scored/iris")).isDirectory();
      try (Stream<Path> days = Files.list(s3.root().resolve("lake/scored/iris"))) {
        assertThat(days.map(d -> d.getFileName().toString()))
            .contains("species=setosa", "species=versicolor", "species=virginica");
      }
    }
  }

  private static void put(Configuration conf, String location, byte[] bytes) throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
    try (OutputStream out = p.getFileSystem(conf).create(p, true)) {
      out.write(bytes);
    }
  }

  private static String runScript(String... args) throws Exception {
    return runScript(Map.of(), args);
  }

  private static String runScript(Map<String, String> env, String... args) throws Exception {
    Path root = Projects.root();
    List<String> cmd = new java.util.ArrayList<>(List.of("bash", "submit-scripts/run-local.sh"));
    cmd.addAll(List.of(args));
    // Output goes to a file, not a pipe: a full pipe would block the script.
    Path logFile = Files.createTempFile("run-local", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(logFile.toFile());
    pb.environment().remove("ORT_DISABLE_TELEMETRY");
    pb.environment().remove("DJL_OFFLINE");
    pb.environment().remove("OPT_OUT_TRACKING");
    pb.environment()
        .put(
            "BATCHINFER_SPARK",
            Projects.sparkLine()); // the build under test: target/ or target/spark4/
    pb.environment().putAll(env);
    Process p = pb.start();
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String log = Files.readString(logFile);
    Files.deleteIfExists(logFile);
    assertThat(done).as("run-local.sh finished within 5 minutes").isTrue();
    assertThat(p.exitValue()).as(log).isZero();
    return log;
  }

  /** Counts rows from the Parquet footers, independently of the job's own summary. */
  private static long parquetRows(Path dir) throws IOException {
    long rows = 0;
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList();
    }
    assertThat(files).isNotEmpty();
    for (Path f : files) {
      try (ParquetFileReader r =
          ParquetFileReader.open(
              HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))) {
        rows += r.getRecordCount();
      }
    }
    return rows;
  }
}
