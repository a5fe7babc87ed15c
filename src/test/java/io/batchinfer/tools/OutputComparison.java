package io.batchinfer.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * Compares two scored outputs of the same job (say CPU against CUDA) row by row, joined on {@code
 * id}: for every float or float-array column the largest absolute difference, and for arrays the
 * smallest cosine similarity. Exits 1 when the row sets differ or a difference exceeds the
 * tolerance. Used by {@code submit-scripts/gpu-check.sh}.
 *
 * <p>{@code OutputComparison <reference parquet dir> <other parquet dir> <max abs diff> <min
 * cosine>}
 */
public final class OutputComparison {
  private OutputComparison() {}

  public static void main(String[] args) {
    String reference = args[0];
    String other = args[1];
    double maxAbs = Double.parseDouble(args[2]);
    double minCosine = Double.parseDouble(args[3]);
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("batchinfer-output-comparison")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    int code;
    try {
      code =
          compare(spark.read().parquet(reference), spark.read().parquet(other), maxAbs, minCosine);
    } finally {
      spark.stop();
    }
    System.exit(code);
  }

  static int compare(Dataset<Row> a, Dataset<Row> b, double maxAbs, double minCosine) {
    List<String> columns = new ArrayList<>();
    for (StructField f : a.schema().fields()) {
      boolean floatArray =
          f.dataType() instanceof ArrayType t
              && (t.elementType().equals(DataTypes.FloatType)
                  || t.elementType().equals(DataTypes.DoubleType));
      if (floatArray
          || f.dataType().equals(DataTypes.FloatType)
          || f.dataType().equals(DataTypes.DoubleType)) {
        columns.add(f.name());
      }
    }
    long na = a.count();
    long nb = b.count();
    List<Row> joined = a.alias("a").join(b.alias("b"), "id").collectAsList();
    if (na != nb || joined.size() != na) {
      System.out.printf(
          Locale.ROOT, "rows differ: %d vs %d, %d ids in both%n", na, nb, joined.size());
      return 1;
    }
    int width = a.schema().size();
    int code = 0;
    for (String c : columns) {
      int ia = a.schema().fieldIndex(c);
      double worstAbs = 0;
      double worstCos = 1;
      for (Row r : joined) {
        // Joined row: id, then a's other columns, then b's other columns.
        int pa = position(a, ia);
        int pb = width - 1 + pa;
        if (r.isNullAt(pa) || r.isNullAt(pb)) {
          continue;
        }
        Object x = r.get(pa);
        Object y = r.get(pb);
        if (x instanceof scala.collection.Seq<?> sx) {
          List<?> lx = scala.collection.JavaConverters.seqAsJavaList(sx);
          List<?> ly = scala.collection.JavaConverters.seqAsJavaList((scala.collection.Seq<?>) y);
          double dot = 0;
          double nx = 0;
          double ny = 0;
          for (int i = 0; i < lx.size(); i++) {
            double u = ((Number) lx.get(i)).doubleValue();
            double v = ((Number) ly.get(i)).doubleValue();
            worstAbs = Math.max(worstAbs, Math.abs(u - v));
            dot += u * v;
            nx += u * u;
            ny += v * v;
          }
          if (nx > 0 && ny > 0) {
            worstCos = Math.min(worstCos, dot / Math.sqrt(nx * ny));
          }
        } else {
          worstAbs =
              Math.max(worstAbs, Math.abs(((Number) x).doubleValue() - ((Number) y).doubleValue()));
        }
      }
      boolean ok = worstAbs <= maxAbs && worstCos >= minCosine;
      System.out.printf(
          Locale.ROOT,
          "%s: %d rows, max |diff| %.3g (limit %.3g), min cosine %.6f (limit %.6f): %s%n",
          c,
          joined.size(),
          worstAbs,
          maxAbs,
          worstCos,
          minCosine,
          ok ? "ok" : "DIFFERENT");
      code = ok ? code : 1;
    }
    return code;
  }

  /**
   * Position of column {@code i} of {@code a} in the joined row (id first, then a's other columns).
   */
  private static int position(Dataset<Row> a, int i) {
    int id = a.schema().fieldIndex("id");
    return i < id ? i + 1 : i;
  }
}
