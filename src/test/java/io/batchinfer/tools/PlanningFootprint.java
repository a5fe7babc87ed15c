package io.batchinfer.tools;

import io.batchinfer.testing.ExternalDataModels;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.ModelDistribution;
import io.batchinfer.udfs.OutputMapping;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What planning a {@code model.distribution: files} model costs the driver, printed (never
 * asserted): wall time of {@code plan(...)}, the driver JVM's peak resident memory before and after
 * ({@code VmHWM} in {@code /proc/self/status}: ONNX Runtime's native copy of the weights shows
 * here, not in the heap), the heap in use after planning, and the bytes planning left in {@code
 * model.cache_dir}. The model is a lookup table of {@code size-mb} MB in an external-data file
 * ({@link ExternalDataModels#hugeLookup}), planned once unpinned and once with {@code model.sha256}
 * (pinned), each in its own JVM (this JVM keeps what it copied). Also printed: bytes the driver
 * read and wrote while planning ({@code rchar}/{@code wchar} in {@code /proc/self/io}). Linux only.
 * Run:
 *
 * <pre>
 * java ... io.batchinfer.tools.PlanningFootprint &lt;dir&gt; &lt;size-mb&gt; pinned|unpinned
 * </pre>
 */
public final class PlanningFootprint {
  private PlanningFootprint() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long mb = Long.parseLong(args[1]);
    String mode = args[2];
    Path graph = dir.resolve("model").resolve("lookup.onnx");
    if (!Files.exists(graph)) {
      ExternalDataModels.hugeLookup(
          graph.getParent(), "lookup.onnx", "idx", "value", mb * 1024 * 1024 / 4, "table.bin");
    }
    String pin = pin(graph, "table.bin");
    SparkSession spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("planning-footprint")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    StructType schema = new StructType().add("idx", DataTypes.LongType);
    try {
      {
        Path cache = dir.resolve("cache-" + mode);
        System.gc();
        long hwmBefore = peakRssKb();
        long[] ioBefore = io();
        long start = System.nanoTime();
        InferencePlan plan =
            BatchInference.builder()
                .modelPath(graph.toString(), mode.equals("pinned") ? pin : null)
                .input("idx", InputMapping.column("idx"))
                .output("value", OutputMapping.toColumn("value"))
                .distribution(ModelDistribution.FILES, ModelDistribution.THRESHOLD_MB_DEFAULT)
                .cacheDir(cache.toString())
                .plan(spark, schema);
        long ms = (System.nanoTime() - start) / 1_000_000;
        long hwmAfter = peakRssKb();
        long[] ioAfter = io();
        Runtime rt = Runtime.getRuntime();
        long heapMb = (rt.totalMemory() - rt.freeMemory()) >> 20;
        System.out.printf(
            Locale.ROOT,
            "model %d MB %s: plan %d ms, peak RSS %d -> %d MB (+%d), heap used %d MB,"
                + " read %d MB, written %d MB, sha256 %s%n",
            mb,
            mode,
            ms,
            hwmBefore >> 10,
            hwmAfter >> 10,
            (hwmAfter - hwmBefore) >> 10,
            heapMb,
            (ioAfter[0] - ioBefore[0]) >> 20,
            (ioAfter[1] - ioBefore[1]) >> 20,
            plan.model().sha256().substring(0, 12));
      }
    } finally {
      spark.stop();
    }
  }

  private static String pin(Path graph, String data) throws Exception {
    String manifest =
        sha(graph)
            + "  "
            + graph.getFileName()
            + "\n"
            + sha(graph.resolveSibling(data))
            + "  "
            + data
            + "\n";
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(manifest.getBytes()));
  }

  private static String sha(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static long peakRssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** rchar and wchar of this process. */
  private static long[] io() throws IOException {
    long[] rw = new long[2];
    for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
      if (line.startsWith("rchar:")) {
        rw[0] = Long.parseLong(line.replaceAll("[^0-9]", ""));
      } else if (line.startsWith("wchar:")) {
        rw[1] = Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return rw;
  }
}
