package io.batchinfer.tools.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory check ({@code benchmark.sh --memory}): the job, as a user runs it ({@code
 * run-local.sh}, local mode, so driver and executor share one JVM), on the tabular data with the
 * array passed through, in a 512 MB heap ({@code BATCHINFER_DRIVER_MEMORY=512m}), with the JVM's GC
 * log on. Reports whether it succeeded with every row written, and the heap use the GC log shows:
 * the peak before a collection, the most left after one (an upper bound of what was live), and
 * whether a full collection was needed. A check, not a timed test. Benchmark code only.
 */
public final class MemoryCheck {
  /** The heap the check runs in. */
  static final String HEAP = "512m";

  /** {@code 25M->3M(512M)} in a unified-logging GC line: before, after, capacity. */
  private static final Pattern GC_LINE =
      Pattern.compile("\\bGC\\(\\d+\\) (Pause \\w+).* (\\d+)M->(\\d+)M\\((\\d+)M\\)");

  private MemoryCheck() {}

  public static void run(BenchData d, long rows, Report report) throws Exception {
    Path model = FloatWorkloads.tabularModel(d);
    Path data = FloatWorkloads.tabularData(d, rows);
    String name = "memory-" + rows;
    String yaml =
        FloatWorkloads.job(
            name,
            data,
            model,
            "column: v",
            List.of("id", "v"),
            FloatWorkloads.TABULAR_BATCH,
            d.output(name + "-job"));
    Path gcLog = d.out.resolve("logs").resolve(name + "-gc.log");
    Files.createDirectories(gcLog.getParent());
    Files.deleteIfExists(gcLog);
    Map<String, String> env =
        Map.of("BATCHINFER_DRIVER_MEMORY", HEAP, "BATCHINFER_JAVA_OPTS", "-Xlog:gc:file=" + gcLog);
    Map<String, String> notes = new LinkedHashMap<>();
    long start = System.nanoTime();
    boolean ok;
    String failure = null;
    try {
      d.runJob(name, yaml, rows, env);
      ok = true;
    } catch (IllegalStateException e) {
      ok = false;
      failure = e.getMessage();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    List<ColdPhases> runs = d.phases.get(name);
    if (ok && runs != null && !runs.isEmpty()) {
      // The run's own process time (runJob may first record the class-data archive, untimed).
      seconds = runs.get(runs.size() - 1).seconds().get("total");
    }
    String log = Files.readString(d.out.resolve("logs").resolve(name + ".log"));
    boolean allRows = log.contains("rows_in=" + rows + " rows_out=" + rows + " ");
    Heap heap = Heap.parse(Files.exists(gcLog) ? Files.readAllLines(gcLog) : List.of());
    notes.put(
        "result",
        ok && allRows
            ? String.format(
                Locale.ROOT,
                "succeeded: %,d rows in, %,d rows written, in -Xmx%s",
                rows,
                rows,
                HEAP)
            : "FAILED in -Xmx"
                + HEAP
                + ": "
                + (failure == null ? "not every row written" : failure));
    notes.put(
        "heap (GC log)",
        String.format(
            Locale.ROOT,
            "capacity %d MB; peak used before a collection %d MB; most left after a collection %d"
                + " MB (upper bound of the live set); %d collections, %d of them full",
            heap.capacityMb,
            heap.peakBeforeMb,
            heap.maxAfterMb,
            heap.collections,
            heap.full));
    report.extra(
        name,
        Map.of(
            "ok",
            ok && allRows,
            "heap_mb",
            heap.capacityMb,
            "peak_before_gc_mb",
            heap.peakBeforeMb,
            "max_after_gc_mb",
            heap.maxAfterMb,
            "collections",
            heap.collections,
            "full_collections",
            heap.full));
    report.add(
        new Report.Workload(
            name,
            "the job on tabular data (array<float>[16] in, id and the array passed through) in a"
                + " 512 MB heap, local mode",
            rows,
            FloatWorkloads.TABULAR_BATCH,
            Map.of("job-512m", new double[] {ok ? rows / seconds : 0}),
            notes));
  }

  /** What a GC log says about the heap. */
  record Heap(long capacityMb, long peakBeforeMb, long maxAfterMb, int collections, int full) {
    static Heap parse(List<String> lines) {
      long capacity = 0;
      long before = 0;
      long after = 0;
      int n = 0;
      int full = 0;
      for (String line : lines) {
        Matcher m = GC_LINE.matcher(line);
        if (m.find()) {
          n++;
          full += m.group(1).equals("Pause Full") ? 1 : 0;
          before = Math.max(before, Long.parseLong(m.group(2)));
          after = Math.max(after, Long.parseLong(m.group(3)));
          capacity = Math.max(capacity, Long.parseLong(m.group(4)));
        }
      }
      return new Heap(capacity, before, after, n, full);
    }
  }
}
