package io.batchinfer.cluster;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;

/**
 * A main class that runs another main class in the same JVM and ends the JVM when the process that
 * started it has gone, or when a deadline passes. {@link LocalStandaloneCluster} starts every Spark
 * daemon and every {@code SparkSubmit} through it, so that no process outlives a test JVM that was
 * killed (where {@code close()} and shutdown hooks never run).
 *
 * <p>Usage: {@code ProcessWatchdog <parent pid> <parent start, epoch ms, or -1> <max seconds> <main
 * class> [args...]}. The start time guards against a recycled pid. On exit it calls {@code
 * System.exit}, so Spark's shutdown hooks run (a worker kills its executors and drivers), and halts
 * 20 s later if those hang.
 *
 * <p>Must stay one class file without nested or anonymous classes: the cluster copies this {@code
 * .class} alone onto the child's classpath (the test classpath holds a log4j2-test config that
 * would change the child's logging).
 */
public final class ProcessWatchdog {
  private ProcessWatchdog() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 4) {
      System.err.println(
          "usage: ProcessWatchdog <parent pid> <parent start epoch ms|-1> <max seconds> <main class> [args...]");
      System.exit(2);
    }
    long parentPid = Long.parseLong(args[0]);
    long parentStart = Long.parseLong(args[1]);
    long deadline = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
    Thread watcher =
        new Thread(() -> watch(parentPid, parentStart, deadline), "batchinfer-process-watchdog");
    watcher.setDaemon(true);
    watcher.start();
    Method main = Class.forName(args[3]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 4, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static void watch(long parentPid, long parentStart, long deadline) {
    while (true) {
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        return;
      }
      String reason = null;
      if (!parentAlive(parentPid, parentStart)) {
        reason = "parent process " + parentPid + " is gone";
      } else if (System.nanoTime() - deadline > 0) {
        reason = "deadline passed";
      }
      if (reason != null) {
        System.err.println("ProcessWatchdog: " + reason + "; exiting");
        Thread halt =
            new Thread(
                () -> {
                  try {
                    Thread.sleep(20_000);
                  } catch (InterruptedException e) {
                    // halt anyway
                  }
                  Runtime.getRuntime().halt(137);
                },
                "batchinfer-process-watchdog-halt");
        halt.setDaemon(true);
        halt.start();
        System.exit(137);
      }
    }
  }

  private static boolean parentAlive(long pid, long startMillis) {
    Optional<ProcessHandle> parent = ProcessHandle.of(pid);
    if (parent.isEmpty() || !parent.get().isAlive()) {
      return false;
    }
    if (startMillis < 0) {
      return true;
    }
    Optional<Instant> start = parent.get().info().startInstant();
    // Start times come from /proc with clock-tick resolution: allow a second of difference.
    return start.isEmpty() || Math.abs(start.get().toEpochMilli() - startMillis) < 1000;
  }
}
