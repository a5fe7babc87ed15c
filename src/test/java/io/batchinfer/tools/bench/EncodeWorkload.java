package io.batchinfer.tools.bench;

import io.batchinfer.udfs.codec.InputBinding;
import io.batchinfer.udfs.codec.InputEncoder;
import io.batchinfer.udfs.codec.InputLayout;
import io.batchinfer.udfs.codec.SourceKind;
import io.batchinfer.udfs.model.ElementType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.DecimalType;

/**
 * The input encoder alone, one thread, no Spark job and no model: rows holding a float array in
 * Spark's binary format (what a Parquet scan yields) appended into the direct input buffer, with
 * the bulk copy and element by element ({@code batchinfer.codec.elementwise}). End-to-end runs
 * cannot resolve a few percent on a shared machine; this isolates the part that changed. Benchmark
 * code only.
 */
public final class EncodeWorkload {
  private EncodeWorkload() {}

  public static void run(int rows, int repeats, Report report) {
    Map<String, double[]> samples = new LinkedHashMap<>();
    for (int width : new int[] {16, 256}) {
      InternalRow[] data = new InternalRow[4096];
      Random random = new Random(width);
      for (int i = 0; i < data.length; i++) {
        float[] v = new float[width];
        for (int j = 0; j < width; j++) {
          v[j] = random.nextFloat();
        }
        data[i] = new GenericInternalRow(new Object[] {UnsafeArrayData.fromPrimitiveArray(v)});
      }
      InputBinding binding =
          new InputBinding(
              "x",
              ElementType.FLOAT32,
              InputLayout.ARRAY,
              new String[] {"v"},
              new int[] {0},
              new SourceKind[] {SourceKind.FLOAT},
              new DecimalType[] {null},
              new long[] {width},
              true,
              false);
      Trial t =
          new Trial("encode-" + width)
              .add("bulk[" + width + "]", () -> encode(binding, data, rows, false))
              .add("elementwise[" + width + "]", () -> encode(binding, data, rows, true));
      try {
        samples.putAll(t.run(repeats));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    Map<String, String> notes = new LinkedHashMap<>();
    for (int width : new int[] {16, 256}) {
      notes.put(
          "array<float>[" + width + "]",
          String.format(
              java.util.Locale.ROOT,
              "bulk copy %.2fx element-by-element",
              Trial.median(samples.get("bulk[" + width + "]"))
                  / Trial.median(samples.get("elementwise[" + width + "]"))));
    }
    report.add(
        new Report.Workload(
            "encode",
            "input encoder alone, one thread: rows appended into the direct buffer,"
                + " batches of 1024",
            rows,
            1024,
            samples,
            notes));
  }

  private static long encode(
      InputBinding binding, InternalRow[] data, int rows, boolean elementwise) {
    if (elementwise) {
      System.setProperty("batchinfer.codec.elementwise", "true");
    }
    try {
      InputEncoder e = binding.newEncoder(1024);
      for (int r = 0; r < rows; r++) {
        if (r % 1024 == 0) {
          e.reset();
        }
        if (e.append(data[r % data.length]) != null) {
          throw new IllegalStateException("row rejected");
        }
      }
      return rows;
    } finally {
      System.clearProperty("batchinfer.codec.elementwise");
    }
  }
}
