package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console in a terminal, through the real log4j2 of the test JVM (configured by {@code
 * log4j2-test.properties} like {@code conf/log4j2.properties}: root WARN, io.batchinfer INFO). A
 * console appender that follows {@code System.err} is added for the test, so what log4j2 writes to
 * the console is captured together with the progress line, in the order a terminal would receive
 * it; {@link #screen} replays carriage returns as a terminal does.
 */
class DriverLoggingTest {
  private static final Logger SPARK = LoggerFactory.getLogger("org.apache.spark.SparkContext");
  private static final Logger ENGINE =
      LoggerFactory.getLogger("io.batchinfer.udfs.session.SessionCache");
  private static final String PROGRESS =
      "batchinfer: 120 of 400 rows (30%) | 41 rows/s | tasks 1/4 | ETA 0:07";

  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private PrintStream stderr;
  private PrintStream realErr;
  private ConsoleAppender probe;
  private LoggerConfig root;

  @BeforeEach
  void addConsoleProbe() {
    realErr = System.err;
    stderr = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setErr(stderr);
    LoggerContext ctx = LoggerContext.getContext(false);
    Configuration config = ctx.getConfiguration();
    probe =
        ConsoleAppender.newBuilder()
            .setName("probe")
            .setTarget(ConsoleAppender.Target.SYSTEM_ERR)
            .setFollow(true)
            .setLayout(PatternLayout.newBuilder().withPattern("%p %c{1}: %m%n").build())
            .setConfiguration(config)
            .build();
    probe.start();
    config.addAppender(probe);
    root = config.getRootLogger();
    root.addAppender(probe, null, null);
    ctx.updateLoggers();
  }

  @AfterEach
  void removeConsoleProbe() {
    root.removeAppender("probe");
    LoggerContext.getContext(false).getConfiguration().getAppenders().remove("probe");
    probe.stop();
    LoggerContext.getContext(false).updateLoggers();
    System.setErr(realErr);
  }

  @Test
  void terminalConsoleShowsWarningsOnlyAndTheFileGetsInfoFromEngineAndSpark() throws Exception {
    Level rootBefore = root.getLevel();
    Path file;
    String logged;
    try (DriverLogging logging = DriverLogging.configure(stderr, true, false)) {
      file = logging.file();
      logging.status().show(PROGRESS);
      SPARK.info("Running Spark version 3.5.9");
      ENGINE.info("created ONNX Runtime session");
      SPARK.warn("Lost executor 1");
      ENGINE.error("cannot write the run report");
      logging.status().end();
      logged = Files.readString(file);
    }
    List<String> screen = screen(captured.toString(StandardCharsets.UTF_8));
    assertThat(screen)
        .filteredOn(l -> l.startsWith("WARN ") || l.startsWith("ERROR ") || l.startsWith("INFO "))
        .containsExactly(
            "WARN SparkContext: Lost executor 1",
            "ERROR SessionCache: cannot write the run report");
    // The progress line was cleared for each log line and redrawn below it; nothing shares its
    // line.
    assertThat(screen)
        .filteredOn(l -> l.contains("rows/s"))
        .allMatch(l -> l.trim().equals(PROGRESS));
    assertThat(screen.get(screen.size() - 1).trim()).isEqualTo(PROGRESS);
    assertThat(logged)
        .contains(
            "INFO [",
            "SparkContext: Running Spark version 3.5.9",
            "SessionCache: created ONNX Runtime",
            "WARN [",
            "Lost executor 1",
            "ERROR [");
    // close() puts the configuration back and removes the temporary file (there was no report to
    // copy it next to).
    assertThat(root.getLevel()).isEqualTo(rootBefore);
    assertThat(root.getAppenders().get("probe")).isSameAs(probe);
    assertThat(file).doesNotExist();
  }

  @Test
  void verboseKeepsWhatTheConfigurationShowedOnTheConsole() throws Exception {
    try (DriverLogging logging = DriverLogging.configure(stderr, true, true)) {
      SPARK.info("Running Spark version 3.5.9");
      ENGINE.info("created ONNX Runtime session");
      assertThat(Files.readString(logging.file()))
          .contains("Running Spark version", "created ONNX Runtime session");
    }
    List<String> screen = screen(captured.toString(StandardCharsets.UTF_8));
    // log4j2-test.properties: io.batchinfer at INFO, the rest (Spark) at WARN: the console stays as
    // configured.
    assertThat(screen)
        .contains("INFO SessionCache: created ONNX Runtime session")
        .noneMatch(l -> l.contains("Running Spark version"));
  }

  @Test
  void notATerminalLeavesLoggingAsConfigured() {
    Level rootBefore = root.getLevel();
    try (DriverLogging logging = DriverLogging.configure(stderr, false, false)) {
      assertThat(logging.file()).isNull();
      assertThat(root.getLevel()).isEqualTo(rootBefore);
      assertThat(root.getAppenders().get("probe")).isSameAs(probe);
      ENGINE.info("created ONNX Runtime session");
      logging.status().show(PROGRESS);
      logging.status().end();
    }
    assertThat(screen(captured.toString(StandardCharsets.UTF_8)))
        .containsExactly("INFO SessionCache: created ONNX Runtime session", PROGRESS);
  }

  @Test
  void logIsCopiedBesideTheReport(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    String report = tmp.resolve("out/_batchinfer/report.json").toString();
    assertThat(DriverLogging.locationBeside(report))
        .isEqualTo(tmp.resolve("out/_batchinfer/driver.log").toString());
    assertThat(DriverLogging.locationBeside("s3a://lake/reports/2026-11-23/run-7.json"))
        .isEqualTo("s3a://lake/reports/2026-11-23/run-7.driver.log");
    Path file;
    try (DriverLogging logging = DriverLogging.configure(stderr, true, false)) {
      file = logging.file();
      ENGINE.info("scored 150 rows");
      String published = logging.publish(new org.apache.hadoop.conf.Configuration(), report);
      assertThat(published).isEqualTo(tmp.resolve("out/_batchinfer/driver.log").toString());
    }
    assertThat(Files.readString(tmp.resolve("out/_batchinfer/driver.log")))
        .contains("scored 150 rows");
    assertThat(file).doesNotExist();
  }

  /**
   * @return the lines a terminal would show: {@code \r} returns to the line's start and overwrites
   */
  static List<String> screen(String raw) {
    List<String> lines = new ArrayList<>();
    for (String line : raw.split("\n", -1)) {
      StringBuilder shown = new StringBuilder();
      int col = 0;
      for (char c : line.toCharArray()) {
        if (c == '\r') {
          col = 0;
        } else {
          if (col < shown.length()) {
            shown.setCharAt(col, c);
          } else {
            shown.append(c);
          }
          col++;
        }
      }
      lines.add(shown.toString().stripTrailing());
    }
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return lines;
  }
}
