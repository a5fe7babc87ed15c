package io.batchinfer.jobs;

import io.batchinfer.udfs.ChainPlan;
import io.batchinfer.udfs.plan.Problems;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Driver only: the {@code evaluate:} block. Planning checks that both columns are output columns;
 * after a successful run the written output is read back and the rows whose prediction equals the
 * label (compared as text, so a predicted label string matches an integer label) are counted, one
 * Spark job. The line goes to stdout after the summary line:
 *
 * <pre>batchinfer: evaluate accuracy=0.9867 correct=296 compared=300 (predicted_digit = label)
 * </pre>
 *
 * Rows where either value is null are not compared. The figure covers every row of the output as
 * written: with {@code output.mode: append} or {@code overwrite-partitions}, earlier runs' rows
 * too. Stateless.
 */
final class Evaluation {
  private Evaluation() {}

  /** Records a problem for each evaluate column that the output will not have. */
  static void validate(JobConfig.Evaluate e, ChainPlan inference, Problems problems) {
    if (e == null || inference == null) {
      return;
    }
    List<String> columns = Arrays.asList(inference.outputSchema().fieldNames());
    check("evaluate.label_column", e.labelColumn(), columns, "passthrough", problems);
    check(
        "evaluate.prediction_column",
        e.predictionColumn(),
        columns,
        "outputs.<name>.label_column or argmax",
        problems);
  }

  private static void check(
      String key, String column, List<String> columns, String where, Problems problems) {
    if (column == null || column.isBlank()) {
      problems.add(key + ": missing; name an output column.");
    } else if (!columns.contains(column)) {
      problems.add(
          key
              + ": column '"
              + column
              + "' is not in the output; output columns: "
              + columns
              + ". Add it through "
              + where
              + "."
              + Problems.didYouMean(column, columns));
    }
  }

  /**
   * @return the evaluation line for the written output, or null when the config has no {@code
   *     evaluate} block
   */
  static String run(SparkSession spark, JobConfig cfg, JobPlan plan) {
    JobConfig.Evaluate e = cfg.evaluate();
    if (e == null) {
      return null;
    }
    Dataset<Row> out =
        plan.outputTable() != null
            ? spark.table(plan.outputTable().table())
            : spark.read().parquet(plan.outputPath());
    Row r =
        out.select(
                functions
                    .count(
                        functions.when(
                            functions
                                .col(e.labelColumn())
                                .isNotNull()
                                .and(functions.col(e.predictionColumn()).isNotNull()),
                            1))
                    .as("compared"),
                functions
                    .count(
                        functions.when(
                            functions
                                .col(e.labelColumn())
                                .cast("string")
                                .equalTo(functions.col(e.predictionColumn()).cast("string")),
                            1))
                    .as("correct"))
            .first();
    long compared = r.getLong(0);
    long correct = r.getLong(1);
    return String.format(
        Locale.ROOT,
        "batchinfer: evaluate accuracy=%s correct=%d compared=%d (%s = %s)",
        compared == 0 ? "n/a" : String.format(Locale.ROOT, "%.4f", (double) correct / compared),
        correct,
        compared,
        e.predictionColumn(),
        e.labelColumn());
  }
}
