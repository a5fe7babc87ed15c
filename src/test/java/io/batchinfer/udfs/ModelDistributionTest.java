package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.batchinfer.testing.ExternalDataModels;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.model.LocalModelCache;
import io.batchinfer.udfs.session.SessionCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code model.distribution}: a model whose weights live in external-data files scores through
 * {@code files} (and {@code auto}) exactly as ONNX Runtime scores it directly from the same files;
 * the sha256 pin covers the graph and every external-data file; {@code broadcast} refuses such a
 * model with a fix. Local Spark; the multi-JVM run is in the standalone cluster test.
 */
class ModelDistributionTest extends SparkTestBase {
  private static final float[][] W = {
    {0.5f, -1f, 2f}, {1.5f, 0f, -0.25f}, {-2f, 1f, 0.75f}, {0.1f, 0.2f, 0.3f}
  };
  private static final float[] B = {0.01f, -0.02f, 0.03f};
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  @TempDir Path dir;
  private Path graph;
  private Path cache;

  @BeforeEach
  void writeModel() throws Exception {
    graph =
        ExternalDataModels.linear(
            dir.resolve("model"), "linear.onnx", "x", "y", W, B, "weights.bin", "bias.bin");
    cache = dir.resolve("cache");
  }

  @AfterEach
  void forget() {
    SessionCache.closeAll();
    LocalModelCache.forget();
  }

  private Dataset<Row> rows(int n) {
    Random random = new Random(11);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < n; id++) {
      float[] f = new float[4];
      List<Float> list = new ArrayList<>();
      for (int j = 0; j < 4; j++) {
        f[j] = random.nextFloat() * 4 - 2;
        list.add(f[j]);
      }
      rows.add(RowFactory.create(id, list));
    }
    return spark.createDataFrame(rows, SCHEMA).repartition(3);
  }

  private BatchInference.Builder request(ModelDistribution distribution, String sha256) {
    return BatchInference.builder()
        .modelPath(graph.toString(), sha256)
        .input("x", InputMapping.column("features"))
        .output("y", OutputMapping.toColumn("scores"))
        .passthrough(List.of("id"))
        .batchSize(7)
        .distribution(distribution, ModelDistribution.THRESHOLD_MB_DEFAULT)
        .cacheDir(cache.toString());
  }

  /**
   * The pin as documented: sha256 of what {@code sha256sum linear.onnx bias.bin weights.bin}
   * prints.
   */
  private String pin() throws Exception {
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

  @Test
  void externalDataModelScoresThroughFilesLikeOnnxRuntimeDirectly() throws Exception {
    Dataset<Row> input = rows(40);
    for (ModelDistribution mode :
        new ModelDistribution[] {ModelDistribution.FILES, ModelDistribution.AUTO}) {
      SessionCache.closeAll();
      InferencePlan plan = request(mode, pin()).plan(spark, input.schema());
      assertThat(plan.model().distribution()).as(mode.toString()).isEqualTo("files");
      assertThat(plan.model().sha256()).isEqualTo(pin());
      assertThat(plan.describe()).contains("distribution files (graph + 2 external-data file(s)");
      Map<Long, float[]> expected = oracle(input);
      List<Row> scored = plan.apply(input).scored().collectAsList();
      assertThat(scored).hasSize(40);
      for (Row r : scored) {
        List<Float> got = r.getList(1);
        float[] want = expected.get(r.getLong(0));
        for (int k = 0; k < 3; k++) {
          assertThat(got.get(k))
              .as("id %d output %d", r.getLong(0), k)
              .isCloseTo(want[k], org.assertj.core.data.Offset.offset(1e-6f));
        }
      }
    }
    // Planning read the graph only and copied nothing; the tasks copied the files once into the
    // node's cache, under the pin's name.
    assertThat(cache.resolve("driver")).doesNotExist();
    assertThat(cache.resolve(pin()).resolve("weights.bin"))
        .hasSameBinaryContentAs(graph.resolveSibling("weights.bin"));
  }

  /**
   * ONNX Runtime on the original files, by path (external data resolved next to the graph), one row
   * per run.
   */
  private Map<Long, float[]> oracle(Dataset<Row> input) throws Exception {
    Map<Long, float[]> out = new HashMap<>();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session =
        env.createSession(graph.toString(), new OrtSession.SessionOptions())) {
      for (Row r : input.collectAsList()) {
        List<Float> f = r.getList(1);
        float[] row = new float[4];
        for (int j = 0; j < 4; j++) {
          row[j] = f.get(j);
        }
        try (OnnxTensor t = OnnxTensor.createTensor(env, new float[][] {row});
            OrtSession.Result res = session.run(Map.of("x", t))) {
          out.put(r.getLong(0), ((float[][]) res.get(0).getValue())[0]);
        }
      }
    }
    return out;
  }

  /**
   * Pinned, the driver reads no weights, so a tampered external-data file is caught where the bytes
   * are read: by the task that copies the model, before any row is scored. Nothing of the tampered
   * copy keeps the pin's name.
   */
  @Test
  void tamperedExternalDataFailsThePinBeforeAnyRowIsScored() throws Exception {
    String pin = pin();
    byte[] bias = Files.readAllBytes(graph.resolveSibling("bias.bin"));
    bias[0] ^= 1;
    Files.write(graph.resolveSibling("bias.bin"), bias);
    InferencePlan plan = request(ModelDistribution.AUTO, pin).plan(spark, SCHEMA);
    assertThat(plan.model().sha256()).isEqualTo(pin);
    assertThatThrownBy(() -> plan.apply(rows(10)).scored().collectAsList())
        .hasStackTraceContaining("model.sha256: ")
        .hasStackTraceContaining("with its 2 external-data file(s) has sha256 " + pin())
        .hasStackTraceContaining("but the config pins " + pin)
        .hasStackTraceContaining(sha256(bias) + "  bias.bin");
    // Spark kills the job's other tasks asynchronously; one may still be copying (and then fail
    // the pin and delete its copy). Wait, bounded, for the cache folder to settle.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    List<String> names;
    do {
      try (var s = Files.list(cache)) {
        names = s.map(p -> p.getFileName().toString()).toList();
      }
      if (names.stream().noneMatch(n -> n.startsWith(".copy-"))) {
        break;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    assertThat(names)
        .as("no copy kept of a model that failed its pin")
        .noneMatch(n -> n.startsWith(".copy-") || n.equals(pin));
  }

  /** Not pinned, the driver computes the sha256 (streaming the files, copying none). */
  @Test
  void unpinnedModelIsHashedOnTheDriverWithoutACopy() throws Exception {
    InferencePlan plan = request(ModelDistribution.FILES, null).plan(spark, SCHEMA);
    assertThat(plan.model().sha256()).isEqualTo(pin());
    assertThat(cache).doesNotExist();
  }

  @Test
  void broadcastRefusesExternalDataWithAFix() {
    assertThatThrownBy(() -> request(ModelDistribution.BROADCAST, null).plan(spark, SCHEMA))
        .hasMessageContaining("model.distribution: ")
        .hasMessageContaining("keeps weights in external data files [bias.bin, weights.bin]")
        .hasMessageContaining("Set model.distribution to files (or auto)");
  }

  @Test
  void aMissingExternalDataFileIsNamed() throws Exception {
    Files.delete(graph.resolveSibling("weights.bin"));
    assertThatThrownBy(() -> request(ModelDistribution.AUTO, null).plan(spark, SCHEMA))
        .hasMessageContaining("model.path: ")
        .hasMessageContaining(
            "stores weights in external data file 'weights.bin', which is missing");
  }

  @Test
  void autoBroadcastsSmallSelfContainedModelsAndCopiesLargeOnes() throws Exception {
    Path inline = TestModels.write(TestModels.linear("x", "y", W, B), dir.resolve("inline.onnx"));
    BatchInference.Builder small =
        BatchInference.builder()
            .modelPath(inline.toString(), null)
            .input("x", InputMapping.column("features"))
            .output("y", OutputMapping.toColumn("scores"))
            .cacheDir(cache.toString());
    InferencePlan broadcast = small.plan(spark, SCHEMA);
    assertThat(broadcast.model().distribution()).isEqualTo("broadcast");
    assertThat(broadcast.describe()).contains("distribution broadcast");
    // Over the threshold (0 MB here), the same model goes as a file; its pin is the file's sha256.
    InferencePlan files = small.distribution(ModelDistribution.AUTO, 0).plan(spark, SCHEMA);
    assertThat(files.model().distribution()).isEqualTo("files");
    assertThat(files.model().sha256()).isEqualTo(sha256(Files.readAllBytes(inline)));
    assertThat(files.apply(rows(5)).scored().count()).isEqualTo(5);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
