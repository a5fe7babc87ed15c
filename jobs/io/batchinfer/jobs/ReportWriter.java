package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.udfs.PartitionStats;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SaveMode;

/**
 * Driver only: writes the run report as {@code report.json} and a self-contained {@code
 * report.html} (inline CSS and SVG, no scripts or network access: viewable offline) next to it, on
 * any Hadoop file system. The charts are plain SVG ({@link ThroughputSvg}, {@link TimelineSvg}): no
 * charting dependency is needed. Stateless.
 */
final class ReportWriter {
  /** Under the output path, unless {@code report.path} is set. */
  static final String DEFAULT_LOCATION = "_batchinfer/report.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ReportWriter() {}

  /**
   * @return where the JSON report of {@code plan} goes
   */
  static String jsonLocation(JobPlan plan) {
    String configured = plan.options().reportPath();
    return configured != null
        ? configured
        : new Path(plan.outputPath(), DEFAULT_LOCATION).toString();
  }

  /**
   * @return the HTML report next to {@code json}: {@code x.json} becomes {@code x.html}
   */
  static String htmlLocation(String json) {
    return (json.endsWith(".json") ? json.substring(0, json.length() - ".json".length()) : json)
        + ".html";
  }

  /**
   * A failed run writes its report only where that cannot get in the way of a rerun: at {@code
   * report.path}, or inside an output that a rerun overwrites or appends to anyway. With {@code
   * output.mode: error} the report would create the output path and make the rerun refuse.
   */
  static boolean mayWriteFailureReport(JobPlan plan) {
    return plan.options().reportPath() != null || plan.mode() != SaveMode.ErrorIfExists;
  }

  /** Writes both files. */
  static void write(Configuration conf, String jsonLocation, RunReport report) throws IOException {
    ObjectNode json = report.toJson();
    write(conf, jsonLocation, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    write(
        conf,
        htmlLocation(jsonLocation),
        html(json, report.partitions(), report.timeline()).getBytes(StandardCharsets.UTF_8));
  }

  private static void write(Configuration conf, String location, byte[] bytes) throws IOException {
    Path p = new Path(location);
    FileSystem fs = p.getFileSystem(conf);
    try (OutputStream os = fs.create(p, true)) {
      os.write(bytes);
    }
  }

  /**
   * @return the HTML page without a task timeline
   */
  static String html(JsonNode r, List<PartitionStats> partitions) {
    return html(r, partitions, null);
  }

  /**
   * @return the HTML page: the report's figures in tables, a chart of rows/s per partition and,
   *     when recorded, the task timeline ({@link TimelineSvg}) with the stage durations
   */
  static String html(JsonNode r, List<PartitionStats> partitions, TaskTimeline.Snapshot timeline) {
    StringBuilder h = new StringBuilder(16_384);
    String title = "batchinfer run report: " + r.path("job").asText();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(esc(title))
        .append(
            "</title>\n<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
                + "table{border-collapse:collapse;margin:0 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
                + "text-align:left}th{background:#f3f3f3}.ok{color:#1a7f37}.failed{color:#cf222e}"
                + "pre{background:#f6f8fa;padding:1em;overflow:auto}</style></head><body>\n");
    h.append("<h1>").append(esc(title)).append("</h1>\n");
    String status = r.path("status").asText();
    h.append("<p>Status: <b class=\"")
        .append(esc(status))
        .append("\">")
        .append(esc(status))
        .append("</b>");
    if (r.has("error")) {
      h.append(" &mdash; ").append(esc(r.path("error").asText()));
    }
    h.append("</p>\n<h2>Run</h2>\n<table>");
    row(h, "run id", r.path("run_id").asText());
    row(h, "started", r.path("started_at").asText());
    row(h, "finished", r.path("finished_at").asText());
    row(
        h,
        "Spark application",
        r.path("spark").path("app_id").asText()
            + " ("
            + r.path("spark").path("master").asText()
            + ", Spark "
            + r.path("spark").path("version").asText()
            + ")");
    row(
        h,
        "tasks succeeded / retried / killed",
        r.path("spark").path("tasks_succeeded").asText()
            + " / "
            + r.path("spark").path("task_retries").asText()
            + " / "
            + r.path("spark").path("tasks_killed").asText());
    row(h, "model", r.path("model").path("path").asText());
    row(h, "model sha256", r.path("model").path("sha256").asText());
    if (r.path("models").size() > 1) {
      row(h, "models (in order)", ModelFacts.describe(r.path("models")));
    }
    StringBuilder sig = new StringBuilder();
    r.path("model")
        .path("inputs")
        .forEach(
            t ->
                sig.append("in  ")
                    .append(t.path("name").asText())
                    .append(' ')
                    .append(t.path("tensor").asText())
                    .append('\n'));
    r.path("model")
        .path("outputs")
        .forEach(
            t ->
                sig.append("out ")
                    .append(t.path("name").asText())
                    .append(' ')
                    .append(t.path("tensor").asText())
                    .append('\n'));
    row(h, "signature", sig.toString().trim());
    row(h, "input", r.path("input").path("path").asText());
    row(
        h,
        "output",
        r.path("output").path("path").asText()
            + " (mode "
            + r.path("output").path("mode").asText()
            + ")");
    h.append("</table>\n<h2>Figures</h2>\n<table>");
    row(
        h,
        "rows in / out / rejected",
        r.path("rows").path("in").asText()
            + " / "
            + r.path("rows").path("out").asText()
            + " / "
            + r.path("rows").path("rejected").asText());
    row(
        h,
        "ONNX Runtime calls (batches) / failed / rows retried alone",
        r.path("batches").asText()
            + " / "
            + r.path("batches_failed").asText()
            + " / "
            + r.path("rows_retried_alone").asText());
    r.path("rows")
        .path("rejections")
        .forEach(
            x ->
                row(
                    h,
                    "rejected: "
                        + x.path("code").asText()
                        + (x.path("column").asText().isEmpty()
                            ? ""
                            : " in " + x.path("column").asText()),
                    x.path("count").asText() + " (first: " + x.path("example").asText() + ")"));
    row(h, "sessions created", r.path("sessions_created").asText());
    row(h, "wall time (s)", r.path("timing").path("wall_s").asText());
    row(
        h,
        "time in ONNX Runtime (s, summed over tasks)",
        r.path("timing").path("inference_s").asText());
    row(h, "rows/s", num(r.path("timing").path("rows_per_s").asDouble()));
    JsonNode p = r.path("partitions");
    row(h, "partitions", p.path("count").asText());
    row(
        h,
        "partition seconds p50 / p95 / max",
        p.path("seconds").path("p50").asText()
            + " / "
            + p.path("seconds").path("p95").asText()
            + " / "
            + p.path("seconds").path("max").asText());
    row(
        h,
        "partition rows/s p50 / p95 / min",
        num(p.path("rows_per_s").path("p50").asDouble())
            + " / "
            + num(p.path("rows_per_s").path("p95").asDouble())
            + " / "
            + num(p.path("rows_per_s").path("min").asDouble()));
    JsonNode resume = r.path("resume");
    if (resume.path("enabled").asBoolean() && resume.has("chunks")) {
      row(
          h,
          "chunks (skipped / run)",
          resume.path("chunks").asText()
              + " ("
              + resume.path("chunks_skipped").asText()
              + " / "
              + resume.path("chunks_run").asText()
              + ")");
    }
    h.append("</table>\n<h2>Throughput per partition</h2>\n");
    h.append(ThroughputSvg.chart(partitions, p.path("rows_per_s").path("p50").asDouble()));
    if (timeline != null) {
      h.append("\n<h2>Task timeline</h2>\n");
      h.append(TimelineSvg.render(timeline));
      stages(h, r.path("timeline"));
    }
    h.append(
        "\n<h2>Executors</h2>\n<table><tr><th>executor</th><th>execution providers</th>"
            + "<th>sessions created</th><th>partitions</th><th>rows in</th><th>seconds</th></tr>");
    for (JsonNode e : r.path("executors")) {
      List<String> providers = new ArrayList<>();
      e.path("providers").forEach(x -> providers.add(x.asText()));
      h.append("<tr><td>")
          .append(esc(e.path("id").asText()))
          .append("</td><td>")
          .append(esc(String.join(", ", providers)))
          .append("</td><td>")
          .append(e.path("sessions_created").asText())
          .append("</td><td>")
          .append(e.path("partitions").asText())
          .append("</td><td>")
          .append(e.path("rows_in").asText())
          .append("</td><td>")
          .append(e.path("seconds").asText())
          .append("</td></tr>");
    }
    h.append(
        "</table>\n<h2>Config</h2>\n<p>After <code>--set</code> and variables; secrets masked.</p><pre>");
    try {
      h.append(esc(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.path("config"))));
    } catch (IOException e) {
      h.append(esc(r.path("config").toString()));
    }
    h.append("</pre>\n</body></html>\n");
    return h.toString();
  }

  /** Appends the stage durations of the report's {@code timeline} object as a table. */
  private static void stages(StringBuilder h, JsonNode timeline) {
    h.append(
        "\n<table><tr><th>stage</th><th>kind</th><th>name</th><th>start (s)</th><th>duration (s)</th>"
            + "<th>tasks</th><th>failed / killed</th><th>status</th></tr>");
    for (JsonNode s : timeline.path("stages")) {
      h.append("<tr><td>")
          .append(s.path("stage").asText())
          .append('.')
          .append(s.path("attempt").asText())
          .append("</td><td>")
          .append(esc(s.path("kind").asText()))
          .append("</td><td>")
          .append(esc(s.path("name").asText()))
          .append("</td><td>")
          .append(s.path("start_s").asText())
          .append("</td><td>")
          .append(s.path("duration_s").asText())
          .append("</td><td>")
          .append(s.path("tasks").asText())
          .append("</td><td>")
          .append(s.path("tasks_failed").asText())
          .append(" / ")
          .append(s.path("tasks_killed").asText())
          .append("</td><td>")
          .append(
              esc(
                  s.path("status").asText()
                      + (s.has("failure") ? ": " + s.path("failure").asText() : "")))
          .append("</td></tr>");
    }
    h.append("</table>\n");
  }

  private static void row(StringBuilder h, String name, String value) {
    h.append("<tr><th>")
        .append(esc(name))
        .append("</th><td>")
        .append(esc(value).replace("\n", "<br>"))
        .append("</td></tr>");
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String num(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
