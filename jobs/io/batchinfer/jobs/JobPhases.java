package io.batchinfer.jobs;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Driver only: when each step of a job run ended, in milliseconds since the JVM started (JVM and
 * Spark start, planning, scoring, report, shutdown), logged once at INFO at the end of the run as
 * {@code job phases (ms since JVM start): main=… session=… … jvm_start_epoch_ms=…}. The benchmark
 * reads this line to split a cold run's fixed costs (docs/PERFORMANCE.md). Not thread-safe (the
 * driver's main thread).
 */
final class JobPhases {
  /** The prefix of the logged line, which the benchmark parses. */
  static final String LINE_PREFIX = "job phases (ms since JVM start): ";

  private final Map<String, Long> marks = new LinkedHashMap<>();

  /** Records that step {@code name} ended now. */
  void mark(String name) {
    marks.put(name, ManagementFactory.getRuntimeMXBean().getUptime());
  }

  /**
   * @return the marks as {@code name=ms} pairs, in the order they were recorded
   */
  String line() {
    return LINE_PREFIX
        + marks.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(" "))
        + " jvm_start_epoch_ms="
        + ManagementFactory.getRuntimeMXBean().getStartTime();
  }
}
