package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Driver only: the machine-readable summary of a run ({@code --summary-json FILE}), for schedulers
 * such as Airflow: written on success and on failure (not for a bad command line), to a local file,
 * replaced atomically. Fields: {@code status} ({@code ok}, {@code failed}, {@code invalid}), {@code
 * exit_code}, {@code job}, {@code run_id}, {@code app_id}, row counts, timing, {@code output},
 * {@code report} and {@code report_html} (null when not written), resume figures, and {@code
 * error}. The run's figures come from {@link RunResult#addTo}. Stateless.
 */
final class SummaryJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SummaryJson() {}

  static ObjectNode of(String status, int exitCode, String job, String runId) {
    ObjectNode node = JSON.createObjectNode();
    node.put("status", status);
    node.put("exit_code", exitCode);
    node.put("job", job);
    node.put("run_id", runId);
    return node;
  }

  static void write(Path file, ObjectNode node) throws IOException {
    Path abs = file.toAbsolutePath();
    if (abs.getParent() != null) {
      Files.createDirectories(abs.getParent());
    }
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
