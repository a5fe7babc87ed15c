package io.batchinfer.tools.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Where a cold job run's time went, in seconds, from the job's {@code job phases (ms since JVM
 * start)} log line (written by the job's {@code JobPhases}) and the process's start and end as the
 * benchmark saw them: {@code jvm} (JVM start until the job's main), {@code config}, {@code session}
 * (Spark start), {@code plan} (schema, model, footer check), {@code scoring} (scoring and writing),
 * {@code report}, {@code stop} (Spark stop) and {@code launch+exit} (the script before the JVM
 * started, and the JVM's exit after Spark stopped). Benchmark code only.
 */
public record ColdPhases(Map<String, Double> seconds) {
  private static final String PREFIX = "job phases (ms since JVM start): ";
  private static final List<String> MARKS =
      List.of("main", "config", "session", "planned", "scored", "report", "stopped");
  private static final List<String> NAMES =
      List.of("jvm", "config", "session", "plan", "scoring", "report", "stop");

  /**
   * @param started when the process was started (epoch ms)
   * @param ended when it exited (epoch ms)
   * @return the phases, or empty when the log has no complete phases line
   */
  public static Optional<ColdPhases> parse(List<String> log, long started, long ended) {
    for (String line : log) {
      int at = line.indexOf(PREFIX);
      if (at < 0) {
        continue;
      }
      Map<String, Long> marks = new LinkedHashMap<>();
      for (String kv : line.substring(at + PREFIX.length()).trim().split(" ")) {
        String[] p = kv.split("=", 2);
        if (p.length == 2) {
          marks.put(p[0], Long.parseLong(p[1].trim()));
        }
      }
      if (!marks.keySet().containsAll(MARKS) || !marks.containsKey("jvm_start_epoch_ms")) {
        return Optional.empty();
      }
      Map<String, Double> s = new LinkedHashMap<>();
      long previous = 0;
      for (int i = 0; i < MARKS.size(); i++) {
        long m = marks.get(MARKS.get(i));
        s.put(NAMES.get(i), (m - previous) / 1e3);
        previous = m;
      }
      // The JVM's start time and its uptime clock disagree by some 100 ms under load, so the
      // script before the JVM and the exit after Spark stopped are reported together.
      s.put("launch+exit", (ended - started - previous) / 1e3);
      s.put("total", (ended - started) / 1e3);
      return Optional.of(new ColdPhases(s));
    }
    return Optional.empty();
  }

  /**
   * @return the per-phase median of {@code runs}, as {@code name s} pairs
   */
  public static String medians(List<ColdPhases> runs) {
    return runs.get(0).seconds().keySet().stream()
        .map(
            k ->
                String.format(
                    Locale.ROOT,
                    "%s %.2f",
                    k,
                    Trial.median(runs.stream().mapToDouble(r -> r.seconds().get(k)).toArray())))
        .collect(Collectors.joining(", "));
  }
}
