package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.ExternalDataModels;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.model.LocalModelCache;
import io.batchinfer.udfs.session.SessionCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model over 2 GB (a 2.2 GB lookup table in an external-data file, generated on disk here) runs
 * with the default {@code model.distribution: auto}: no byte array could hold it, so it must go as
 * files and load by path. Expected values are the table's defining formula ({@link
 * ExternalDataModels#tableValue}), exact in float32. Writes about 4.4 GB (the model and the node
 * cache's copy made by the tasks, both under {@code @TempDir}); tagged slow.
 */
@Tag("slow")
class HugeModelTest extends SparkTestBase {
  /** 550 million float32 entries: 2,200,000,000 bytes, above Integer.MAX_VALUE. */
  private static final long SIZE = 550_000_000L;

  @TempDir Path dir;

  @AfterEach
  void forget() {
    SessionCache.closeAll();
    LocalModelCache.forget();
  }

  @Test
  void aModelOverTwoGigabytesRunsWithAuto() throws Exception {
    Path graph =
        ExternalDataModels.hugeLookup(
            dir.resolve("model"), "huge.onnx", "idx", "value", SIZE, "table.bin");
    assertThat(Files.size(graph.resolveSibling("table.bin"))).isGreaterThan(Integer.MAX_VALUE);
    Random random = new Random(5);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < 200; id++) {
      long idx = id == 0 ? SIZE - 1 : id == 1 ? 0 : (long) (random.nextDouble() * SIZE);
      rows.add(RowFactory.create(id, idx));
    }
    StructType schema =
        new StructType().add("id", DataTypes.LongType).add("idx", DataTypes.LongType);
    Dataset<Row> input = spark.createDataFrame(rows, schema).repartition(2);

    InferencePlan plan =
        BatchInference.builder()
            .modelPath(graph.toString(), null)
            .input("idx", InputMapping.column("idx"))
            .output("value", OutputMapping.toColumn("value"))
            .passthrough(List.of("id", "idx"))
            .cacheDir(dir.resolve("cache").toString())
            .plan(spark, schema);
    assertThat(plan.model().distribution()).isEqualTo("files");
    assertThat(plan.model().size()).isGreaterThan(2_200_000_000L);

    List<Row> scored = plan.apply(input).scored().collectAsList();
    assertThat(scored).hasSize(200);
    for (Row r : scored) {
      assertThat(r.getFloat(2))
          .as("idx %d", r.getLong(1))
          .isEqualTo(ExternalDataModels.tableValue(r.getLong(1)));
    }
  }
}
