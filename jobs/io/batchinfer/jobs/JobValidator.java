package io.batchinfer.jobs;

import io.batchinfer.udfs.Batching;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.InferencePlan;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.plan.Problems;
import io.batchinfer.udfs.TextInput;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.Device;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Driver only: turns a bound {@link JobConfig} into a {@link JobPlan}, checking every key, the
 * input schema, the model signature and the output path before any task runs, and reporting all
 * problems at once. Stateless.
 */
final class JobValidator {
  private static final String IGNORE_CORRUPT_CONF = "spark.sql.files.ignoreCorruptFiles";

  private JobValidator() {}

  /** Config values that need no data, parsed and checked; the first step of {@link #validate}. */
  record Settings(String name, Device device, Batching batching, String modeName, SaveMode mode, String compression,
      ErrorPolicy policy, String deadLetterPath, Double maxRejected, int batchSize, int threads) {}

  /**
   * Checks everything that needs neither data nor Spark, so a wrong config fails before a
   * SparkSession (and, on a cluster, executors) is started.
   *
   * @throws ValidationException listing every problem found
   */
  static void precheck(JobConfig cfg) {
    Problems problems = new Problems();
    settings(cfg, problems);
    problems.throwIfAny("");
  }

  private static Settings settings(JobConfig cfg, Problems problems) {
    String name = cfg.job().name() == null || cfg.job().name().isBlank() ? ConfigKeys.JOB_NAME_DEFAULT : cfg.job().name();

    // Keys that need no data.
    TableInput.validate(cfg.input(), problems);
    require(problems, cfg.model().path(), ConfigKeys.MODEL_PATH, "the .onnx model file");
    TableOutput.precheck(cfg, problems);
    if (cfg.inputs().isEmpty() && cfg.text() == null) {
      problems.add(ConfigKeys.INPUTS + ": missing; map each model input to columns, e.g. inputs: {features: {columns:"
          + " [a, b]}}.");
    }
    if (cfg.outputs().isEmpty()) {
      problems.add(ConfigKeys.OUTPUTS + ": missing; map at least one model output, e.g. outputs: {probabilities:"
          + " {column: probs}}.");
    }
    Device device = parseEnum(problems, cfg.model().device(), ConfigKeys.DEVICE, ConfigKeys.DEVICE_DEFAULT,
        Device::parse, List.of("cpu", "cuda", "auto"));
    Batching batching = parseEnum(problems, cfg.model().batching(), ConfigKeys.BATCHING, ConfigKeys.BATCHING_DEFAULT,
        Batching::parse, List.of("auto", "none"));
    String modeName = cfg.output().mode() == null ? ConfigKeys.OUTPUT_MODE_DEFAULT : cfg.output().mode().trim().toLowerCase(Locale.ROOT);
    SaveMode mode = switch (modeName) {
      case "error" -> SaveMode.ErrorIfExists;
      case "overwrite", "overwrite-partitions" -> SaveMode.Overwrite;
      case "append" -> SaveMode.Append;
      default -> {
        problems.add(ConfigKeys.OUTPUT_MODE + ": unknown mode '" + cfg.output().mode() + "'; expected one of "
            + ConfigKeys.OUTPUT_MODES + "." + Problems.didYouMean(cfg.output().mode(), ConfigKeys.OUTPUT_MODES));
        yield SaveMode.ErrorIfExists;
      }
    };
    String compression = cfg.output().compression() == null ? ConfigKeys.COMPRESSION_DEFAULT
        : cfg.output().compression().trim().toLowerCase(Locale.ROOT);
    if (!ConfigKeys.COMPRESSIONS.contains(compression)) {
      problems.add(ConfigKeys.COMPRESSION + ": unknown codec '" + cfg.output().compression() + "'; expected one of "
          + ConfigKeys.COMPRESSIONS + ".");
    }
    String sha = cfg.model().sha256();
    if (sha != null && !sha.isBlank() && !sha.trim().matches("(?i)[0-9a-f]{64}")) {
      problems.add(ConfigKeys.MODEL_SHA256 + ": expected 64 hex digits (sha256sum of the model file); found '" + sha
          + "'. Quote it in YAML so it stays text.");
    }
    ErrorPolicy policy = parseEnum(problems, cfg.errors().policy(), ConfigKeys.ERRORS_POLICY,
        ConfigKeys.ERRORS_POLICY_DEFAULT, ErrorPolicy::parse, List.of("fail", "skip", "dead-letter"));
    String deadLetterPath = cfg.errors().deadLetterPath();
    String deadLetterTable = cfg.errors().deadLetterTable();
    if (policy != ErrorPolicy.DEAD_LETTER && deadLetterTable != null && !deadLetterTable.isBlank()) {
      problems.add(ConfigKeys.DEAD_LETTER_TABLE + ": set, but errors.policy is " + policy + "; set errors.policy:"
          + " dead-letter to write rejected rows there, or remove the key.");
    }
    if (policy == ErrorPolicy.DEAD_LETTER && (deadLetterPath == null || deadLetterPath.isBlank())
        && (deadLetterTable == null || deadLetterTable.isBlank())) {
      problems.add(ConfigKeys.DEAD_LETTER_PATH + ": missing; errors.policy is dead-letter, so set where the rejected"
          + " rows go (Parquet), e.g. --set errors.dead_letter_path=/data/preds_rejected, or a table in"
          + " errors.dead_letter_table.");
    }
    if (policy != ErrorPolicy.DEAD_LETTER && deadLetterPath != null && !deadLetterPath.isBlank()) {
      problems.add(ConfigKeys.DEAD_LETTER_PATH + ": set, but errors.policy is " + policy + "; set errors.policy:"
          + " dead-letter to write rejected rows there, or remove the key.");
    }
    Double maxRejected = cfg.errors().maxRejectedFraction();
    if (maxRejected != null && (maxRejected < 0 || maxRejected > 1 || maxRejected.isNaN())) {
      problems.add(ConfigKeys.MAX_REJECTED_FRACTION + ": must be between 0 and 1 (e.g. 0.01 for 1%); found "
          + maxRejected + ".");
    }
    int batchSize = cfg.model().batchSize() == null ? ConfigKeys.BATCH_SIZE_DEFAULT : cfg.model().batchSize();
    int threads = cfg.model().threads() == null ? ConfigKeys.THREADS_DEFAULT : cfg.model().threads();
    Integer partitions = cfg.input().partitions();
    if (partitions != null && partitions < 1) {
      problems.add(ConfigKeys.INPUT_PARTITIONS + ": must be at least 1 (or left out to keep the input's own"
          + " partitioning); found " + partitions + ".");
    }
    if (batchSize < 1) {
      problems.add(ConfigKeys.BATCH_SIZE + ": must be a positive number of rows; found " + batchSize + ". Try "
          + ConfigKeys.BATCH_SIZE_DEFAULT + ".");
    }
    if (threads < 1) {
      problems.add(ConfigKeys.THREADS + ": must be at least 1; found " + threads + ".");
    }
    return new Settings(name, device, batching, modeName, mode, compression, policy, deadLetterPath, maxRejected,
        Math.max(batchSize, 1), Math.max(threads, 1));
  }

  static JobPlan validate(JobConfig cfg, SparkSession spark) {
    Problems problems = new Problems();
    Settings settings = settings(cfg, problems);
    String name = settings.name();
    Device device = settings.device();
    Batching batching = settings.batching();
    String modeName = settings.modeName();
    SaveMode mode = settings.mode();
    String compression = settings.compression();
    ErrorPolicy policy = settings.policy();
    String deadLetterPath = settings.deadLetterPath();
    Double maxRejected = settings.maxRejected();
    int batchSize = settings.batchSize();
    int threads = settings.threads();
    checkAllowedRoots(cfg, spark, problems);

    // Input data.
    Dataset<Row> input = null;
    if (TableInput.handles(cfg.input())) {
      input = project(cfg, TableInput.read(cfg.input(), spark, problems), problems);
    } else if (cfg.input().path() != null && !cfg.input().path().isBlank()) {
      input = readInput(cfg, spark, problems);
    }

    // Model and mapping (the engine's checks).
    InferencePlan inference = null;
    if (input != null && cfg.model().path() != null && (!cfg.inputs().isEmpty() || cfg.text() != null)
        && !cfg.outputs().isEmpty()) {
      BatchInference.Builder builder = BatchInference.builder()
          .modelPath(cfg.model().path(), cfg.model().sha256())
          .batchSize(batchSize)
          .threads(threads)
          .device(device)
          .batching(batching)
          .errorPolicy(policy)
          .allowNan(Boolean.TRUE.equals(cfg.errors().allowNan()))
          .customOpLibraries(cfg.model().customOpLibraries() == null ? List.of() : cfg.model().customOpLibraries())
          .passthrough(cfg.passthrough());
      if (cfg.model().lengthWindow() != null) {
        builder.lengthWindow(cfg.model().lengthWindow());
      }
      if (cfg.text() != null) {
        builder.text(toText(cfg.text()));
      }
      boolean mappingOk = true;
      for (Map.Entry<String, JobConfig.InputSpec> e : cfg.inputs().entrySet()) {
        JobConfig.InputSpec in = e.getValue();
        if (in == null) {
          problems.add(ConfigKeys.INPUTS + "." + e.getKey() + ": empty; set 'columns' or 'column'.");
          mappingOk = false;
          continue;
        }
        builder.input(e.getKey(), new InputMapping(in.columns(), in.column(), in.type(), toText(in.text())));
      }
      for (Map.Entry<String, JobConfig.OutputSpec> e : cfg.outputs().entrySet()) {
        OutputMapping m = toMapping(ConfigKeys.OUTPUTS + "." + e.getKey(), e.getValue(), problems);
        if (m == null) {
          mappingOk = false;
          continue;
        }
        builder.output(e.getKey(), m);
      }
      if (mappingOk) {
        try {
          inference = builder.plan(spark, input.schema());
        } catch (ValidationException e) {
          problems.addAll(e);
        }
      }
    }

    // Output.
    List<String> partitionBy = cfg.output().partitionBy() == null ? List.of() : cfg.output().partitionBy();
    if (inference != null) {
      List<String> outCols = Arrays.asList(inference.outputSchema().fieldNames());
      for (int i = 0; i < partitionBy.size(); i++) {
        if (!outCols.contains(partitionBy.get(i))) {
          problems.add(ConfigKeys.PARTITION_BY + "[" + i + "]: column '" + partitionBy.get(i) + "' is not in the output;"
              + " output columns: " + outCols + ". Add it to passthrough or pick an output column."
              + Problems.didYouMean(partitionBy.get(i), outCols));
        }
      }
      if (partitionBy.size() == outCols.size() && !outCols.isEmpty()) {
        problems.add(ConfigKeys.PARTITION_BY + ": cannot partition by every output column; keep at least one data column.");
      }
    }
    if (policy == ErrorPolicy.DEAD_LETTER && "overwrite-partitions".equals(modeName) && input != null) {
      // Dead letters carry the input columns: they are partitioned like the output, so a rerun of
      // one day replaces that day's dead letters too, and only those.
      List<String> inputCols = Arrays.asList(input.columns());
      for (int i = 0; i < partitionBy.size(); i++) {
        if (!inputCols.contains(partitionBy.get(i))) {
          problems.add(ConfigKeys.PARTITION_BY + "[" + i + "]: column '" + partitionBy.get(i) + "' is a model output,"
              + " so rejected rows (which keep the input columns) cannot be partitioned by it; with output.mode"
              + " overwrite-partitions and errors.policy dead-letter, partition by input columns (e.g. a day column).");
        }
      }
    }
    RunOptions options = RunOptions.validate(cfg, modeName, partitionBy, problems);
    ObjectStoreCommit.validate(ConfigKeys.OUTPUT_PATH, cfg.output().path(), modeName, problems);
    if (policy == ErrorPolicy.DEAD_LETTER) {
      ObjectStoreCommit.validate(ConfigKeys.DEAD_LETTER_PATH, deadLetterPath, modeName, problems);
    }
    if (cfg.output().path() != null && !cfg.output().path().isBlank() && mode == SaveMode.ErrorIfExists) {
      checkOutputAbsent(ConfigKeys.OUTPUT_PATH, cfg.output().path(), spark, problems);
      if (policy == ErrorPolicy.DEAD_LETTER && deadLetterPath != null && !deadLetterPath.isBlank()) {
        checkOutputAbsent(ConfigKeys.DEAD_LETTER_PATH, deadLetterPath, spark, problems);
      }
    }
    TableOutput.Target outputTable = null;
    TableOutput.Target deadLetterTable = null;
    if (TableInput.set(cfg.output().table())) {
      outputTable = new TableOutput.Target(ConfigKeys.OUTPUT_TABLE, cfg.output().table().trim(), modeName,
          Boolean.TRUE.equals(cfg.output().create()), cfg.output().format(), partitionBy);
      if (inference != null) {
        TableOutput.validate(spark, outputTable, inference.outputSchema(), problems);
      }
    }
    if (policy == ErrorPolicy.DEAD_LETTER && TableInput.set(cfg.errors().deadLetterTable())) {
      List<String> inputCols = input == null ? List.of() : Arrays.asList(input.columns());
      deadLetterTable = new TableOutput.Target(ConfigKeys.DEAD_LETTER_TABLE, cfg.errors().deadLetterTable().trim(),
          modeName, Boolean.TRUE.equals(cfg.output().create()), cfg.output().format(),
          inputCols.containsAll(partitionBy) ? partitionBy : List.of());
      if (input != null) {
        TableOutput.validate(spark, deadLetterTable, TableOutput.deadLetterSchema(input.schema()), problems);
      }
    }
    List<ParquetFooterCheck.Corrupt> skipped = List.of();
    if (input != null && problems.isEmpty() && !TableInput.handles(cfg.input())) {
      skipped = checkInputFiles(cfg, spark, input, problems);
    }
    problems.throwIfAny("");
    return new JobPlan(name, TableInput.describe(cfg.input()), input, inference, cfg.output().path(), mode, partitionBy,
        compression, policy, policy == ErrorPolicy.DEAD_LETTER ? deadLetterPath : null, maxRejected, skipped, options,
        cfg.input().partitions(), outputTable, deadLetterTable);
  }

  private static Dataset<Row> readInput(JobConfig cfg, SparkSession spark, Problems problems) {
    String path = cfg.input().path();
    Dataset<Row> df;
    // Infer the schema even if some footers are corrupt; checkInputFiles names them afterwards.
    spark.conf().set(IGNORE_CORRUPT_CONF, "true");
    try {
      try {
        df = spark.read().parquet(path);
      } catch (Exception e) {
        if (!(e instanceof AnalysisException a && a.getSimpleMessage().contains("UNABLE_TO_INFER_SCHEMA"))) {
          throw e;
        }
        // Spark infers the schema from one footer; if that file is corrupt, merge all readable ones.
        df = spark.read().option("mergeSchema", "true").parquet(path);
      }
    } catch (Exception e) {
      String msg = e instanceof AnalysisException a ? a.getSimpleMessage() : String.valueOf(e.getMessage());
      if (msg.contains("PATH_NOT_FOUND") || msg.contains("does not exist")) {
        problems.add(ConfigKeys.INPUT_PATH + ": no data at " + path + " (path does not exist). Point it at a Parquet"
            + " file or directory.");
      } else if (msg.contains("UNABLE_TO_INFER_SCHEMA") || msg.contains("Unable to infer schema")) {
        problems.add(ConfigKeys.INPUT_PATH + ": " + path + " holds no Parquet files (cannot infer a schema).");
      } else {
        problems.add(ConfigKeys.INPUT_PATH + ": cannot read Parquet at " + path + ": " + msg);
      }
      return null;
    }
    return project(cfg, df, problems);
  }

  /** Applies input.columns and input.filter to the input as read; null when {@code df} is null or a key is wrong. */
  private static Dataset<Row> project(JobConfig cfg, Dataset<Row> df, Problems problems) {
    if (df == null) {
      return null;
    }
    List<String> available = Arrays.asList(df.columns());
    List<String> columns = cfg.input().columns();
    if (columns != null && !columns.isEmpty()) {
      boolean ok = true;
      for (int i = 0; i < columns.size(); i++) {
        if (!available.contains(columns.get(i))) {
          problems.add(ConfigKeys.INPUT_COLUMNS + "[" + i + "]: column '" + columns.get(i) + "' not found in input;"
              + " available: " + available + "." + Problems.didYouMean(columns.get(i), available));
          ok = false;
        }
      }
      if (!ok) {
        return null;
      }
      df = df.selectExpr(columns.stream().map(c -> "`" + c.replace("`", "``") + "`").toArray(String[]::new));
    }
    String filter = cfg.input().filter();
    if (filter != null && !filter.isBlank()) {
      try {
        df = df.filter(filter);
      } catch (Exception e) {
        String msg = e instanceof AnalysisException a ? a.getSimpleMessage() : e.getMessage();
        problems.add(ConfigKeys.INPUT_FILTER + ": not a valid SQL condition on the input: "
            + firstLine(msg) + ". Columns available: " + Arrays.asList(df.columns()) + ".");
        return null;
      }
    }
    return df;
  }

  /**
   * Opens every input file's Parquet footer. Corrupt files are an error naming them, unless
   * input.ignore_corrupt_files is true: then Spark skips them and the plan lists them.
   */
  private static List<ParquetFooterCheck.Corrupt> checkInputFiles(JobConfig cfg, SparkSession spark, Dataset<Row> input,
      Problems problems) {
    List<ParquetFooterCheck.Corrupt> corrupt = ParquetFooterCheck.findCorrupt(spark, input.inputFiles());
    boolean ignore = Boolean.TRUE.equals(cfg.input().ignoreCorruptFiles());
    // Reading the schema tolerated corrupt footers; the run itself must not skip data silently.
    spark.conf().set(IGNORE_CORRUPT_CONF, Boolean.toString(ignore));
    if (corrupt.isEmpty() || ignore) {
      return corrupt;
    }
    StringBuilder files = new StringBuilder();
    for (ParquetFooterCheck.Corrupt c : corrupt.subList(0, Math.min(10, corrupt.size()))) {
      files.append("\n    ").append(c.file()).append(": ").append(c.reason());
    }
    problems.add(ConfigKeys.INPUT_PATH + ": " + corrupt.size() + " input file(s) are not readable Parquet (truncated or"
        + " corrupt):" + files + (corrupt.size() > 10 ? "\n    ..." : "") + "\n  Remove or repair them, or set "
        + ConfigKeys.IGNORE_CORRUPT_FILES + ": true to skip them (they are listed in the plan and the report).");
    return corrupt;
  }

  private static void checkAllowedRoots(JobConfig cfg, SparkSession spark, Problems problems) {
    List<String> roots = cfg.model().allowedRoots();
    String path = cfg.model().path();
    if (roots == null || roots.isEmpty() || path == null || path.isBlank()) {
      return;
    }
    try {
      org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
      Path model = new Path(path);
      String qualified = new Path(model.getFileSystem(conf).makeQualified(model).toUri().normalize()).toString();
      List<String> qualifiedRoots = new java.util.ArrayList<>();
      for (String root : roots) {
        Path r = new Path(root);
        String q = new Path(r.getFileSystem(conf).makeQualified(r).toUri().normalize()).toString();
        qualifiedRoots.add(q);
        String prefix = q.endsWith("/") ? q : q + "/";
        if (qualified.startsWith(prefix)) {
          return;
        }
      }
      problems.add(ConfigKeys.MODEL_PATH + ": " + qualified + " is outside " + ConfigKeys.ALLOWED_ROOTS + " "
          + qualifiedRoots + "; models may only be loaded from there. Move the model, or change the allowed roots.");
    } catch (IOException | IllegalArgumentException e) {
      problems.add(ConfigKeys.ALLOWED_ROOTS + ": cannot resolve a root or the model path: " + e.getMessage());
    }
  }

  private static void checkOutputAbsent(String key, String path, SparkSession spark, Problems problems) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.exists(p)) {
        problems.add(key + ": " + fs.makeQualified(p) + " exists and output.mode is 'error'. Pass"
            + " --set output.mode=overwrite (or append), or choose another path.");
      }
    } catch (IOException | IllegalArgumentException e) {
      problems.add(key + ": cannot check " + path + ": " + e.getMessage());
    }
  }

  private static OutputMapping toMapping(String key, JobConfig.OutputSpec o, Problems problems) {
    if (o == null) {
      problems.add(key + ": empty; set 'column' (and optionally argmax, softmax, top_k, labels).");
      return null;
    }
    Pooling pooling = null;
    if (o.pooling() != null) {
      pooling = Pooling.parse(o.pooling());
      if (pooling == null) {
        problems.add(key + ".pooling: unknown pooling '" + o.pooling() + "'; expected one of [mean, cls, none].");
        return null;
      }
    }
    OutputMapping m = new OutputMapping(o.column(), Boolean.TRUE.equals(o.softmax()), o.argmax(), null, o.labels(),
        o.labelColumn(), pooling, Boolean.TRUE.equals(o.normalize()));
    if (o.topK() != null) {
      if (o.topK().k() == null) {
        problems.add(key + ".top_k.k: missing; how many top classes to keep, e.g. 3.");
        return null;
      }
      m = m.withTopK(o.topK().k(), o.topK().indices(), o.topK().scores());
    }
    return m;
  }

  private static TextInput toText(JobConfig.Text t) {
    if (t == null) {
      return null;
    }
    return new TextInput(t.column(), t.tokenizer(), t.maxLength() == null ? ConfigKeys.MAX_LENGTH_DEFAULT : t.maxLength(),
        t.field(), Boolean.TRUE.equals(t.rejectEmpty()));
  }

  private static void require(Problems problems, String value, String key, String what) {
    if (value == null || value.isBlank()) {
      problems.add(key + ": missing; set it to " + what + " (or pass --set " + key + "=...).");
    }
  }

  private interface Parser<T> {
    T parse(String value);
  }

  private static <T> T parseEnum(Problems problems, String value, String key, String dflt, Parser<T> parser,
      List<String> allowed) {
    T parsed = parser.parse(value == null ? dflt : value);
    if (parsed == null) {
      problems.add(key + ": unknown value '" + value + "'; expected one of " + allowed + "."
          + Problems.didYouMean(value, allowed));
      return parser.parse(dflt);
    }
    return parsed;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
