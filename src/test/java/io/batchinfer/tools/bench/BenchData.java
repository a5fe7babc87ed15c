package io.batchinfer.tools.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * What every workload needs: the Spark session, the generated data and models under the output
 * folder, the I/O-only mode, pre-loading rows for raw ONNX Runtime, and running the job as a user
 * does ({@code submit-scripts/run-local.sh} in a fresh JVM). Benchmark code, driver JVM only.
 */
public final class BenchData {
  /** Job runs longer than this are killed and reported as a failure: nothing waits forever. */
  private static final long JOB_TIMEOUT_MINUTES = 30;

  public final Path root;
  public final Path out;
  public final SparkSession spark;
  public final int threads;
  public final boolean job;

  /** Variant modes (A/B of one setting) run only on workloads of at most this many rows. */
  public final long extrasMaxRows;

  public BenchData(
      Path root, Path out, SparkSession spark, int threads, boolean job, long extrasMaxRows) {
    this.root = root;
    this.out = out;
    this.spark = spark;
    this.threads = threads;
    this.job = job;
    this.extrasMaxRows = extrasMaxRows;
  }

  /**
   * @return whether variant modes run for a workload of {@code rows} rows
   */
  public boolean extras(long rows) {
    return rows <= extrasMaxRows;
  }

  /**
   * Writes {@code columns} computed from {@code id} in [0, rows) to {@code out/data/name} as {@code
   * files} Parquet files, unless a complete copy is there already. The values depend on {@code id}
   * only (Spark's murmur3 {@code hash}), so they do not change with the partitioning.
   */
  public Path generate(String name, long rows, int files, Column... columns) {
    Path dir = out.resolve("data").resolve(name);
    if (Files.exists(dir.resolve("_SUCCESS"))) {
      return dir;
    }
    List<Column> all = new ArrayList<>();
    all.add(org.apache.spark.sql.functions.col("id"));
    all.addAll(List.of(columns));
    spark
        .range(0, rows, 1, files)
        .select(all.toArray(new Column[0]))
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(dir.toString());
    return dir;
  }

  /** A float in [-1, 1) from {@code id} and a salt: {@code hash(id, salt) % 10000 / 10000}. */
  public static String floatExpr(String id, Object salt) {
    return "cast(hash(" + id + ", " + salt + ") % 10000 / 10000.0 as float)";
  }

  /**
   * Mode (2): reads {@code columns} of {@code in} and writes them, no inference. @return rows
   * written
   */
  public long ioOnly(Path in, List<String> columns, Integer partitions, long rows, String name) {
    Dataset<Row> df =
        spark.read().parquet(in.toString()).selectExpr(columns.toArray(new String[0]));
    if (partitions != null) {
      df = df.repartition(partitions);
    }
    df.write()
        .mode(SaveMode.Overwrite)
        .parquet(out.resolve("out").resolve(name + "-io").toString());
    return rows;
  }

  /**
   * The first {@code limit} rows of {@code df}, flattened row-major from float columns or one
   * array<float> column.
   */
  public static float[] preload(Dataset<Row> df, int limit, int width) {
    float[] flat = new float[Math.multiplyExact(limit, width)];
    Iterator<Row> it = df.limit(limit).toLocalIterator();
    int r = 0;
    while (it.hasNext()) {
      Row row = it.next();
      if (row.size() == 1 && !(row.get(0) instanceof Float)) {
        List<Float> v = row.getList(0);
        for (int i = 0; i < width; i++) {
          flat[r * width + i] = v.get(i);
        }
      } else {
        for (int i = 0; i < width; i++) {
          flat[r * width + i] = row.getFloat(i);
        }
      }
      r++;
    }
    if (r != limit) {
      throw new IllegalStateException("preloaded " + r + " rows, expected " + limit);
    }
    return flat;
  }

  /**
   * Mode (4): runs the job as a user runs it, {@code submit-scripts/run-local.sh config}, in a
   * fresh JVM on {@code local[threads]}. Timed from process start to exit (JVM start, planning,
   * footer check, scoring, writing, report). @return {@code rows}
   */
  public long runJob(String name, String yaml, long rows, String... extraArgs)
      throws IOException, InterruptedException {
    return runJob(name, yaml, rows, Map.of(), extraArgs);
  }

  /**
   * {@link #runJob(String, String, long, String...)} with extra environment variables for
   * run-local.sh (e.g. {@code BATCHINFER_CDS=0}). Before the first timed run, records
   * run-local.sh's class-data-sharing archive with an untimed run of the same job if the build has
   * none yet, so that no timed run pays for recording it.
   */
  public long runJob(
      String name, String yaml, long rows, Map<String, String> env, String... extraArgs)
      throws IOException, InterruptedException {
    Path conf = out.resolve("conf").resolve(name + ".yaml");
    Files.createDirectories(conf.getParent());
    Files.writeString(conf, yaml);
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash", root.resolve("submit-scripts/run-local.sh").toString(), conf.toString()));
    cmd.addAll(List.of(extraArgs));
    Path log = out.resolve("logs").resolve(name + ".log");
    Path jar = root.resolve("target/batchinfer.jar");
    Path cds = root.resolve("target/batchinfer-cds.jsa");
    if (!env.containsKey("BATCHINFER_CDS")
        && (!Files.exists(cds)
            || Files.getLastModifiedTime(cds).compareTo(Files.getLastModifiedTime(jar)) <= 0)) {
      long recording = System.nanoTime();
      launch(name, cmd, out.resolve("logs").resolve(name + "-cds-record.log"), env);
      Trial.untimed(System.nanoTime() - recording);
    }
    long started = System.currentTimeMillis();
    launch(name, cmd, log, env);
    long ended = System.currentTimeMillis();
    ColdPhases.parse(Files.readAllLines(log), started, ended)
        .ifPresent(p -> phases.computeIfAbsent(name, k -> new ArrayList<>()).add(p));
    return rows;
  }

  /**
   * Runs {@link EmptySparkApp} the way run-local.sh runs the job (SparkSubmit, same JVM flags,
   * classpath, master and class-data sharing): start a session, one trivial Spark job,
   * stop. @return {@code rows}, so that its rows/s compares with the job's
   */
  public long runEmptySparkApp(long rows) throws IOException, InterruptedException {
    String build = root.resolve("target").toString();
    // A jar, not target/test-classes: class-data sharing refuses non-empty directories on the
    // classpath. Written once: a jar newer than the archive makes the JVM ignore the archive.
    Path appJar = out.resolve("empty-spark-app.jar");
    Path archive = out.resolve("empty-spark-app.jsa");
    if (!Files.exists(appJar)) {
      String entry = EmptySparkApp.class.getName().replace('.', '/') + ".class";
      try (java.util.jar.JarOutputStream jar =
              new java.util.jar.JarOutputStream(Files.newOutputStream(appJar));
          java.io.InputStream in =
              EmptySparkApp.class.getClassLoader().getResourceAsStream(entry)) {
        jar.putNextEntry(new java.util.jar.JarEntry(entry));
        in.transferTo(jar);
        jar.closeEntry();
      }
      Files.deleteIfExists(archive);
    }
    List<String> cmd = new ArrayList<>(List.of("java"));
    for (String opt : System.getenv().getOrDefault("BATCHINFER_DRIVER_OPTS", "").split(" ")) {
      if (!opt.isBlank()) {
        cmd.add(opt);
      }
    }
    // Class-data sharing as run-local.sh does for the job: an archive recorded by an untimed first
    // run, so the two compare like for like.
    boolean record = !Files.exists(archive);
    cmd.add((record ? "-XX:ArchiveClassesAtExit=" : "-XX:SharedArchiveFile=") + archive);
    cmd.addAll(List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off", "-Xlog:class+path=off"));
    cmd.addAll(
        List.of(
            "-Xmx2g",
            "-Dlog4j2.configurationFile=" + root.resolve("conf/log4j2.properties"),
            "-cp",
            build + "/lib/*:" + build + "/batchinfer.jar:" + appJar,
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            "local[" + threads + "]",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            "--class",
            EmptySparkApp.class.getName(),
            appJar.toString()));
    Path log = out.resolve("logs").resolve("empty-spark-app.log");
    if (record) {
      long recording = System.nanoTime();
      launch("empty-spark-app", cmd, log, Map.of());
      Trial.untimed(System.nanoTime() - recording);
      cmd.replaceAll(
          a -> a.startsWith("-XX:ArchiveClassesAtExit=") ? "-XX:SharedArchiveFile=" + archive : a);
    }
    launch("empty-spark-app", cmd, log, Map.of());
    return rows;
  }

  /** Per job name, the phases of each cold run (from the job's {@code job phases} log line). */
  public final java.util.Map<String, List<ColdPhases>> phases = new java.util.LinkedHashMap<>();

  private void launch(String name, List<String> cmd, Path log, Map<String, String> env)
      throws IOException, InterruptedException {
    Files.createDirectories(log.getParent());
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(root.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("SPARK_MASTER", "local[" + threads + "]");
    // benchmark.sh built the jar; never rebuild inside a timed run.
    pb.environment().put("BATCHINFER_REBUILD", "0");
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(JOB_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "job " + name + " ran longer than " + JOB_TIMEOUT_MINUTES + " minutes; see " + log);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "job " + name + " exited with " + p.exitValue() + "; see " + log);
    }
  }

  /**
   * @return {@code path} as a YAML string value
   */
  public static String q(Path path) {
    return "\"" + path.toString().replace(File.separatorChar, '/') + "\"";
  }

  /**
   * @return where the engine / job modes of {@code name} write
   */
  public Path output(String name) {
    return out.resolve("out").resolve(name);
  }
}
