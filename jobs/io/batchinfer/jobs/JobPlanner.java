package io.batchinfer.jobs;

import io.batchinfer.udfs.ChainPlan;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.plan.Problems;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Driver only: turns a bound {@link JobConfig} into a {@link JobPlan}, checking every key, the
 * input schema, the model signature and the output path before any task runs, and reporting all
 * problems at once. The steps: settings ({@link JobSettings}), the input ({@link
 * InputReader#read}), the engine's plan ({@link EngineMapping}), the output's keys and path, and
 * last, when all of that is valid, the input data itself ({@link InputReader#prepare}). Stateless.
 */
final class JobPlanner {
  private JobPlanner() {}

  /**
   * @return the plan of {@code cfg}
   * @throws ValidationException listing every problem found
   */
  static JobPlan plan(JobConfig cfg, SparkSession spark) {
    Problems problems = new Problems();
    JobSettings settings = JobSettings.parse(cfg, problems);
    ErrorPolicy policy = settings.policy();
    String deadLetterPath = settings.deadLetterPath();
    checkAllowedRoots(cfg, spark, problems);
    ObjectStoreCommit.warnAboutCredentials(cfg);

    InputReader reader = InputReader.forConfig(cfg.input());
    Dataset<Row> input = reader.read(spark, problems);
    ChainPlan inference =
        EngineMapping.plan(cfg, settings, spark, input == null ? null : input.schema(), problems);

    List<String> partitionBy =
        cfg.output().partitionBy() == null ? List.of() : cfg.output().partitionBy();
    checkPartitionBy(partitionBy, inference, settings, input, problems);
    RunOptions options = RunOptions.validate(cfg, settings.modeName(), partitionBy, problems);
    ObjectStoreCommit.validate(
        ConfigKeys.OUTPUT_PATH,
        cfg.output().path(),
        settings.modeName(),
        options != null && options.resume(),
        problems);
    if (policy == ErrorPolicy.DEAD_LETTER) {
      ObjectStoreCommit.validate(
          ConfigKeys.DEAD_LETTER_PATH,
          deadLetterPath,
          settings.modeName(),
          options != null && options.resume(),
          problems);
    }
    TableOutput.Target outputTable =
        TableOutput.outputTarget(cfg, settings.modeName(), partitionBy);
    if (outputTable != null && inference != null) {
      TableOutput.validate(spark, outputTable, inference.outputSchema(), problems);
    }
    Evaluation.validate(cfg.evaluate(), inference, problems);
    TableOutput.Target deadLetterTable =
        policy == ErrorPolicy.DEAD_LETTER && input != null
            ? TableOutput.deadLetterTarget(cfg, settings.modeName(), partitionBy, input.columns())
            : null;
    if (deadLetterTable != null) {
      TableOutput.validate(
          spark, deadLetterTable, TableOutput.deadLetterSchema(input.schema()), problems);
    }
    if (cfg.output().path() != null
        && !cfg.output().path().isBlank()
        && settings.mode() == SaveMode.ErrorIfExists) {
      ParquetOutputWriter.checkAbsent(ConfigKeys.OUTPUT_PATH, cfg.output().path(), spark, problems);
      if (policy == ErrorPolicy.DEAD_LETTER
          && deadLetterPath != null
          && !deadLetterPath.isBlank()) {
        ParquetOutputWriter.checkAbsent(
            ConfigKeys.DEAD_LETTER_PATH, deadLetterPath, spark, problems);
      }
    }
    InputReader.Input prepared = new InputReader.Input(input, List.of());
    if (input != null && problems.isEmpty()) {
      prepared = reader.prepare(spark, input, problems);
    }
    problems.throwIfAny("");
    return new JobPlan(
        settings.name(),
        TableInput.describe(cfg.input()),
        prepared.rows(),
        inference,
        cfg.output().path(),
        settings.mode(),
        partitionBy,
        settings.compression(),
        policy,
        policy == ErrorPolicy.DEAD_LETTER ? deadLetterPath : null,
        settings.maxRejected(),
        prepared.skippedFiles(),
        options,
        cfg.input().partitions(),
        prepared.fileRows(),
        outputTable,
        deadLetterTable);
  }

  private static void checkPartitionBy(
      List<String> partitionBy,
      ChainPlan inference,
      JobSettings settings,
      Dataset<Row> input,
      Problems problems) {
    if (inference != null) {
      List<String> outCols = Arrays.asList(inference.outputSchema().fieldNames());
      for (int i = 0; i < partitionBy.size(); i++) {
        if (!outCols.contains(partitionBy.get(i))) {
          problems.add(
              ConfigKeys.PARTITION_BY
                  + "["
                  + i
                  + "]: column '"
                  + partitionBy.get(i)
                  + "' is not in the output;"
                  + " output columns: "
                  + outCols
                  + ". Add it to passthrough or pick an output column."
                  + Problems.didYouMean(partitionBy.get(i), outCols));
        }
      }
      if (partitionBy.size() == outCols.size() && !outCols.isEmpty()) {
        problems.add(
            ConfigKeys.PARTITION_BY
                + ": cannot partition by every output column; keep at least one data column.");
      }
    }
    if (settings.policy() == ErrorPolicy.DEAD_LETTER
        && "overwrite-partitions".equals(settings.modeName())
        && input != null) {
      // Dead letters carry the input columns: they are partitioned like the output, so a rerun of
      // one day replaces that day's dead letters too, and only those.
      List<String> inputCols = Arrays.asList(input.columns());
      for (int i = 0; i < partitionBy.size(); i++) {
        if (!inputCols.contains(partitionBy.get(i))) {
          problems.add(
              ConfigKeys.PARTITION_BY
                  + "["
                  + i
                  + "]: column '"
                  + partitionBy.get(i)
                  + "' is a model output,"
                  + " so rejected rows (which keep the input columns) cannot be partitioned by it; with output.mode"
                  + " overwrite-partitions and errors.policy dead-letter, partition by input columns (e.g. a day column).");
        }
      }
    }
  }

  private static void checkAllowedRoots(JobConfig cfg, SparkSession spark, Problems problems) {
    List<JobConfig.ModelEntry> entries = cfg.modelEntries();
    for (int i = 0; i < entries.size(); i++) {
      checkAllowedRoots(entries.get(i).model(), cfg.modelPrefix(i), spark, problems);
    }
  }

  private static void checkAllowedRoots(
      JobConfig.Model cfg, String keyPrefix, SparkSession spark, Problems problems) {
    List<String> roots = cfg.allowedRoots();
    String path = cfg.path();
    if (roots == null || roots.isEmpty() || path == null || path.isBlank()) {
      return;
    }
    try {
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      Path model = new Path(path);
      String qualified =
          new Path(model.getFileSystem(conf).makeQualified(model).toUri().normalize()).toString();
      List<String> qualifiedRoots = new ArrayList<>();
      for (String root : roots) {
        Path r = new Path(root);
        String q = new Path(r.getFileSystem(conf).makeQualified(r).toUri().normalize()).toString();
        qualifiedRoots.add(q);
        String prefix = q.endsWith("/") ? q : q + "/";
        if (qualified.startsWith(prefix)) {
          return;
        }
      }
      problems.add(
          keyPrefix
              + ConfigKeys.MODEL_PATH
              + ": "
              + qualified
              + " is outside "
              + keyPrefix
              + ConfigKeys.ALLOWED_ROOTS
              + " "
              + qualifiedRoots
              + "; models may only be loaded from there. Move the model, or change the allowed roots.");
    } catch (IOException | IllegalArgumentException e) {
      problems.add(
          keyPrefix
              + ConfigKeys.ALLOWED_ROOTS
              + ": cannot resolve a root or the model path: "
              + e.getMessage());
    }
  }
}
