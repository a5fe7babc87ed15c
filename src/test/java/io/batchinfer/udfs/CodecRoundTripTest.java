package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.testing.TestModels;
import io.batchinfer.udfs.model.ElementType;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import scala.collection.JavaConverters;

/**
 * Input and output codecs end to end: values written to Parquet, read back, scored through real
 * ONNX Runtime models built by {@link TestModels} on a real local Spark session, the result written
 * to Parquet and read back again, then compared with expected values derived by hand.
 *
 * <p>Most models are {@code Identity}, so the expected output is the input after the engine's
 * casts: exact for values representable in the model's element type, Spark widening for types Spark
 * lacks ({@code uint8} to {@code smallint}, {@code float16}/{@code bfloat16} to {@code float}), and
 * IEEE round-to-nearest-even where a value is not representable (each such value is worked out in a
 * comment).
 */
class CodecRoundTripTest extends SparkTestBase {
  private static final int ROWS = 11;

  /** Not a divisor of {@link #ROWS}, so every partition ends with a shorter batch. */
  private static final int BATCH = 4;

  @TempDir Path dir;

  /**
   * Values per element type: what goes in (as the Spark type feeding it), and what must come out of
   * an Identity model of that type (as the Spark type the engine writes).
   */
  private record Case(
      ElementType type,
      DataType inputType,
      DataType outputType,
      List<Object> in,
      List<Object> out) {
    static Case exact(ElementType type, DataType sparkType, Object... values) {
      return new Case(type, sparkType, sparkType, Arrays.asList(values), Arrays.asList(values));
    }
  }

  private static Case caseFor(ElementType type) {
    switch (type) {
      case FLOAT32:
        // Every float32 is exact through float32: extremes, the smallest subnormal, a fraction
        // that is not a short decimal (1/3 rounded once, by the Java compiler), signed zero,
        // infinities and NaN.
        return Case.exact(
            type,
            DataTypes.FloatType,
            0f,
            -1.5f,
            Float.MAX_VALUE,
            -Float.MAX_VALUE,
            Float.MIN_VALUE,
            1f / 3f,
            -0.0f,
            Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY,
            Float.NaN);
      case FLOAT64:
        return Case.exact(
            type,
            DataTypes.DoubleType,
            0d,
            -1.5d,
            Double.MAX_VALUE,
            -Double.MAX_VALUE,
            Double.MIN_VALUE,
            1d / 3d,
            -0.0d,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            Double.NaN);
      case FLOAT16:
        {
          // float16 has 10 mantissa bits, exponent range 2^-14..2^15.
          //   1.5, -2.25, 65504 (max, 0x7bff), 2^-14 = 6.1035156E-5 (min normal, 0x0400),
          //   2^-24 = 5.9604645E-8 (min subnormal, 0x0001), -0.0, +-inf, NaN: exact.
          //   0.1f is not: 0.1 = 1.6 * 2^-4, mantissa 0.6 * 1024 = 614.4 -> 614, so
          //   (1024 + 614) / 1024 * 2^-4 = 1638 / 16384 = 0.0999755859375 (0x2e66).
          //   1/3f: 1/3 = 1.333.. * 2^-2, mantissa 0.333.. * 1024 = 341.33 -> 341, so
          //   1365 / 4096 = 0.333251953125 (0x3555).
          //   65519 is below 65520, the halfway point between 65504 and 65536 (not representable):
          // it
          //   rounds down to 65504. (From 65520 up a finite value would become inf: the engine
          // rejects
          //   that as out_of_range instead; ErrorPolicyFuzzTest covers it.)
          List<Object> in =
              List.of(
                  1.5f,
                  -2.25f,
                  65504f,
                  6.1035156E-5f,
                  5.9604645E-8f,
                  -0.0f,
                  Float.POSITIVE_INFINITY,
                  Float.NEGATIVE_INFINITY,
                  Float.NaN,
                  0.1f,
                  1f / 3f,
                  65519f);
          List<Object> out =
              List.of(
                  1.5f,
                  -2.25f,
                  65504f,
                  6.1035156E-5f,
                  5.9604645E-8f,
                  -0.0f,
                  Float.POSITIVE_INFINITY,
                  Float.NEGATIVE_INFINITY,
                  Float.NaN,
                  0.0999755859375f,
                  0.333251953125f,
                  65504f);
          return new Case(type, DataTypes.FloatType, DataTypes.FloatType, in, out);
        }
      case BFLOAT16:
        {
          // bfloat16 is float32 with 7 mantissa bits: same exponent range.
          //   1.5, -2.5, 2^-7 = 0.0078125, 256, 2^-126 (min normal, 0x0080),
          //   (2 - 2^-7) * 2^127 = 3.3895314E38 (max, 0x7f7f), -0.0, +-inf, NaN: exact.
          //   1/3f = 0x3eaaaaab: upper half 0x3eaa, lower half 0xaaab > 0x8000 rounds up to 0x3eab
          //   = (1 + 43/128) * 2^-2 = 171/512 = 0.333984375.
          //   0.1f = 0x3dcccccd: lower half 0xcccd rounds up to 0x3dcd = (1 + 77/128) * 2^-4
          //   = 205/2048 = 0.10009765625.
          List<Object> in =
              List.of(
                  1.5f,
                  -2.5f,
                  0.0078125f,
                  256f,
                  Float.MIN_NORMAL,
                  3.3895314E38f,
                  -0.0f,
                  Float.POSITIVE_INFINITY,
                  Float.NEGATIVE_INFINITY,
                  Float.NaN,
                  1f / 3f,
                  0.1f);
          List<Object> out =
              List.of(
                  1.5f,
                  -2.5f,
                  0.0078125f,
                  256f,
                  Float.MIN_NORMAL,
                  3.3895314E38f,
                  -0.0f,
                  Float.POSITIVE_INFINITY,
                  Float.NEGATIVE_INFINITY,
                  Float.NaN,
                  0.333984375f,
                  0.10009765625f);
          return new Case(type, DataTypes.FloatType, DataTypes.FloatType, in, out);
        }
      case INT8:
        return Case.exact(
            type,
            DataTypes.ByteType,
            (byte) 0,
            (byte) -1,
            (byte) 1,
            Byte.MIN_VALUE,
            Byte.MAX_VALUE);
      case UINT8:
        {
          // No unsigned byte in Spark: fed from smallint, written back as smallint (0..255 kept).
          List<Object> values =
              List.of((short) 0, (short) 255, (short) 1, (short) 128, (short) 127, (short) 254);
          return new Case(type, DataTypes.ShortType, DataTypes.ShortType, values, values);
        }
      case INT16:
        return Case.exact(
            type,
            DataTypes.ShortType,
            (short) 0,
            (short) -1,
            Short.MIN_VALUE,
            Short.MAX_VALUE,
            (short) 7);
      case INT32:
        return Case.exact(
            type, DataTypes.IntegerType, 0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 123_456_789);
      case INT64:
        // 2^53 + 1 is not representable as a double: proves no floating-point path.
        return Case.exact(
            type, DataTypes.LongType, 0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE, (1L << 53) + 1);
      case BOOL:
        return Case.exact(type, DataTypes.BooleanType, true, false, false, true, true);
      case STRING:
        return Case.exact(
            type,
            DataTypes.StringType,
            "",
            "a",
            "héllo wörld",
            "日本語",
            "emoji \uD83D\uDE42",
            "tab\tnew\nline",
            "  spaced  ");
      default:
        throw new IllegalArgumentException(type.toString());
    }
  }

  @ParameterizedTest
  @EnumSource(ElementType.class)
  void identityRoundTripsEveryElementTypeInEveryLayout(ElementType type) {
    Case c = caseFor(type);
    int n = c.in().size();
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("s0", c.inputType())
            .add("s1", c.inputType())
            .add("s2", c.inputType())
            .add("arr", DataTypes.createArrayType(c.inputType()));
    List<Row> rows = new ArrayList<>();
    List<List<Object>> expectedTriples = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      // Rotate through the values so each appears in every position.
      List<Object> triple =
          List.of(c.in().get(i % n), c.in().get((i + 1) % n), c.in().get((i + 2) % n));
      rows.add(RowFactory.create(i, triple.get(0), triple.get(1), triple.get(2), triple));
      expectedTriples.add(
          List.of(c.out().get(i % n), c.out().get((i + 1) % n), c.out().get((i + 2) % n)));
    }
    Dataset<Row> df = writeAndRead("in-" + type, rows, schema);
    int onnx = TestModels.onnxType(type);
    Path matrixModel =
        TestModels.write(
            TestModels.identity("x", "y", onnx, -1, 3), dir.resolve("id3-" + type + ".onnx"));
    Path vectorModel =
        TestModels.write(
            TestModels.identity("x", "y", onnx, -1), dir.resolve("id1-" + type + ".onnx"));

    // Three scalar columns stacked into [batch, 3].
    InferencePlan columns = plan(matrixModel, InputMapping.columns("s0", "s1", "s2"), df);
    assertThat(columns.spec().batched()).isTrue();
    assertThat(columns.outputSchema().apply("y").dataType())
        .isEqualTo(DataTypes.createArrayType(c.outputType(), false));
    List<List<Object>> got = scoreToParquetAndBack("cols-" + type, columns, df);
    for (int i = 0; i < ROWS; i++) {
      assertThat(got.get(i))
          .as("row %d, columns into %s", i, type)
          .containsExactly(i, expectedTriples.get(i));
    }

    // One array<T> column into [batch, 3].
    InferencePlan array = plan(matrixModel, InputMapping.column("arr"), df);
    got = scoreToParquetAndBack("arr-" + type, array, df);
    for (int i = 0; i < ROWS; i++) {
      assertThat(got.get(i))
          .as("row %d, array into %s", i, type)
          .containsExactly(i, expectedTriples.get(i));
    }

    // One scalar column into [batch]: a scalar per row out.
    InferencePlan single = plan(vectorModel, InputMapping.column("s1"), df);
    assertThat(single.outputSchema().apply("y").dataType()).isEqualTo(c.outputType());
    got = scoreToParquetAndBack("one-" + type, single, df);
    for (int i = 0; i < ROWS; i++) {
      assertThat(got.get(i))
          .as("row %d, scalar into %s", i, type)
          .containsExactly(i, expectedTriples.get(i).get(1));
    }
  }

  @Test
  void castModelInt64ToFloat32RoundsToNearestEven() {
    // int64 -> float32 (24-bit mantissa): 2^24 + 1 is halfway between 2^24 and 2^24 + 2 and ties
    // to the even 2^24; Long.MAX_VALUE = 2^63 - 1 rounds to 2^63; Long.MIN_VALUE = -2^63 is exact.
    StructType schema =
        new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.LongType);
    Dataset<Row> df =
        writeAndRead(
            "cast-in",
            List.of(
                RowFactory.create(0, 0L),
                RowFactory.create(1, -3L),
                RowFactory.create(2, (1L << 24) + 1),
                RowFactory.create(3, Long.MAX_VALUE),
                RowFactory.create(4, Long.MIN_VALUE)),
            schema);
    Path model =
        TestModels.write(
            TestModels.cast("x", TestModels.INT64, "y", TestModels.FLOAT, -1),
            dir.resolve("cast.onnx"));

    List<List<Object>> got =
        scoreToParquetAndBack("cast-out", plan(model, InputMapping.column("v"), df), df);

    assertThat(got)
        .containsExactly(
            List.of(0, 0f),
            List.of(1, -3f),
            List.of(2, 16777216f),
            List.of(3, 9.223372036854775808E18f),
            List.of(4, -9.223372036854775808E18f));
  }

  @Test
  void castModelFloat64ToFloat16IsWidenedToFloat() {
    // float64 -> float16 inside the model, float16 -> float when written (see the FLOAT16 case):
    // 1.5, -2, 65504 exact; 0.1 -> 0.0999755859375; 1/3 -> 0.333251953125; 1e6 > 65520 -> inf.
    StructType schema =
        new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.DoubleType);
    Dataset<Row> df =
        writeAndRead(
            "cast16-in",
            List.of(
                RowFactory.create(0, 1.5d),
                RowFactory.create(1, -2d),
                RowFactory.create(2, 65504d),
                RowFactory.create(3, 0.1d),
                RowFactory.create(4, 1d / 3d),
                RowFactory.create(5, 1e6d)),
            schema);
    Path model =
        TestModels.write(
            TestModels.cast("x", TestModels.DOUBLE, "y", TestModels.FLOAT16, -1),
            dir.resolve("cast16.onnx"));

    InferencePlan plan = plan(model, InputMapping.column("v"), df);
    assertThat(plan.outputSchema().apply("y").dataType()).isEqualTo(DataTypes.FloatType);
    List<List<Object>> got = scoreToParquetAndBack("cast16-out", plan, df);

    assertThat(got)
        .containsExactly(
            List.of(0, 1.5f),
            List.of(1, -2f),
            List.of(2, 65504f),
            List.of(3, 0.0999755859375f),
            List.of(4, 0.333251953125f),
            List.of(5, Float.POSITIVE_INFINITY));
  }

  @Test
  void castsColumnsOfOtherTypesToTheModelType() {
    // A float32 input fed from int, bigint, double, decimal(10,3) and boolean columns:
    //   int 16777217 = 2^24 + 1 -> 16777216f (ties to even); bigint -5 -> -5f;
    //   double 0.1 -> 0.1f (the float nearest to it); decimal 1.125 -> 1.125f (exact);
    //   boolean true/false -> 1f/0f.
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("i", DataTypes.IntegerType)
            .add("l", DataTypes.LongType)
            .add("d", DataTypes.DoubleType)
            .add("dec", DataTypes.createDecimalType(10, 3))
            .add("b", DataTypes.BooleanType);
    Dataset<Row> df =
        writeAndRead(
            "mixed-in",
            List.of(
                RowFactory.create(0, 16_777_217, -5L, 0.1d, new BigDecimal("1.125"), true),
                RowFactory.create(1, -7, 1L << 40, -2.5d, new BigDecimal("-0.500"), false)),
            schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.FLOAT, -1, 5), dir.resolve("f5.onnx"));

    List<List<Object>> got =
        scoreToParquetAndBack(
            "mixed-out", plan(model, InputMapping.columns("i", "l", "d", "dec", "b"), df), df);

    assertThat(got)
        .containsExactly(
            List.of(0, List.of(16777216f, -5f, 0.1f, 1.125f, 1f)),
            List.of(1, List.of(-7f, 1.09951163E12f, -2.5f, -0.5f, 0f)));
  }

  @Test
  void castsWholeDoublesIntoAnIntegerModel() {
    // 2.0 and -3.0 are whole, so a double column may feed int32 exactly.
    StructType schema =
        new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.DoubleType);
    Dataset<Row> df =
        writeAndRead(
            "whole-in", List.of(RowFactory.create(0, 2.0d), RowFactory.create(1, -3.0d)), schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.INT32, -1), dir.resolve("i32.onnx"));

    assertThat(scoreToParquetAndBack("whole-out", plan(model, InputMapping.column("v"), df), df))
        .containsExactly(List.of(0, 2), List.of(1, -3));
  }

  @Test
  void decimalColumnsFeedIntegerModelsExactly() {
    // 2^53 + 1 = 9007199254740993 and Long.MAX_VALUE do not survive a trip through double: the
    // decimal path must be exact. 2.00 (scale 2) is whole.
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("v", DataTypes.createDecimalType(25, 2));
    Dataset<Row> df =
        writeAndRead(
            "dec-in",
            List.of(
                RowFactory.create(0, new BigDecimal("9007199254740993.00")),
                RowFactory.create(1, new BigDecimal("9223372036854775807.00")),
                RowFactory.create(2, new BigDecimal("-9223372036854775808.00")),
                RowFactory.create(3, new BigDecimal("2.00"))),
            schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.INT64, -1), dir.resolve("i64.onnx"));

    assertThat(scoreToParquetAndBack("dec-out", plan(model, InputMapping.column("v"), df), df))
        .containsExactly(
            List.of(0, 9007199254740993L),
            List.of(1, Long.MAX_VALUE),
            List.of(2, Long.MIN_VALUE),
            List.of(3, 2L));
  }

  @Test
  void decimalOutOfRangeOrFractionalIntoIntegerModelFails() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("big", DataTypes.createDecimalType(20, 0))
            .add("frac", DataTypes.createDecimalType(5, 2));
    Dataset<Row> df =
        writeAndRead(
            "decbad-in",
            List.of(
                RowFactory.create(
                    0, new BigDecimal("9223372036854775808"), new BigDecimal("2.50"))),
            schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.INT64, -1), dir.resolve("i64.onnx"));

    Dataset<Row> big = plan(model, InputMapping.column("big"), df).apply(df).scored();
    assertThatThrownBy(big::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining(
            "column 'big': value 9223372036854775808 is out of the range of int64");
    Dataset<Row> frac = plan(model, InputMapping.column("frac"), df).apply(df).scored();
    assertThatThrownBy(frac::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining(
            "column 'frac': value 2.50 is not a whole number, but the model takes int64");
  }

  @Test
  void doubleOfTwoToThe63IsOutOfRangeForInt64() {
    // (double) Long.MAX_VALUE is 2^63, one more than the largest int64: must not saturate silently.
    StructType schema =
        new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.DoubleType);
    Dataset<Row> df = writeAndRead("d63-in", List.of(RowFactory.create(0, 0x1p63)), schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.INT64, -1), dir.resolve("i64.onnx"));

    Dataset<Row> scored = plan(model, InputMapping.column("v"), df).apply(df).scored();

    assertThatThrownBy(scored::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining(
            "column 'v': value 9.223372036854776E18 is out of the range of int64");
  }

  @Test
  void nestedArrayColumnReachesARank4Input() {
    // array<array<array<float>>> of [2][3][4] per row -> [batch, 2, 3, 4]; value = id*100 + i*12 +
    // j*4 + k.
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add(
                "grid",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType))));
    List<Row> rows = new ArrayList<>();
    for (int id = 0; id < ROWS; id++) {
      rows.add(RowFactory.create(id, grid(id)));
    }
    Dataset<Row> df = writeAndRead("grid-in", rows, schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.FLOAT, -1, 2, 3, 4), dir.resolve("grid.onnx"));

    InferencePlan plan = plan(model, InputMapping.column("grid"), df);
    assertThat(plan.spec().inputs().get(0).rowShape()).containsExactly(2, 3, 4);
    assertThat(plan.spec().inputs().get(0).batchAxis()).isTrue();
    assertThat(plan.outputSchema().apply("y").dataType())
        .isEqualTo(
            DataTypes.createArrayType(
                DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.FloatType, false), false),
                false));
    List<List<Object>> got = scoreToParquetAndBack("grid-out", plan, df);

    for (int id = 0; id < ROWS; id++) {
      assertThat(got.get(id)).containsExactly(id, grid(id));
    }
  }

  @Test
  void rowsOfDifferentLengthsAlongAFreeDimensionGoToSeparateBatches() {
    // Model input [?, ?]: a batch is one tensor, so rows of another length must start a new batch
    // rather than fail. Lengths 2,2,3,3,3,1,... over 40 rows; expected output = input (Identity).
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("v", DataTypes.createArrayType(DataTypes.FloatType));
    int[] lengths = {2, 2, 3, 3, 3, 1};
    List<Row> rows = new ArrayList<>();
    Map<Integer, List<Float>> expected = new HashMap<>();
    for (int id = 0; id < 40; id++) {
      List<Float> v = new ArrayList<>();
      for (int i = 0; i < lengths[id % lengths.length]; i++) {
        v.add(id + i / 10f);
      }
      rows.add(RowFactory.create(id, v));
      expected.put(id, v);
    }
    Dataset<Row> df = writeAndRead("var-len", rows, schema).coalesce(1);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.FLOAT, -1, -1), dir.resolve("varlen.onnx"));

    InferencePlan.Scored scored = plan(model, InputMapping.column("v"), df).apply(df);
    List<Row> out = scored.scored().collectAsList();

    assertThat(out).hasSize(40);
    for (Row r : out) {
      assertThat(r.<Float>getList(1)).containsExactlyElementsOf(expected.get(r.getInt(0)));
    }
    // Length changes cut batches: more runs than 40 rows / batch size alone would need.
    assertThat(scored.metrics().batches()).isGreaterThan((40 + BATCH - 1) / BATCH);
    assertThat(scored.metrics().rowsRejected()).isZero();
  }

  @Test
  void rejectsANestedArrayOfTheWrongLengthNamingTheElement() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add(
                "grid",
                DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType))));
    List<List<List<Float>>> ragged = grid(1);
    List<List<Float>> plane = new ArrayList<>(ragged.get(1));
    plane.set(2, List.of(1f, 2f, 3f)); // 3 instead of 4 elements
    List<List<List<Float>>> bad = List.of(ragged.get(0), plane);
    Dataset<Row> df =
        writeAndRead(
                "ragged-in",
                List.of(RowFactory.create(0, grid(0)), RowFactory.create(7, bad)),
                schema)
            .coalesce(1);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.FLOAT, -1, 2, 3, 4), dir.resolve("grid.onnx"));

    Dataset<Row> scored = plan(model, InputMapping.column("grid"), df).apply(df).scored();

    assertThatThrownBy(scored::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("(id=7)")
        .hasMessageContaining("column 'grid[1][2]'")
        .hasMessageContaining(
            "array has 3 elements at depth 2; expected model input 'x' expects 4 (row shape [2, 3, 4])");
  }

  @Test
  void fixedBatchOfOneModelRunsOneRowPerRun() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("a", DataTypes.FloatType)
            .add("b", DataTypes.FloatType)
            .add("c", DataTypes.FloatType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      rows.add(RowFactory.create(i, i + 0.5f, -i * 1f, i * 0.25f));
    }
    Dataset<Row> df = writeAndRead("one-in", rows, schema);
    Path model = TestModels.write(TestModels.fixedBatchOfOne("x", "y", 3), dir.resolve("b1.onnx"));

    InferencePlan plan = plan(model, InputMapping.columns("a", "b", "c"), df);
    assertThat(plan.spec().batched()).isFalse();
    assertThat(plan.describe())
        .contains("one row per run (model inputs have a fixed batch of 1 or no batch axis)");
    InferencePlan.Scored scored = plan.apply(df);
    List<List<Object>> got = sorted(scored.scored());

    for (int i = 0; i < 5; i++) {
      assertThat(got.get(i)).containsExactly(i, List.of(i + 0.5f, -i * 1f, i * 0.25f));
    }
    assertThat(scored.metrics().batches()).isEqualTo(5);
    assertThat(scored.metrics().rowsOut()).isEqualTo(5);
  }

  @Test
  void modelWithoutBatchAxisRunsOneRowPerRunFromColumnsOrAnArray() {
    // ReduceSum over [3] -> scalar: 1.5 + 2 - 0.25 = 3.25 and i + (i + 1) + 0.5 exactly in float32.
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("a", DataTypes.FloatType)
            .add("b", DataTypes.FloatType)
            .add("c", DataTypes.FloatType)
            .add("v", DataTypes.createArrayType(DataTypes.FloatType));
    List<Row> rows = new ArrayList<>();
    rows.add(RowFactory.create(0, 1.5f, 2f, -0.25f, List.of(1.5f, 2f, -0.25f)));
    for (int i = 1; i < 6; i++) {
      rows.add(RowFactory.create(i, (float) i, i + 1f, 0.5f, List.of((float) i, i + 1f, 0.5f)));
    }
    Dataset<Row> df = writeAndRead("sum-in", rows, schema);
    Path model =
        TestModels.write(TestModels.sumNoBatchAxis("x", "total", 3), dir.resolve("sum.onnx"));

    for (InputMapping mapping :
        List.of(InputMapping.columns("a", "b", "c"), InputMapping.column("v"))) {
      InferencePlan plan =
          BatchInference.builder()
              .modelPath(model.toString(), null)
              .input("x", mapping)
              .output("total", OutputMapping.toColumn("total"))
              .passthrough(List.of("id"))
              .batchSize(BATCH)
              .plan(spark, df.schema());
      assertThat(plan.spec().batched()).as("batched, %s", mapping).isFalse();
      assertThat(plan.spec().inputs().get(0).batchAxis()).isFalse();
      assertThat(plan.outputSchema().apply("total").dataType()).isEqualTo(DataTypes.FloatType);
      InferencePlan.Scored scored = plan.apply(df);
      List<List<Object>> got = sorted(scored.scored());

      assertThat(got.get(0)).containsExactly(0, 3.25f);
      for (int i = 1; i < 6; i++) {
        assertThat(got.get(i)).as("%s", mapping).containsExactly(i, 2f * i + 1.5f);
      }
      assertThat(scored.metrics().batches()).isEqualTo(6);
    }
  }

  @Test
  void batchingNoneRunsABatchableModelOneRowAtATime() {
    StructType schema =
        new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.LongType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      rows.add(RowFactory.create(i, i * 1_000_000_007L));
    }
    Dataset<Row> df = writeAndRead("none-in", rows, schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.INT64, -1), dir.resolve("i64.onnx"));

    InferencePlan plan =
        BatchInference.builder()
            .modelPath(model.toString(), null)
            .input("x", InputMapping.column("v"))
            .output("y", OutputMapping.toColumn("y"))
            .passthrough(List.of("id"))
            .batchSize(BATCH)
            .batching(Batching.NONE)
            .plan(spark, df.schema());
    assertThat(plan.spec().batched()).isFalse();
    InferencePlan.Scored scored = plan.apply(df);
    List<List<Object>> got = sorted(scored.scored());

    for (int i = 0; i < ROWS; i++) {
      assertThat(got.get(i)).containsExactly(i, i * 1_000_000_007L);
    }
    assertThat(scored.metrics().batches()).isEqualTo(ROWS);
  }

  @Test
  void twoInputsAndTwoOutputs() {
    // sum = a + b and product = a * b, elementwise; all values small integers or halves (exact).
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("a0", DataTypes.FloatType)
            .add("a1", DataTypes.FloatType)
            .add("b", DataTypes.createArrayType(DataTypes.FloatType));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      rows.add(RowFactory.create(i, (float) i, 0.5f, List.of(2f, (float) -i)));
    }
    Dataset<Row> df = writeAndRead("two-in", rows, schema);
    Path model =
        TestModels.write(
            TestModels.addMul("a", "b", "sum", "product", 2), dir.resolve("addmul.onnx"));

    InferencePlan plan =
        BatchInference.builder()
            .modelPath(model.toString(), null)
            .input("a", InputMapping.columns("a0", "a1"))
            .input("b", InputMapping.column("b"))
            .output("sum", OutputMapping.toColumn("s"))
            .output("product", OutputMapping.toColumn("p"))
            .passthrough(List.of("id"))
            .batchSize(BATCH)
            .plan(spark, df.schema());
    assertThat(plan.outputSchema().fieldNames()).containsExactly("id", "s", "p");
    List<List<Object>> got = scoreToParquetAndBack("two-out", plan, df);

    for (int i = 0; i < ROWS; i++) {
      assertThat(got.get(i))
          .containsExactly(i, List.of(i + 2f, 0.5f - i), List.of(2f * i, 0.5f * -i));
    }
  }

  @Test
  void outOfRangeValueFailsTheJobNamingTheColumn() {
    StructType schema =
        new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.IntegerType);
    Dataset<Row> df =
        writeAndRead(
                "range-in",
                List.of(
                    RowFactory.create(0, 1),
                    RowFactory.create(1, -128),
                    RowFactory.create(2, 300),
                    RowFactory.create(3, 5)),
                schema)
            .coalesce(1);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.INT8, -1), dir.resolve("i8.onnx"));

    Dataset<Row> scored = plan(model, InputMapping.column("v"), df).apply(df).scored();

    assertThatThrownBy(() -> scored.write().parquet(dir.resolve("range-out").toString()))
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("(id=2)")
        .hasMessageContaining("column 'v': value 300 is out of the range of int8 [-128, 127]");
  }

  @Test
  void negativeValueIntoUint8FailsAndFractionIntoIntegerFails() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("v", DataTypes.ShortType)
            .add("d", DataTypes.DoubleType);
    Dataset<Row> df =
        writeAndRead("neg-in", List.of(RowFactory.create(0, (short) -1, 2.5d)), schema);
    Path u8 =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.UINT8, -1), dir.resolve("u8.onnx"));
    Path i32 =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.INT32, -1), dir.resolve("i32.onnx"));

    Dataset<Row> uint8 = plan(u8, InputMapping.column("v"), df).apply(df).scored();
    assertThatThrownBy(uint8::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("column 'v': value -1 is out of the range of uint8 [0, 255]");

    Dataset<Row> int32 = plan(i32, InputMapping.column("d"), df).apply(df).scored();
    assertThatThrownBy(int32::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining(
            "column 'd': value 2.5 is not a whole number, but the model takes int32");
  }

  @Test
  void nullValueFailsTheJobNamingTheColumnAndElement() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("v", DataTypes.FloatType)
            .add("arr", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> df =
        writeAndRead(
            "null-in",
            List.of(
                RowFactory.create(0, 1f, Arrays.asList(1f, null)),
                RowFactory.create(1, null, List.of(1f, 2f))),
            schema);
    Path scalar =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.FLOAT, -1), dir.resolve("f.onnx"));
    Path vector =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.FLOAT, -1, 2), dir.resolve("f2.onnx"));

    Dataset<Row> byColumn = plan(scalar, InputMapping.column("v"), df).apply(df).scored();
    assertThatThrownBy(byColumn::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("(id=1)")
        .hasMessageContaining("column 'v': null value");

    Dataset<Row> byArray = plan(vector, InputMapping.column("arr"), df).apply(df).scored();
    assertThatThrownBy(byArray::collectAsList)
        .rootCause()
        .isInstanceOf(RowRejectedException.class)
        .hasMessageContaining("(id=0)")
        .hasMessageContaining("column 'arr[1]': null element");
  }

  @Test
  void stringArrayColumnKeepsOrderAndContent() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.IntegerType)
            .add("words", DataTypes.createArrayType(DataTypes.StringType));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      rows.add(RowFactory.create(i, List.of("w" + i, "", "ü" + i * 7)));
    }
    Dataset<Row> df = writeAndRead("words-in", rows, schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.STRING, -1, 3), dir.resolve("s3.onnx"));

    List<List<Object>> got =
        scoreToParquetAndBack("words-out", plan(model, InputMapping.column("words"), df), df);

    for (int i = 0; i < ROWS; i++) {
      assertThat(got.get(i)).containsExactly(i, List.of("w" + i, "", "ü" + i * 7));
    }
  }

  @Test
  void emptyInputGivesEmptyOutput() {
    StructType schema =
        new StructType().add("id", DataTypes.IntegerType).add("v", DataTypes.FloatType);
    Dataset<Row> df = writeAndRead("empty-in", List.of(), schema);
    Path model =
        TestModels.write(
            TestModels.identity("x", "y", TestModels.FLOAT, -1), dir.resolve("f.onnx"));

    InferencePlan.Scored scored = plan(model, InputMapping.column("v"), df).apply(df);

    assertThat(scoreToParquetAndBack("empty-out", scored)).isEmpty();
    assertThat(scored.metrics().batches()).isZero();
    assertThat(scored.metrics().rowsIn()).isZero();
  }

  // ---------------------------------------------------------------------------------------------

  private static List<List<List<Float>>> grid(int id) {
    List<List<List<Float>>> g = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      List<List<Float>> plane = new ArrayList<>();
      for (int j = 0; j < 3; j++) {
        List<Float> line = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          line.add(id * 100f + i * 12 + j * 4 + k);
        }
        plane.add(line);
      }
      g.add(plane);
    }
    return g;
  }

  /**
   * Plans {@code model}'s input {@code x} and output {@code y} against {@code df}, passing {@code
   * id} through. NaN and ±Infinity are allowed here: the round trips check that special float
   * values reach the model intact (they are rejected by default; ErrorPolicyTest covers that).
   */
  private static InferencePlan plan(Path model, InputMapping input, Dataset<Row> df) {
    return BatchInference.builder()
        .allowNan(true)
        .modelPath(model.toString(), null)
        .input("x", input)
        .output("y", OutputMapping.toColumn("y"))
        .passthrough(List.of("id"))
        .batchSize(BATCH)
        .plan(spark, df.schema());
  }

  /** Writes {@code rows} to Parquet in two files and reads them back (two partitions). */
  private Dataset<Row> writeAndRead(String name, List<Row> rows, StructType schema) {
    String path = dir.resolve(name).toString();
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(path);
    return spark.read().parquet(path);
  }

  /**
   * Scores {@code df}, writes the result to Parquet, reads it back and returns its rows sorted by
   * id.
   */
  private List<List<Object>> scoreToParquetAndBack(
      String name, InferencePlan plan, Dataset<Row> df) {
    return scoreToParquetAndBack(name, plan.apply(df));
  }

  private List<List<Object>> scoreToParquetAndBack(String name, InferencePlan.Scored scored) {
    String path = dir.resolve(name).toString();
    scored.scored().write().parquet(path);
    return sorted(spark.read().parquet(path));
  }

  /**
   * @return the rows ordered by {@code id} (first column), each as a list with arrays as nested
   *     Java lists. Sorts on the driver: {@code orderBy} would evaluate the scored dataset twice
   *     (range-partition sampling, then the sort), doubling the metrics.
   */
  private static List<List<Object>> sorted(Dataset<Row> df) {
    List<List<Object>> out = new ArrayList<>();
    for (Row r : df.collectAsList()) {
      List<Object> values = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        values.add(toJava(r.get(i)));
      }
      out.add(values);
    }
    out.sort(Comparator.comparingInt(v -> (Integer) v.get(0)));
    return out;
  }

  private static Object toJava(Object v) {
    if (v instanceof scala.collection.Seq<?> seq) {
      List<Object> list = new ArrayList<>();
      for (Object e : JavaConverters.seqAsJavaList(seq)) {
        list.add(toJava(e));
      }
      return list;
    }
    return v;
  }
}
