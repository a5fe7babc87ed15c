package io.batchinfer.tools.bench;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.functions;

/**
 * The optional {@code synapseml} mode: SynapseML's {@code ONNXModel} (1.1.0, Maven profile {@code
 * synapseml}, which {@code benchmark.sh --synapseml} puts on the classpath) on the same Parquet
 * input and model as the engine, writing the same columns. SynapseML feeds one column per model
 * input, so the scalar columns are first assembled into one array column, as a SynapseML user does.
 * Called by reflection so that neither the main build nor the default benchmark classpath needs
 * SynapseML. Benchmark code, driver JVM only.
 */
final class SynapseMl {
  /** The mini-batch size of the comparison in issue 12 (SynapseML's ONNXModel, batch 64). */
  static final int BATCH = 64;

  private static final String MODEL_CLASS = "com.microsoft.azure.synapse.ml.onnx.ONNXModel";

  private SynapseMl() {}

  /**
   * @return whether SynapseML's ONNXModel is on the classpath
   */
  static boolean available() {
    try {
      Class.forName(MODEL_CLASS);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /**
   * Scores {@code features} of {@code data} with SynapseML's ONNXModel (input {@code x}, output
   * {@code y} into {@code probabilities}, argmax into {@code label}) and writes {@code id,
   * probabilities, label} as Parquet. @return {@code rows}
   */
  static long score(
      BenchData d, Path model, Path data, List<String> features, int batch, String name, long rows)
      throws Exception {
    Column[] cols = features.stream().map(functions::col).toArray(Column[]::new);
    Dataset<Row> in =
        d.spark
            .read()
            .parquet(data.toString())
            .select(functions.col("id"), functions.array(cols).as("features"));
    Class<?> c = Class.forName(MODEL_CLASS);
    Object m = c.getConstructor().newInstance();
    c.getMethod("setModelLocation", String.class).invoke(m, model.toString());
    c.getMethod("setFeedDict", String.class, String.class).invoke(m, "x", "features");
    c.getMethod("setFetchDict", String.class, String.class).invoke(m, "probabilities", "y");
    c.getMethod("setArgMaxDict", String.class, String.class).invoke(m, "probabilities", "label");
    c.getMethod("setMiniBatchSize", int.class).invoke(m, batch);
    @SuppressWarnings("unchecked")
    Dataset<Row> scored = (Dataset<Row>) c.getMethod("transform", Dataset.class).invoke(m, in);
    scored
        .select("id", "probabilities", "label")
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(d.output(name + "-synapseml").toString());
    return rows;
  }
}
