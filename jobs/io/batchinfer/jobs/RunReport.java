package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.udfs.InferenceMetrics;
import io.batchinfer.udfs.PartitionStats;
import io.batchinfer.udfs.RejectionSummary;
import io.batchinfer.udfs.model.ModelSignature;
import io.batchinfer.udfs.model.TensorSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.SparkContext;

/**
 * Driver only: what one run did, gathered while it runs and rendered as the run report's JSON
 * ({@code report.json}; {@link ReportWriter} writes it and the HTML page). Figures come from the
 * engine's metrics (rows, batches, time in ONNX Runtime, one {@link PartitionStats} per partition),
 * the task listener (failed and killed attempts) and the chunked runner. The config is the one
 * after {@code --set} and variables, with secrets masked ({@link Redaction}). Not thread-safe:
 * filled by the job's thread.
 */
final class RunReport {
  /** Partitions listed one by one in the JSON; the quantiles always cover all of them. */
  static final int MAX_LISTED_PARTITIONS = 10_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final JobPlan plan;
  private final JsonNode config;
  private final Variables variables;
  private final Instant started = Instant.now();
  private final List<InferenceMetrics> metrics = new ArrayList<>();
  private Instant finished;
  private String status = "running";
  private String error;
  private String reason;
  private double wallSeconds;
  private TaskCounter tasks;
  private TaskTimeline timeline;
  private ChunkedRunner.Result resume;
  private String appId;
  private String master;
  private String sparkVersion;
  private TableOutput.Version tableVersion;

  RunReport(JobPlan plan, JsonNode config, Variables variables) {
    this.plan = plan;
    this.config = config;
    this.variables = variables;
  }

  /** Collects the metrics of one scoring pass (one per chunk under resume). */
  void add(InferenceMetrics m) {
    metrics.add(m);
  }

  /** Records the output table's snapshot or version after the commit. */
  void tableVersion(TableOutput.Version version) {
    this.tableVersion = version;
  }

  /**
   * @return the output table's snapshot or version after the commit, or null
   */
  TableOutput.Version tableVersion() {
    return tableVersion;
  }

  void spark(SparkContext sc) {
    appId = sc.applicationId();
    master = sc.master();
    sparkVersion = sc.version();
  }

  void tasks(TaskCounter counter) {
    this.tasks = counter;
  }

  void timeline(TaskTimeline recorder) {
    this.timeline = recorder;
  }

  /**
   * @return the run's task timeline so far, or null when none was recorded
   */
  TaskTimeline.Snapshot timeline() {
    return timeline == null ? null : timeline.snapshot();
  }

  void resume(ChunkedRunner.Result result) {
    this.resume = result;
  }

  void succeeded(double wall) {
    finish("ok", null, wall);
  }

  void failed(Throwable e, double wall) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    reason = JobFailedException.reasonOf(e);
    finish("failed", message, wall);
  }

  private void finish(String outcome, String message, double wall) {
    status = outcome;
    error = message;
    wallSeconds = wall;
    finished = Instant.now();
  }

  String status() {
    return status;
  }

  /**
   * @return why the run failed ({@link JobFailedException#reasonOf}), or null unless it failed
   */
  String reason() {
    return reason;
  }

  /**
   * The engine's counters summed over the run's scoring passes (one per chunk under resume).
   *
   * @param rowsIn rows read by the engine
   * @param rowsOut rows written
   * @param rowsRejected rows rejected (skipped or dead-lettered)
   * @param batches ONNX Runtime calls, every one: batches, rows retried alone, failed calls (failed
   *     task attempts included)
   * @param batchesFailed ONNX Runtime calls that failed
   * @param rowsRetriedAlone rows run alone because their batch failed in ONNX Runtime
   * @param sessionsCreated ONNX Runtime sessions created by the run's tasks
   * @param textsTruncated texts cut to their tokenizer's max_length
   * @param inferenceSeconds time inside ONNX Runtime, summed over tasks
   * @param rejections why rows were rejected: one entry per code and column, most frequent first
   */
  record Totals(
      long rowsIn,
      long rowsOut,
      long rowsRejected,
      long batches,
      long batchesFailed,
      long rowsRetriedAlone,
      long sessionsCreated,
      long textsTruncated,
      double inferenceSeconds,
      List<RejectionSummary> rejections) {

    /**
     * Adds one object per rejection reason (code, column, count, first example) to {@code array}.
     */
    void rejectionsTo(ArrayNode array) {
      for (RejectionSummary r : rejections) {
        array
            .addObject()
            .put("code", r.code())
            .put("column", r.column())
            .put("count", r.count())
            .put("example", r.example());
      }
    }
  }

  /**
   * @return the totals of every pass so far: the one place rows in/out/rejected are summed
   */
  Totals totals() {
    return new Totals(
        metrics.stream().mapToLong(InferenceMetrics::rowsIn).sum(),
        metrics.stream().mapToLong(InferenceMetrics::rowsOut).sum(),
        metrics.stream().mapToLong(InferenceMetrics::rowsRejected).sum(),
        metrics.stream().mapToLong(InferenceMetrics::batches).sum(),
        metrics.stream().mapToLong(InferenceMetrics::batchesFailed).sum(),
        metrics.stream().mapToLong(InferenceMetrics::rowsRetriedAlone).sum(),
        metrics.stream().mapToLong(InferenceMetrics::sessionsCreated).sum(),
        metrics.stream().mapToLong(InferenceMetrics::textsTruncated).sum(),
        metrics.stream().mapToDouble(InferenceMetrics::inferenceSeconds).sum(),
        RejectionSummary.merge(metrics.stream().flatMap(m -> m.rejections().stream()).toList()));
  }

  double wallSeconds() {
    return wallSeconds;
  }

  String appId() {
    return appId;
  }

  String runId() {
    return variables == null ? null : variables.runId();
  }

  ChunkedRunner.Result resumeResult() {
    return resume;
  }

  /**
   * @return every partition's record, in the order run (stage, then partition)
   */
  List<PartitionStats> partitions() {
    List<PartitionStats> all = new ArrayList<>();
    metrics.forEach(m -> all.addAll(m.partitionStats()));
    all.sort(
        Comparator.comparingInt(PartitionStats::stageId)
            .thenComparingInt(PartitionStats::partition)
            .thenComparingInt(PartitionStats::attempt));
    return all;
  }

  /** Nearest-rank quantiles of a sample. */
  record Quantiles(double p50, double p95, double max, double min) {
    static Quantiles of(double[] values) {
      if (values.length == 0) {
        return new Quantiles(0, 0, 0, 0);
      }
      double[] v = values.clone();
      Arrays.sort(v);
      return new Quantiles(rank(v, 0.50), rank(v, 0.95), v[v.length - 1], v[0]);
    }

    private static double rank(double[] sorted, double p) {
      int i = (int) Math.ceil(p * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    ObjectNode toJson(ObjectNode node) {
      node.put("p50", round(p50))
          .put("p95", round(p95))
          .put("max", round(max))
          .put("min", round(min));
      return node;
    }
  }

  /**
   * @return the report as JSON
   */
  ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("report_version", 1);
    root.put("job", plan.name());
    root.put("status", status);
    if (reason != null) {
      root.put("reason", reason);
    }
    if (error != null) {
      root.put("error", error);
    }
    root.put("run_id", runId());
    root.put("started_at", started.toString());
    root.put("finished_at", finished == null ? null : finished.toString());
    ObjectNode spark = root.putObject("spark");
    spark.put("app_id", appId).put("master", master).put("version", sparkVersion);
    if (tasks != null) {
      spark.put("tasks_succeeded", tasks.succeeded());
      spark.put("task_retries", tasks.failed());
      spark.put("tasks_killed", tasks.killed());
      ArrayNode lost = spark.putArray("executors_removed");
      tasks.executorsRemoved().forEach(lost::add);
    }

    if (timeline != null) {
      root.set("timeline", TaskTimeline.toJson(timeline.snapshot()));
    }

    ObjectNode model = root.putObject("model");
    model.put("path", plan.inference().model().uri());
    model.put("sha256", plan.inference().model().sha256());
    model.put("bytes", plan.inference().model().size());
    model.put("distribution", plan.inference().model().distribution());
    if (plan.inference().model().files() != null) {
      model.put("external_data_files", plan.inference().model().files().externalFiles());
    }
    ModelSignature sig = plan.inference().signature();
    signature(model.putArray("inputs"), sig.inputs());
    ArrayNode modelOutputs = model.putArray("outputs");
    signature(modelOutputs, sig.outputs());
    // ONNX-ML map and sequence-of-maps outputs (ZipMap), after the tensors.
    sig.maps()
        .values()
        .forEach(
            m ->
                modelOutputs
                    .addObject()
                    .put("name", m.name())
                    .put("type", m.valueType().onnxName())
                    .put("map", m.describe()));
    model.put("device", String.valueOf(plan.inference().spec().session().device()));
    ArrayNode models = root.putArray("models");
    ModelFacts.of(plan).forEach(f -> f.addTo(models.addObject()));

    ObjectNode input = root.putObject("input");
    input.put("path", plan.inputPath());
    input.put("files_skipped_corrupt", plan.skippedFiles().size());
    ObjectNode output = root.putObject("output");
    output.put("path", plan.outputPath());
    output.put("mode", plan.modeName());
    ArrayNode partitionBy = output.putArray("partition_by");
    plan.partitionBy().forEach(partitionBy::add);
    output.put("compression", plan.compression());
    output.put("dead_letter_path", plan.deadLetterPath());
    if (plan.outputTable() != null) {
      output.put("table", plan.outputTable().table());
      if (tableVersion != null) {
        output.put("table_format", tableVersion.format());
        output.put(
            "iceberg".equals(tableVersion.format()) ? "snapshot_id" : "version", tableVersion.id());
      }
    }
    if (plan.deadLetterTable() != null) {
      output.put("dead_letter_table", plan.deadLetterTable().table());
    }

    Totals totals = totals();
    ObjectNode rows = root.putObject("rows");
    rows.put("in", totals.rowsIn());
    rows.put("out", totals.rowsOut());
    rows.put("rejected", totals.rowsRejected());
    totals.rejectionsTo(rows.putArray("rejections"));
    root.put("batches", totals.batches());
    root.put("batches_failed", totals.batchesFailed());
    root.put("rows_retried_alone", totals.rowsRetriedAlone());
    root.put("sessions_created", totals.sessionsCreated());
    root.put("texts_truncated", totals.textsTruncated());
    ObjectNode timing = root.putObject("timing");
    timing.put("wall_s", round(wallSeconds));
    timing.put("inference_s", round(totals.inferenceSeconds()));
    timing.put("rows_per_s", round(wallSeconds > 0 ? totals.rowsIn() / wallSeconds : 0));

    List<PartitionStats> parts = partitions();
    ObjectNode partitions = root.putObject("partitions");
    partitions.put("count", parts.size());
    Quantiles.of(parts.stream().mapToDouble(PartitionStats::seconds).toArray())
        .toJson(partitions.putObject("seconds"));
    Quantiles.of(parts.stream().mapToDouble(PartitionStats::rowsPerSecond).toArray())
        .toJson(partitions.putObject("rows_per_s"));
    Quantiles.of(parts.stream().mapToDouble(PartitionStats::rowsIn).toArray())
        .toJson(partitions.putObject("rows"));
    partitions.put("listed", Math.min(parts.size(), MAX_LISTED_PARTITIONS));
    ArrayNode list = partitions.putArray("list");
    for (PartitionStats p : parts.subList(0, Math.min(parts.size(), MAX_LISTED_PARTITIONS))) {
      list.addObject()
          .put("stage", p.stageId())
          .put("partition", p.partition())
          .put("attempt", p.attempt())
          .put("executor", p.executorId())
          .put("rows_in", p.rowsIn())
          .put("rows_out", p.rowsOut())
          .put("seconds", round(p.seconds()))
          .put("inference_s", round(p.inferenceNanos() / 1e9))
          .put("rows_per_s", round(p.rowsPerSecond()));
    }

    ArrayNode executors = root.putArray("executors");
    Map<String, List<PartitionStats>> byExecutor = new TreeMap<>();
    parts.forEach(p -> byExecutor.computeIfAbsent(p.executorId(), k -> new ArrayList<>()).add(p));
    byExecutor.forEach(
        (id, ps) -> {
          ObjectNode e = executors.addObject();
          e.put("id", id);
          ArrayNode providers = e.putArray("providers");
          ps.stream().map(PartitionStats::provider).distinct().sorted().forEach(providers::add);
          ArrayNode ordinals = e.putArray("gpu_ordinals");
          ps.stream()
              .mapToInt(PartitionStats::gpuOrdinal)
              .filter(o -> o >= 0)
              .distinct()
              .sorted()
              .forEach(ordinals::add);
          ArrayNode fallbacks = e.putArray("device_fallbacks");
          ps.stream()
              .map(PartitionStats::fallbackReason)
              .filter(java.util.Objects::nonNull)
              .distinct()
              .sorted()
              .forEach(fallbacks::add);
          e.put("sessions_created", ps.stream().filter(PartitionStats::sessionCreated).count());
          e.put("partitions", ps.size());
          e.put("rows_in", ps.stream().mapToLong(PartitionStats::rowsIn).sum());
          e.put("seconds", round(ps.stream().mapToDouble(PartitionStats::seconds).sum()));
        });

    ObjectNode resumeNode = root.putObject("resume");
    resumeNode.put("enabled", plan.options().resume());
    if (resume != null) {
      resumeNode.put("run_key", resume.runKey());
      resumeNode.put("chunk_files", plan.options().resumeChunkFiles());
      resumeNode.put("chunks", resume.chunks());
      resumeNode.put("chunks_skipped", resume.chunksSkipped());
      resumeNode.put("chunks_run", resume.chunksRun());
      resumeNode.put("skipped_rows_in", resume.skippedRowsIn());
      resumeNode.put("skipped_rows_out", resume.skippedRowsOut());
      resumeNode.put("skipped_rows_rejected", resume.skippedRowsRejected());
      ArrayNode discarded = resumeNode.putArray("discarded");
      resume.discarded().forEach(discarded::add);
    }

    ObjectNode vars = root.putObject("variables");
    if (variables != null) {
      Redaction.redact(variables.values()).forEach(vars::put);
    }
    root.set("config", config == null ? JSON.nullNode() : Redaction.redact(config));
    return root;
  }

  private static void signature(ArrayNode array, Map<String, TensorSpec> specs) {
    for (TensorSpec t : specs.values()) {
      array
          .addObject()
          .put("name", t.name())
          .put("type", t.type().onnxName())
          .put("tensor", t.describe());
    }
  }

  /**
   * @return wall time so far, for runs that stop before {@link #succeeded} or {@link #failed}
   */
  Duration elapsed() {
    return Duration.between(started, finished == null ? Instant.now() : finished);
  }

  static double round(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
