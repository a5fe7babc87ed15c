package io.batchinfer.tools.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the modes of one workload in alternating order and keeps every sample: a warm-up round (not
 * counted) in declaration order, then {@code repeats} rounds, round {@code r} starting at mode
 * {@code r mod modes} so that no mode always runs first or last on a noisy machine. The median of
 * the samples is what gets reported. Benchmark code, driver JVM only.
 */
public final class Trial {
  /** One measured mode: a name and an action that returns the rows it processed. */
  public interface Mode {
    long run() throws Exception;
  }

  /** When not empty, only modes with these names run ({@code --modes}); others are skipped. */
  private static final java.util.Set<String> ONLY = new java.util.HashSet<>();

  /** Time the running mode asked not to count (see {@link #untimed}). */
  private static long untimedNanos;

  private final String workload;
  private final Map<String, Mode> modes = new LinkedHashMap<>();
  private final List<String> skipWarmUp = new ArrayList<>();

  public Trial(String workload) {
    this.workload = workload;
  }

  public Trial add(String name, Mode mode) {
    if (ONLY.isEmpty() || ONLY.contains(name) || ONLY.contains(workload + ":" + name)) {
      modes.put(name, mode);
    }
    return this;
  }

  /**
   * Called by a mode for work it does once and that is no part of what it measures (recording a
   * class-data archive before the first cold run): that time is taken off the mode's sample.
   */
  public static void untimed(long nanos) {
    untimedNanos += nanos;
  }

  /**
   * Restricts every trial to the modes named, as {@code mode} or {@code workload:mode} (empty: all
   * modes run).
   */
  public static void only(java.util.Collection<String> names) {
    ONLY.clear();
    ONLY.addAll(names);
  }

  /** Adds a mode that is cold by definition (a fresh JVM): not run in the warm-up round. */
  public Trial addCold(String name, Mode mode) {
    skipWarmUp.add(name);
    return add(name, mode);
  }

  /**
   * @return per mode, the rows/s of each counted round
   */
  public Map<String, double[]> run(int repeats) throws Exception {
    List<String> names = new ArrayList<>(modes.keySet());
    for (String name : names) {
      if (!skipWarmUp.contains(name)) {
        long start = System.nanoTime();
        long rows = modes.get(name).run();
        log("warm-up " + name, rows, System.nanoTime() - start);
      }
    }
    Map<String, double[]> rates = new LinkedHashMap<>();
    names.forEach(n -> rates.put(n, new double[repeats]));
    for (int r = 0; r < repeats; r++) {
      for (int i = 0; i < names.size(); i++) {
        String name = names.get((r + i) % names.size());
        untimedNanos = 0;
        long start = System.nanoTime();
        long rows = modes.get(name).run();
        long nanos = System.nanoTime() - start - untimedNanos;
        rates.get(name)[r] = rows / (nanos / 1e9);
        log("round " + (r + 1) + " " + name, rows, nanos);
      }
    }
    return rates;
  }

  private void log(String what, long rows, long nanos) {
    System.err.printf(
        java.util.Locale.ROOT,
        "[bench] %s %s: %d rows in %.2f s (%.0f rows/s)%n",
        workload,
        what,
        rows,
        nanos / 1e9,
        rows / (nanos / 1e9));
  }

  /**
   * @return the median of {@code samples}
   */
  public static double median(double[] samples) {
    double[] s = samples.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
