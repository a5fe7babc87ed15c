package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.batchinfer.udfs.plan.Problems;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only. Ends an application whose executors never start, instead of letting Spark wait for
 * them forever ("Initial job has not accepted any resources", every 15 s): when no executor has
 * registered within {@code job.executor_start_timeout}, it records why, stops the SparkContext (so
 * whatever the driver waits for fails at once), and {@link #failIfFired} turns the resulting error
 * into a {@link JobFailedException} (exit 1) that says what each executor asks for and, on a
 * standalone cluster, what the largest free Worker offers (from the Master's {@code /json/}
 * endpoint on {@code spark.master.ui.port}, default 8080).
 *
 * <p>Inert in local mode and when the timeout is 0. Under dynamic allocation the clock only runs
 * while a Spark job is waiting (executors are requested on demand). Owns one daemon thread and a
 * listener, both released by {@link #close()}.
 */
final class ExecutorStartWatchdog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorStartWatchdog.class);
  static final Duration TIMEOUT_DEFAULT = Duration.ofSeconds(90);
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|min|h)?");
  private static final long POLL_MILLIS = 500;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SparkContext sc;
  private final Listener listener = new Listener();
  private final Thread thread;
  private volatile String fired;

  /**
   * What each executor asks for: cores ({@code null}: standalone's default, all of a Worker's free
   * cores), heap.
   */
  record Ask(Integer cores, long memoryMb, Integer coresMax) {}

  /** A Worker's free resources, from the Master's JSON. */
  record Offer(String worker, int freeCores, long freeMemoryMb) {}

  private ExecutorStartWatchdog(SparkContext sc, Duration timeout) {
    this.sc = sc;
    if (sc == null) {
      thread = null;
      return;
    }
    sc.addSparkListener(listener);
    thread = new Thread(() -> watch(timeout), "batchinfer-executor-start-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Starts watching {@code sc}. {@code timeoutValue} is {@code job.executor_start_timeout} as
   * validated by {@link #timeout}.
   */
  static ExecutorStartWatchdog start(SparkContext sc, String timeoutValue) {
    Problems problems = new Problems();
    Duration timeout = timeout(timeoutValue, problems);
    problems.throwIfAny("");
    boolean off = sc.isLocal() || timeout.isZero();
    return new ExecutorStartWatchdog(off ? null : sc, timeout);
  }

  /**
   * Parses {@code job.executor_start_timeout}: {@code 90s}, {@code 2m}, {@code 120} (seconds),
   * {@code 0} (off); null means {@link #TIMEOUT_DEFAULT}. A bad value is recorded in {@code
   * problems}.
   */
  static Duration timeout(String value, Problems problems) {
    if (value == null || value.isBlank()) {
      return TIMEOUT_DEFAULT;
    }
    Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      problems.add(
          ConfigKeys.EXECUTOR_START_TIMEOUT
              + ": expected a duration such as 90s, 2m or 120 (seconds), or 0"
              + " to wait forever; found '"
              + value
              + "'.");
      return TIMEOUT_DEFAULT;
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m", "min" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
  }

  /**
   * Called with the failure the driver saw: if this watchdog stopped the application, throws a
   * {@link JobFailedException} that says why (with {@code e} as cause); otherwise returns.
   */
  void failIfFired(RuntimeException e) {
    if (fired != null) {
      throw new JobFailedException(fired, e);
    }
  }

  /** Stops watching; idempotent. */
  @Override
  public void close() {
    if (thread != null) {
      thread.interrupt();
      sc.removeSparkListener(listener);
    }
  }

  private void watch(Duration timeout) {
    boolean dynamic = sc.getConf().getBoolean("spark.dynamicAllocation.enabled", false);
    long waitedNanos = 0;
    long last = System.nanoTime();
    try {
      while (!sc.isStopped()
          && !listener.added
          && sc.statusTracker().getExecutorInfos().length <= 1) {
        TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        long now = System.nanoTime();
        if (!dynamic || sc.statusTracker().getActiveJobIds().length > 0) {
          waitedNanos += now - last;
        }
        last = now;
        if (waitedNanos >= timeout.toNanos() && !listener.added && !sc.isStopped()) {
          fired = message(timeout);
          LOG.error("{}", fired);
          sc.stop();
          return;
        }
      }
    } catch (InterruptedException e) {
      // closed
    } catch (RuntimeException e) {
      LOG.warn("executor start watchdog stopped: {}", e.toString());
    }
  }

  private String message(Duration timeout) {
    String master = sc.master();
    Ask ask =
        new Ask(
            sc.getConf().contains("spark.executor.cores")
                ? sc.getConf().getInt("spark.executor.cores", 1)
                : null,
            sc.executorMemory(),
            sc.getConf().contains("spark.cores.max")
                ? sc.getConf().getInt("spark.cores.max", 0)
                : null);
    if (master.startsWith("spark://")) {
      String uiPort = sc.getConf().get("spark.master.ui.port", "8080");
      List<String> errors = new ArrayList<>();
      for (String hostPort : master.substring("spark://".length()).split(",")) {
        String host =
            hostPort.contains(":") ? hostPort.substring(0, hostPort.lastIndexOf(':')) : hostPort;
        String url = "http://" + host + ":" + uiPort + "/json/";
        try {
          return standaloneMessage(timeout, ask, aliveWorkers(url));
        } catch (IOException | RuntimeException e) {
          errors.add(url + ": " + e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      return noExecutor(timeout, ask)
          + "; the Workers' free cores and memory could not be read from the Master ("
          + String.join("; ", errors)
          + "; set spark.master.ui.port if its web UI is on another port). Compare the"
          + " ask with the Workers' free cores and memory and lower spark.executor.cores (BATCHINFER_EXECUTOR_CORES) or"
          + " spark.executor.memory (BATCHINFER_EXECUTOR_MEMORY).";
    }
    if (master.equals("yarn")) {
      return noExecutor(timeout, ask)
          + " (plus memory overhead); YARN allocated no container for it: the queue may be"
          + " full, or no NodeManager has that much free. See application "
          + sc.applicationId()
          + " in the"
          + " ResourceManager's UI, then lower spark.executor.cores (BATCHINFER_EXECUTOR_CORES) or"
          + " spark.executor.memory (BATCHINFER_EXECUTOR_MEMORY), or use another queue (spark.yarn.queue).";
    }
    return noExecutor(timeout, ask)
        + "; the cluster manager ("
        + master
        + ") started none. Check its free resources"
        + " (Kubernetes: pending executor pods), then lower spark.executor.cores (BATCHINFER_EXECUTOR_CORES) or"
        + " spark.executor.memory (BATCHINFER_EXECUTOR_MEMORY). "
        + ConfigKeys.EXECUTOR_START_TIMEOUT
        + " sets how long"
        + " to wait.";
  }

  /**
   * The message for a standalone cluster, from what the executors ask and what the alive Workers
   * offer.
   */
  static String standaloneMessage(Duration timeout, Ask ask, List<Offer> alive) {
    String head = noExecutor(timeout, ask);
    if (alive.isEmpty()) {
      return head
          + "; the Master has no alive Worker. Start Workers (or check that they reach the Master).";
    }
    int wantCores = ask.cores() == null ? 1 : ask.cores();
    if (ask.coresMax() != null && ask.coresMax() < wantCores) {
      return head
          + "; spark.cores.max ("
          + ask.coresMax()
          + ") is below spark.executor.cores ("
          + wantCores
          + "): raise spark.cores.max or lower spark.executor.cores (BATCHINFER_EXECUTOR_CORES).";
    }
    Offer largest =
        alive.stream()
            .max(Comparator.comparingInt(Offer::freeCores).thenComparingLong(Offer::freeMemoryMb))
            .orElseThrow();
    int maxCores = largest.freeCores();
    long maxMemory = alive.stream().mapToLong(Offer::freeMemoryMb).max().orElse(0);
    boolean fits =
        alive.stream()
            .anyMatch(o -> o.freeCores() >= wantCores && o.freeMemoryMb() >= ask.memoryMb());
    String offer =
        "the largest free Worker offers "
            + cores(largest.freeCores())
            + " and "
            + memory(largest.freeMemoryMb());
    if (fits) {
      return head
          + "; "
          + offer
          + ", enough for one, so the executors probably fail as they start: see their stderr"
          + " in the Workers' work dirs ("
          + "<work dir>/<app id>/<executor id>/stderr).";
    }
    List<String> fixes = new ArrayList<>();
    if (wantCores > maxCores) {
      fixes.add(
          maxCores == 0
              ? "wait for other applications to free cores"
              : "lower spark.executor.cores or BATCHINFER_EXECUTOR_CORES (to at most "
                  + maxCores
                  + ")");
    }
    if (ask.memoryMb() > maxMemory) {
      fixes.add(
          "lower spark.executor.memory or BATCHINFER_EXECUTOR_MEMORY (to at most "
              + memory(maxMemory)
              + ")");
    }
    if (fixes.isEmpty()) {
      fixes.add(
          "no Worker has both the cores and the memory free: lower spark.executor.cores or"
              + " spark.executor.memory (BATCHINFER_EXECUTOR_CORES, BATCHINFER_EXECUTOR_MEMORY)");
    }
    return head + ", " + offer + "; " + String.join(" and ", fixes);
  }

  private static String noExecutor(Duration timeout, Ask ask) {
    String cores = ask.cores() == null ? "all free cores of a Worker" : cores(ask.cores());
    return "no executor started in "
        + seconds(timeout)
        + " ("
        + ConfigKeys.EXECUTOR_START_TIMEOUT
        + "): each executor"
        + " asks for "
        + cores
        + " and "
        + memory(ask.memoryMb());
  }

  private static List<Offer> aliveWorkers(String url) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
    List<Offer> alive = new ArrayList<>();
    for (JsonNode w : JSON.readTree(response.body()).path("workers")) {
      if ("ALIVE".equals(w.path("state").asText())) {
        alive.add(
            new Offer(
                w.path("id").asText(),
                w.path("cores").asInt() - w.path("coresused").asInt(),
                w.path("memory").asLong() - w.path("memoryused").asLong()));
      }
    }
    return alive;
  }

  private static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static String cores(int n) {
    return n + (n == 1 ? " core" : " cores");
  }

  /**
   * @return MiB as Spark writes sizes: {@code 2g}, {@code 640m}
   */
  static String memory(long mb) {
    return mb > 0 && mb % 1024 == 0 ? (mb / 1024) + "g" : mb + "m";
  }

  /** Marks the first executor that registers. Runs on Spark's listener bus thread. */
  private static final class Listener extends SparkListener {
    volatile boolean added;

    @Override
    public void onExecutorAdded(SparkListenerExecutorAdded event) {
      added = true;
    }
  }
}
