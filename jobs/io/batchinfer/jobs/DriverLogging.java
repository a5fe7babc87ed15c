package io.batchinfer.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.appender.FileAppender;
import org.apache.logging.log4j.core.config.AppenderRef;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver only: where the driver's log goes while a person watches the job in a terminal.
 *
 * <p>When stderr is a terminal, the console keeps warnings and errors (and, with {@code --verbose},
 * whatever the log4j2 config lets through, as before), while everything at INFO from batchinfer and
 * Spark goes to a log file: a local temporary file while the job runs, copied next to the run
 * report ({@code driver.log}) when the report is written. Console log lines go through the {@link
 * StatusLine}, so they never land on the progress line. When stderr is not a terminal (a scheduler,
 * CI, a cluster-mode driver) the log4j2 configuration is left exactly as it is: full logs on
 * stderr, where schedulers collect them.
 *
 * <p>Works on log4j2's running configuration (the one {@code -Dlog4j2.configurationFile} chose, or
 * Spark's default): the root logger is lowered to INFO so Spark's INFO reaches the file, and every
 * console appender is wrapped by one that lets through only what the original configuration did
 * (and, unless verbose, only WARN and above). {@link #close} restores the configuration. Not
 * thread-safe: set up and closed by the job's thread.
 */
final class DriverLogging implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DriverLogging.class);

  /** Name of the log next to the run report. */
  static final String FILE_NAME = "driver.log";

  private static final String FILE_APPENDER = "batchinfer-driver-log";
  private static final String FILE_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %p [%t] %c{1}: %m%n%ex";

  private final StatusLine status;
  private final Path file;
  private final Runnable restore;

  /** The local file is the only copy (no report to put it beside, or the copy failed): keep it. */
  private boolean keep;

  private DriverLogging(StatusLine status, Path file, Runnable restore) {
    this.status = status;
    this.file = file;
    this.restore = restore;
  }

  /**
   * @return whether this JVM's stderr (file descriptor 2) is a terminal
   */
  static boolean stderrIsTerminal() {
    try {
      // Linux: fd 2 links to the terminal's device. Java has no isatty(2); System.console() needs
      // stdin and stdout.
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }

  /**
   * Sets up the driver's logging for a run.
   *
   * @param err stderr
   * @param terminal stderr is a terminal: INFO to a log file, a quiet console
   * @param verbose keep INFO on the console too (as configured), and still write the file
   */
  static DriverLogging configure(PrintStream err, boolean terminal, boolean verbose) {
    StatusLine status = new StatusLine(err, terminal);
    if (!terminal) {
      return new DriverLogging(status, null, () -> {});
    }
    Path file = null;
    try {
      if (!(LogManager.getContext(false) instanceof LoggerContext ctx)) {
        return new DriverLogging(
            status, null, () -> {}); // not log4j2's core (another backend): leave it alone
      }
      file = Files.createTempFile("batchinfer-driver-", ".log");
      Runnable restore = quiet(ctx, status, file, verbose);
      return new DriverLogging(status, file, restore);
    } catch (IOException | RuntimeException | LinkageError e) {
      err.println(
          "batchinfer: warning: cannot set up the driver log file ("
              + e
              + "); logging to the console as configured");
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // a temporary file
        }
      }
      return new DriverLogging(status, null, () -> {});
    }
  }

  /**
   * @return the progress line's owner, shared with the console log
   */
  StatusLine status() {
    return status;
  }

  /**
   * @return the local log file, or null when logs go to the console as configured
   */
  Path file() {
    return file;
  }

  /**
   * @return where the log goes next to a report at {@code reportJson}: {@value #FILE_NAME} beside
   *     the default {@code report.json}; beside any other name {@code x.json}, {@code x.driver.log}
   *     (so runs whose {@code report.path} shares a folder keep their own logs)
   */
  static String locationBeside(String reportJson) {
    org.apache.hadoop.fs.Path report = new org.apache.hadoop.fs.Path(reportJson);
    String name = report.getName();
    String base =
        name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
    return new org.apache.hadoop.fs.Path(
            report.getParent(), "report".equals(base) ? FILE_NAME : base + "." + FILE_NAME)
        .toString();
  }

  /**
   * Copies the log so far next to the run report (any Hadoop file system).
   *
   * @param reportJson where report.json was written, or null if it was not
   * @return where the log can be read: beside the report, or the local file if there is no report
   *     or the copy failed; null when there is no log file
   */
  String publish(Configuration hadoop, String reportJson) {
    if (file == null) {
      return null;
    }
    if (reportJson == null) {
      keep = true;
      return file.toString();
    }
    String target = locationBeside(reportJson);
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(target);
      FileSystem fs = p.getFileSystem(hadoop);
      try (OutputStream os = fs.create(p, true)) {
        Files.copy(file, os);
      }
      return target;
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot copy the driver log to {}; it stays at {}", target, file, e);
      keep = true;
      return file.toString();
    }
  }

  /**
   * Restores the log4j2 configuration; deletes the local file unless it is the only copy of the
   * log.
   */
  @Override
  public void close() {
    restore.run();
    if (file != null && !keep) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // a temporary file: nothing to do
      }
    }
  }

  /**
   * @return how to undo it: adds the file at INFO, wraps every console appender; see the class
   *     Javadoc
   */
  private static Runnable quiet(LoggerContext ctx, StatusLine status, Path file, boolean verbose) {
    org.apache.logging.log4j.core.config.Configuration config = ctx.getConfiguration();
    Map<String, Level> configured = new HashMap<>();
    config.getLoggers().forEach((name, lc) -> configured.put(name, lc.getLevel()));
    LoggerConfig root = config.getRootLogger();
    configured.put(root.getName(), root.getLevel());

    FileAppender fileAppender =
        FileAppender.newBuilder()
            .setName(FILE_APPENDER)
            .withFileName(file.toString())
            .setLayout(
                PatternLayout.newBuilder()
                    .withPattern(FILE_PATTERN)
                    .withConfiguration(config)
                    .build())
            .setConfiguration(config)
            .build();
    fileAppender.start();
    config.addAppender(fileAppender);

    List<Runnable> undo = new ArrayList<>();
    List<LoggerConfig> all = new ArrayList<>(config.getLoggers().values());
    if (!all.contains(root)) {
      all.add(root);
    }
    for (LoggerConfig lc : all) {
      for (Map.Entry<String, Appender> a : Map.copyOf(lc.getAppenders()).entrySet()) {
        if (!(a.getValue() instanceof ConsoleAppender console)) {
          continue;
        }
        AppenderRef ref =
            lc.getAppenderRefs().stream()
                .filter(r -> r.getRef().equals(a.getKey()))
                .findFirst()
                .orElse(null);
        Level refLevel = ref == null ? null : ref.getLevel();
        Filter refFilter = ref == null ? null : ref.getFilter();
        Appender wrapper =
            new ConsoleLines(console, status, config, configured, verbose ? null : Level.WARN);
        wrapper.start();
        lc.removeAppender(a.getKey());
        lc.addAppender(wrapper, refLevel, refFilter);
        undo.add(
            () -> {
              lc.removeAppender(wrapper.getName());
              lc.addAppender(console, refLevel, refFilter);
              wrapper.stop();
            });
      }
      if (lc == root || !lc.isAdditive()) {
        lc.addAppender(fileAppender, null, null);
        undo.add(() -> lc.removeAppender(FILE_APPENDER));
      }
    }
    Level rootLevel = root.getLevel();
    if (rootLevel == null || !rootLevel.isLessSpecificThan(Level.INFO)) {
      root.setLevel(Level.INFO);
    }
    ctx.updateLoggers();
    return () -> {
      root.setLevel(rootLevel);
      undo.forEach(Runnable::run);
      config.getAppenders().remove(FILE_APPENDER);
      fileAppender.stop();
      ctx.updateLoggers();
    };
  }

  /**
   * A console appender that writes only what the original configuration let through (the level of
   * the event's logger as configured, before the root was lowered for the file), at least {@code
   * floor} when set, and never on the progress line.
   */
  static final class ConsoleLines extends AbstractAppender {
    private final Appender console;
    private final StatusLine status;
    private final org.apache.logging.log4j.core.config.Configuration config;
    private final Map<String, Level> configured;
    private final Level floor;

    ConsoleLines(
        Appender console,
        StatusLine status,
        org.apache.logging.log4j.core.config.Configuration config,
        Map<String, Level> configured,
        Level floor) {
      super(console.getName() + "-batchinfer", null, null, true, Property.EMPTY_ARRAY);
      this.console = console;
      this.status = status;
      this.config = config;
      this.configured = configured;
      this.floor = floor;
    }

    @Override
    public void append(LogEvent event) {
      Level level = event.getLevel();
      if (floor != null && !level.isMoreSpecificThan(floor)) {
        return;
      }
      Level original = configured.get(config.getLoggerConfig(event.getLoggerName()).getName());
      if (original != null && !level.isMoreSpecificThan(original)) {
        return;
      }
      status.aside(() -> console.append(event));
    }
  }
}
