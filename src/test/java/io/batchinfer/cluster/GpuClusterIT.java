package io.batchinfer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.testing.ExternalDataModels;
import io.batchinfer.testing.Projects;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPU placement and model files on a real standalone cluster ({@link LocalStandaloneCluster}: two
 * 2-core workers, executors as separate JVMs) whose workers advertise two fake GPUs each through a
 * resource discovery script (addresses "0" and "1"), with the CPU build of the cluster jar:
 *
 * <ul>
 *   <li>Spark assigns each task a GPU address; with {@code auto} every task runs on CPU and the
 *       report lists, per executor, the ordinals the tasks resolved and why they fell back; in the
 *       same run an external-data model scores through {@code files} exactly as ONNX Runtime scores
 *       it directly, and the two executors of this one node copy it into the cache once;
 *   <li>(slow) with {@code cuda} each task fails naming the provider, the ordinal and the config
 *       keys;
 *   <li>(slow) {@code batchinfer doctor --master} reports every executor with its GPU addresses.
 * </ul>
 */
class GpuClusterIT {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(150);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final float[][] W = {
    {0.5f, -1f, 2f}, {1.5f, 0f, -0.25f}, {-2f, 1f, 0.75f}, {0.1f, 0.2f, 0.3f}
  };
  private static final float[] B = {0.01f, -0.02f, 0.03f};

  private static LocalStandaloneCluster cluster;
  private static Path root;
  private static Path clusterJar;

  @TempDir static Path tmp;

  @BeforeAll
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  static void startCluster() throws Exception {
    root = Projects.root();
    clusterJar = root.resolve("target/batchinfer-cluster.jar");
    assertThat(clusterJar).as("built by mvn package").exists();
    Path script = tmp.resolve("discover-gpus.sh");
    Files.writeString(
        script, "#!/usr/bin/env bash\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    cluster =
        LocalStandaloneCluster.start(
            2,
            2,
            "1g",
            List.of(
                "-Dspark.worker.resource.gpu.amount=2",
                "-Dspark.worker.resource.gpu.discoveryScript=" + script));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * spark-submit of the cluster jar with one 2-core executor holding both GPUs, one GPU per task.
   */
  private static LocalStandaloneCluster.Launched submitWithGpus(String name, List<String> jobArgs)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--master",
                cluster.masterUrl(),
                "--class",
                "io.batchinfer.jobs.BatchInferenceJob",
                "--driver-memory",
                "512m",
                "--executor-memory",
                "640m",
                "--executor-cores",
                "2",
                "--total-executor-cores",
                "2",
                "--conf",
                "spark.executor.resource.gpu.amount=2",
                "--conf",
                "spark.task.resource.gpu.amount=1",
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST,
                "--conf",
                "spark.task.maxFailures=1",
                "--conf",
                "spark.locality.wait=0s",
                clusterJar.toString()));
    args.addAll(jobArgs);
    return cluster.submit(name, root, Map.of(), args);
  }

  @Test
  @Tag("slow")
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void cudaOnTheCpuJarFailsEachTaskNamingProviderOrdinalAndKey() throws Exception {
    Path input = ParquetFiles.writeIrisLike(tmp.resolve("cuda-input"), 2, 50, 4);
    LocalStandaloneCluster.Launched run =
        submitWithGpus(
            "cuda",
            List.of(
                "--config",
                "conf/examples/iris.yaml",
                "--set",
                "input.path=" + input,
                "--set",
                "model.device=cuda",
                "--set",
                "passthrough=[id]",
                "--set",
                "output.path=" + tmp.resolve("cuda-output")));
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isEqualTo(1);
    String all = run.stdout() + run.stderr();
    assertThat(all)
        .contains(
            "model.device is cuda but this executor's ONNX Runtime build has no CUDA provider")
        .containsPattern("GPU ordinal [01] from spark resource 'gpu'")
        .contains("model.device_fallback=cpu");
  }

  /**
   * One application covers the resource-to-ordinal mapping, the CPU fallback of {@code auto} and
   * the {@code files} distribution: two executors (one per worker, 2 cores and both GPUs each, one
   * GPU per task) score an external-data model.
   */
  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void gpuTasksFallBackToCpuNamingTheirOrdinalsAndAFilesModelIsCopiedOncePerNode()
      throws Exception {
    Path model =
        ExternalDataModels.linear(
            tmp.resolve("ext-model"), "linear.onnx", "x", "y", W, B, "weights.bin", "bias.bin");
    Path input = ParquetFiles.writeIrisLike(tmp.resolve("ext-input"), 8, 250, 5);
    Path output = tmp.resolve("ext-output");
    Path cache = tmp.resolve("model-cache");
    Path report = tmp.resolve("ext-report.json");
    Path config =
        Files.writeString(
            tmp.resolve("ext.yaml"),
            """
        input: {path: "%s"}
        model: {path: "%s", sha256: "%s", distribution: files, cache_dir: "%s", batch_size: 32, device: auto}
        inputs: {x: {columns: [sepal_length, sepal_width, petal_length, petal_width]}}
        outputs: {y: {column: scores}}
        passthrough: [id, sepal_length, sepal_width, petal_length, petal_width]
        output: {path: "%s"}
        report: {path: "%s"}
        """
                .formatted(input, model, pin(model), cache, output, report));
    LocalStandaloneCluster.Launched run =
        cluster.submit(
            "ext",
            root,
            Map.of(),
            List.of(
                "--master",
                cluster.masterUrl(),
                "--class",
                "io.batchinfer.jobs.BatchInferenceJob",
                "--driver-memory",
                "512m",
                "--executor-memory",
                "640m",
                "--executor-cores",
                "2",
                "--total-executor-cores",
                "4",
                "--conf",
                "spark.executor.resource.gpu.amount=2",
                "--conf",
                "spark.task.resource.gpu.amount=1",
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=" + LocalStandaloneCluster.HOST,
                "--conf",
                "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf",
                "spark.locality.wait=0s",
                "--conf",
                "spark.sql.files.openCostInBytes=134217728",
                clusterJar.toString(),
                "--config",
                config.toString()));
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isZero();
    assertThat(run.stdout()).contains("rows_out=2000");

    // Scores equal ONNX Runtime's, run directly on the same files (float32 features, as the job
    // casts them).
    List<ParquetFiles.IdRow> rows = ParquetFiles.read(output);
    assertThat(rows).hasSize(2000);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession direct = env.createSession(model.toString(), new OrtSession.SessionOptions())) {
      for (ParquetFiles.IdRow r : rows) {
        float[] features = {
          value(r, "sepal_length"),
          value(r, "sepal_width"),
          value(r, "petal_length"),
          value(r, "petal_width")
        };
        float[] expected;
        try (OnnxTensor t = OnnxTensor.createTensor(env, new float[][] {features});
            OrtSession.Result res = direct.run(Map.of("x", t))) {
          expected = ((float[][]) res.get(0).getValue())[0];
        }
        List<Float> got = elements(r.values());
        assertThat(got).as("row %d", r.id()).hasSize(3);
        for (int k = 0; k < 3; k++) {
          assertThat(got.get(k))
              .as("row %d output %d", r.id(), k)
              .isCloseTo(expected[k], org.assertj.core.data.Offset.offset(1e-6f));
        }
      }
    }

    // Both executors scored, and exactly one of them copied the model into the node's cache.
    String appId = matchOne(run.stdout(), "app_id=(app-\\S+)");
    List<Path> executorLogs = new ArrayList<>();
    for (Path workDir : cluster.workDirs()) {
      Path app = workDir.resolve(appId);
      if (Files.isDirectory(app)) {
        try (Stream<Path> dirs = Files.list(app)) {
          dirs.map(d -> d.resolve("stderr")).forEach(executorLogs::add);
        }
      }
    }
    assertThat(executorLogs).hasSize(2);
    long sessions = 0;
    long copies = 0;
    for (Path log : executorLogs) {
      List<String> lines = Files.readAllLines(log);
      sessions += lines.stream().filter(l -> l.contains("created ONNX Runtime session")).count();
      copies += lines.stream().filter(l -> l.contains("copied model sha256=")).count();
    }
    assertThat(sessions).as("one session per executor").isEqualTo(2);
    assertThat(copies).as("copies into the node's cache by its two executors").isOne();
    assertThat(cache.resolve(pin(model)).resolve("weights.bin"))
        .hasSameBinaryContentAs(model.resolveSibling("weights.bin"));
    assertThat(cache.resolve("driver"))
        .as("the driver plans from the graph alone: no copy of its own")
        .doesNotExist();

    // The report: per executor, the ordinals its tasks resolved from Spark's addresses, and why
    // they ran on CPU.
    JsonNode json = JSON.readTree(report.toFile());
    assertThat(json.path("model").path("distribution").asText()).isEqualTo("files");
    assertThat(json.path("model").path("external_data_files").asInt()).isEqualTo(2);
    JsonNode executors = json.path("executors");
    assertThat(executors).as(executors.toString()).hasSize(2);
    for (JsonNode e : executors) {
      assertThat(e.path("gpu_ordinals").toString()).as(e.toString()).isEqualTo("[0,1]");
      assertThat(e.path("providers").toString()).isEqualTo("[\"CPU\"]");
      assertThat(e.path("sessions_created").asLong())
          .as("both ordinals share one CPU session")
          .isOne();
      List<String> fallbacks = new ArrayList<>();
      e.path("device_fallbacks").forEach(f -> fallbacks.add(f.asText()));
      assertThat(fallbacks).hasSize(2);
      assertThat(fallbacks.get(0))
          .startsWith("cuda:0 unusable: ")
          .contains("GPU ordinal 0 from spark resource 'gpu'")
          .contains("no CUDA provider");
      assertThat(fallbacks.get(1))
          .startsWith("cuda:1 unusable: ")
          .contains("GPU ordinal 1 from spark resource 'gpu'");
    }
  }

  @Test
  @Tag("slow")
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void doctorReportsEveryExecutorWithItsGpusAndFailsForCuda() throws Exception {
    Path config =
        Files.writeString(
            tmp.resolve("doctor.yaml"),
            """
        input: {path: in}
        model: {path: m.onnx, device: cuda}
        inputs: {x: {column: a}}
        outputs: {y: {column: b}}
        output: {path: out}
        """);
    // As the README shows it: a plain java main (no spark-submit); the doctor ships its own jar.
    String classpath = cluster.sparkHome().resolve("jars") + "/*:" + clusterJar;
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(
        List.of(org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions().split(" ")));
    command.addAll(
        List.of(
            "-Xmx512m",
            "-cp",
            classpath,
            "io.batchinfer.jobs.BatchInferenceJob",
            "doctor",
            "--master",
            cluster.masterUrl(),
            "--config",
            config.toString(),
            "--conf",
            "spark.executor.memory=512m",
            "--conf",
            "spark.executor.cores=1",
            "--conf",
            "spark.cores.max=2",
            "--conf",
            "spark.executor.resource.gpu.amount=1",
            "--conf",
            "spark.task.resource.gpu.amount=1",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.driver.host=" + LocalStandaloneCluster.HOST,
            "--conf",
            "spark.driver.bindAddress=" + LocalStandaloneCluster.HOST,
            "--timeout",
            "120"));
    LocalStandaloneCluster.Launched run =
        cluster.run("doctor", root, Map.of("ORT_DISABLE_TELEMETRY", "1"), command);
    assertThat(run.await(JOB_TIMEOUT)).as(run.describe()).isEqualTo(1);
    String out = run.stdout();
    assertThat(Pattern.compile("(?m)^executor \\d+:$").matcher(out).results().count())
        .as(out)
        .isEqualTo(2);
    assertThat(
            Pattern.compile("GPU resources assigned by Spark: \\{gpu=\\[[01]\\]\\}")
                .matcher(out)
                .results()
                .count())
        .as(out)
        .isEqualTo(2);
    assertThat(out)
        .contains("providers compiled in: [CPU]")
        .containsPattern(
            "PROBLEM: executor \\d+ on .*: model.device cuda cannot work \\(CUDA:[01] does not initialise:"
                + " not compiled into this ONNX Runtime build")
        .contains("doctor: 2 problem(s)");
  }

  private static float value(ParquetFiles.IdRow row, String column) {
    return (float) Double.parseDouble(matchOne(row.values(), "(?m)^" + column + ": (\\S+)$"));
  }

  private static List<Float> elements(String groupText) {
    List<Float> values = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^\\s*element: (\\S+)$").matcher(groupText);
    while (m.find()) {
      values.add(Float.parseFloat(m.group(1)));
    }
    return values;
  }

  private static String matchOne(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("'" + regex + "' in:\n" + text).isTrue();
    return m.group(1);
  }

  /**
   * The documented pin: sha256 of the sha256sum lines of the graph, then its external files in name
   * order.
   */
  private static String pin(Path graph) throws Exception {
    StringBuilder manifest = new StringBuilder();
    for (String name : new String[] {"linear.onnx", "bias.bin", "weights.bin"}) {
      manifest
          .append(sha256(Files.readAllBytes(graph.resolveSibling(name))))
          .append("  ")
          .append(name)
          .append('\n');
    }
    return sha256(manifest.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
