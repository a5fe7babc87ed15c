package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes the row decoders: random rows with random nulls, NaN, infinities, huge values and array
 * lengths, scored under dead-letter. Every row must come out exactly once, as a prediction or a
 * rejection, and which one is decided by an independent predicate written here. Good rows must
 * carry the right result (a + b and a * b, computed here in float32).
 */
class RowFuzzTest extends SparkTestBase {
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType, false)
          .add("p", DataTypes.IntegerType, true)
          .add("q", DataTypes.DoubleType, true)
          .add("r", DataTypes.createDecimalType(12, 3), true)
          .add("arr", DataTypes.createArrayType(DataTypes.FloatType, true), true);

  @TempDir Path tmp;

  private static Object pick(Random random, Object... choices) {
    return choices[random.nextInt(choices.length)];
  }

  private static List<Row> randomRows(long seed, int n) {
    Random random = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < n; id++) {
      Integer p = random.nextInt(10) == 0 ? null : random.nextInt(2001) - 1000;
      Double q =
          random.nextInt(6) == 0
              ? (Double)
                  pick(
                      random,
                      null,
                      Double.NaN,
                      Double.POSITIVE_INFINITY,
                      Double.NEGATIVE_INFINITY,
                      1e300,
                      -4e38)
              : Double.valueOf(random.nextGaussian() * 100);
      BigDecimal r =
          random.nextInt(10) == 0
              ? null
              : BigDecimal.valueOf(random.nextInt(2_000_000) - 1_000_000, 3);
      List<Float> arr;
      int shape = random.nextInt(8);
      if (shape == 0) {
        arr = null;
      } else {
        int len = shape == 1 ? random.nextInt(6) : 3;
        arr = new ArrayList<>();
        for (int i = 0; i < len; i++) {
          arr.add(
              random.nextInt(25) == 0
                  ? (Float) pick(random, null, Float.NaN, Float.NEGATIVE_INFINITY)
                  : Float.valueOf((float) random.nextGaussian()));
        }
      }
      rows.add(RowFactory.create(id, p, q, r, arr));
    }
    return rows;
  }

  /** The test's own rows hold Java lists (rows read from Spark hold Scala ones). */
  @SuppressWarnings("unchecked")
  private static List<Float> input(Row row) {
    return (List<Float>) row.get(4);
  }

  /** The independent oracle for rejection: what a float32 model input can take. */
  private static boolean bad(Row row) {
    if (row.isNullAt(1) || row.isNullAt(2) || row.isNullAt(3) || row.isNullAt(4)) {
      return true;
    }
    double q = row.getDouble(2);
    if (!Double.isFinite(q) || Float.isInfinite((float) q)) {
      return true;
    }
    List<Float> arr = input(row);
    if (arr.size() != 3) {
      return true;
    }
    for (Float f : arr) {
      if (f == null || !Float.isFinite(f)) {
        return true;
      }
    }
    return false;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void everyRandomRowEndsAsPredictionOrRejection(long seed) {
    Path model =
        TestModels.write(
            TestModels.addMul("a", "b", "sum", "product", 3), tmp.resolve("addmul.onnx"));
    List<Row> rows = randomRows(seed, 600);
    Dataset<Row> input = spark.createDataFrame(rows, SCHEMA).repartition(3);
    InferencePlan.Scored scored =
        BatchInference.builder()
            .modelPath(model.toString(), null)
            .input("a", InputMapping.columns("p", "q", "r"))
            .input("b", InputMapping.column("arr"))
            .output("sum", OutputMapping.toColumn("sum"))
            .output("product", OutputMapping.toColumn("product"))
            .passthrough(List.of("id"))
            .batchSize(7)
            .errorPolicy(ErrorPolicy.DEAD_LETTER)
            .score(input);
    scored.emitted().persist(StorageLevel.MEMORY_ONLY());
    List<Row> good = scored.scored().collectAsList();
    List<Row> rejected = scored.rejected().collectAsList();

    Map<Long, Row> byId = new HashMap<>();
    rows.forEach(r -> byId.put(r.getLong(0), r));
    Set<Long> seen = new HashSet<>();
    for (Row g : good) {
      long id = g.getLong(0);
      assertThat(seen.add(id)).as("id %d emitted twice", id).isTrue();
      Row in = byId.get(id);
      assertThat(bad(in)).as("row %d should have been rejected: %s", id, in).isFalse();
      float[] a = {in.getInt(1), (float) in.getDouble(2), in.getDecimal(3).floatValue()};
      List<Float> b = input(in);
      List<Float> sum = g.getList(1);
      List<Float> product = g.getList(2);
      for (int i = 0; i < 3; i++) {
        assertThat(sum.get(i))
            .isCloseTo(a[i] + b.get(i), within(1e-3f * Math.max(1, Math.abs(a[i]))));
        assertThat(product.get(i)).isEqualTo(a[i] * b.get(i));
      }
    }
    for (Row r : rejected) {
      long id = r.getLong(0);
      assertThat(seen.add(id)).as("id %d emitted twice", id).isTrue();
      Row in = byId.get(id);
      assertThat(bad(in))
          .as(
              "row %d rejected (%s: %s) but is fine: %s",
              id, r.getAs("_error_code"), r.getAs("_error_message"), in)
          .isTrue();
      assertThat(r.<String>getAs("_error_code"))
          .isIn("null_value", "nan_value", "shape_mismatch", "out_of_range");
    }
    assertThat(seen).hasSize(rows.size());
    assertThat(scored.metrics().rowsIn()).isEqualTo(rows.size());
    assertThat(scored.metrics().rowsOut() + scored.metrics().rowsRejected()).isEqualTo(rows.size());
    assertThat(rejected).isNotEmpty();
    scored.emitted().unpersist();
  }
}
