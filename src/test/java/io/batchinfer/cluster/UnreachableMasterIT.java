package io.batchinfer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standalone master that is not there: submit.sh must end within a bounded time (Spark gives up
 * after 3 registration attempts 20 s apart) with a clear message, exit 1, and nothing written.
 */
@Tag("slow")
class UnreachableMasterIT {
  @TempDir Path tmp;

  @Test
  void failsClearlyWithinBoundedTime() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // free now, and nobody listens once closed
    }
    Path out = tmp.resolve("out");
    Path log = tmp.resolve("submit.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    "bash",
                    "submit-scripts/submit.sh",
                    "--master",
                    "spark://127.0.0.1:" + port,
                    "conf/examples/iris.yaml",
                    "--set",
                    "output.path=" + out))
            .directory(Projects.root().toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment()
        .put("BATCHINFER_SPARK", Projects.sparkLine()); // submit.sh uses the build under test
    long start = System.nanoTime();
    Process p = pb.start();
    boolean done = p.waitFor(4, TimeUnit.MINUTES);
    if (!done) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String text = Files.readString(log);
    assertThat(done).as("submit.sh ended within 4 minutes:\n" + text).isTrue();
    assertThat(p.exitValue()).as(text).isEqualTo(1);
    assertThat(text)
        .contains(
            "batchinfer: job failed: Spark stopped the application before the job finished: the"
                + " master spark://127.0.0.1:"
                + port
                + " is unreachable");
    assertThat(out).doesNotExist();
    assertThat((System.nanoTime() - start) / 1e9).isLessThan(240);
  }
}
