package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.batchinfer.testing.Projects;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a person sees: {@code submit-scripts/run-local.sh} under a real pseudo-terminal ({@code
 * script} from util-linux, which gives the job a terminal on stdin, stdout and stderr), and, for
 * contrast, with stdout and stderr redirected to files as a scheduler runs it. Runs after {@code
 * package} (failsafe), like {@link RunLocalScriptIT}. Each run is bounded (5 minutes) and killed
 * past that.
 */
@Tag("slow")
class TerminalConsoleIT {
  private static final Pattern LOG_LINE =
      Pattern.compile("\\d\\d:\\d\\d:\\d\\d (TRACE|DEBUG|INFO|WARN|ERROR) ");
  private static final String PLAN_FIRST_LINE = "job:      iris-classifier";

  @TempDir Path tmp;

  @Test
  void terminalShowsProgressAndSummaryWhileInfoGoesToDriverLog() throws Exception {
    Path out = tmp.resolve("out");
    List<String> screen =
        DriverLoggingTest.screen(
            underTerminal("conf/examples/iris.yaml --progress --set output.path=" + out));

    Path log = out.resolve("_batchinfer/driver.log");
    String summary =
        screen.stream().filter(l -> l.startsWith("batchinfer: job=")).findFirst().orElseThrow();
    assertThat(summary)
        .contains("status=ok", "rows_in=150", "report=" + out.resolve("_batchinfer/report.json"))
        .endsWith(" log=" + log);
    assertThat(screen).as("no INFO on the console").noneMatch(l -> l.contains(" INFO "));
    assertThat(screen)
        .as("the plan is in the log only")
        .noneMatch(l -> l.contains(PLAN_FIRST_LINE));
    // The progress line is drawn (once at least: at the end) and shares no line with a log line.
    assertThat(screen).anyMatch(l -> l.startsWith("batchinfer: 150 of 150 rows (100%)"));
    assertThat(screen)
        .filteredOn(l -> l.contains("rows/s"))
        .noneMatch(l -> LOG_LINE.matcher(l).find());

    String logged = Files.readString(log);
    assertThat(logged)
        .contains(
            " INFO [",
            "SparkContext: Running Spark version",
            "SessionCache: created ONNX Runtime session");
    assertThat(count(logged, PLAN_FIRST_LINE)).as("the plan once in the log").isEqualTo(1);
  }

  @Test
  void dryRunInTerminalPrintsThePlanOnce() throws Exception {
    List<String> screen =
        DriverLoggingTest.screen(underTerminal("conf/examples/iris.yaml --dry-run"));
    assertThat(screen.stream().filter(l -> l.contains(PLAN_FIRST_LINE))).hasSize(1);
    assertThat(screen)
        .contains("dry run: configuration is valid; nothing was run.")
        .noneMatch(l -> l.contains(" INFO "));
  }

  @Test
  void withoutTerminalDryRunPlanIsOnStdoutOnlyAndRunsLogInfoOnStderr() throws Exception {
    String[] dry = redirected("conf/examples/iris.yaml", "--dry-run");
    assertThat(count(dry[0], PLAN_FIRST_LINE)).isEqualTo(1);
    assertThat(dry[1]).doesNotContain(PLAN_FIRST_LINE);

    Path out = tmp.resolve("plain");
    String[] run = redirected("conf/examples/iris.yaml", "--set", "output.path=" + out);
    assertThat(run[0]).contains("status=ok", "rows_in=150").doesNotContain(" log=");
    // A scheduler collects stderr: the INFO logs stay there, plan included (once), as before.
    assertThat(run[1]).contains(" INFO SessionCache: created ONNX Runtime session");
    assertThat(count(run[1], PLAN_FIRST_LINE)).isEqualTo(1);
    assertThat(out.resolve("_batchinfer/driver.log")).doesNotExist();
  }

  /**
   * @return what the terminal received while run-local.sh ran with {@code args} under a
   *     pseudo-terminal
   */
  private String underTerminal(String args) throws Exception {
    assumeTrue(
        new File("/usr/bin/script").canExecute() || new File("/bin/script").canExecute(),
        "script (util-linux) is needed to run under a pseudo-terminal");
    Path transcript = tmp.resolve("terminal.txt");
    List<String> cmd =
        List.of(
            "script",
            "-qec",
            "stty cols 160 rows 30; exec bash submit-scripts/run-local.sh " + args,
            "/dev/null");
    String text = run(cmd, transcript, null);
    return text;
  }

  /**
   * @return stdout and stderr of run-local.sh with {@code args}, each redirected to a file
   */
  private String[] redirected(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", "submit-scripts/run-local.sh"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "stdout", ".txt");
    Path err = Files.createTempFile(tmp, "stderr", ".txt");
    run(cmd, out, err);
    return new String[] {Files.readString(out), Files.readString(err)};
  }

  private static String run(List<String> cmd, Path out, Path err) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(Projects.root().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile());
    if (err == null) {
      pb.redirectErrorStream(true);
    } else {
      pb.redirectError(err.toFile());
    }
    pb.environment().put("BATCHINFER_REBUILD", "0");
    Process p = pb.start();
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    if (!done) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String text = Files.readString(out) + (err == null ? "" : Files.readString(err));
    assertThat(done).as("run-local.sh finished within 5 minutes").isTrue();
    assertThat(p.exitValue()).as(text).isZero();
    return Files.readString(out);
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
