package io.batchinfer.udfs;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How many rows were rejected for one reason: the problem code ({@code nan_value}, {@code
 * inference_error}, ...), the column, and the first such rejection as an example. Recorded once per
 * task and reason on the executor, merged on the driver by {@link InferenceMetrics#rejections()} so
 * logs, messages and the run report say why rows were rejected without one line per row. Immutable.
 *
 * @param code the {@code _error_code}
 * @param column the column (with element path, e.g. {@code features[1]}); empty for inference
 *     errors
 * @param example the first rejection's position and message, e.g. {@code partition 0, row 5 (id=5):
 *     NaN ...}
 * @param count rows rejected for this reason
 */
public record RejectionSummary(String code, String column, String example, long count)
    implements Serializable {

  /**
   * @return e.g. {@code 19,745 rows nan_value in features[1] (first: partition 0, row 5 (id=5): NaN
   *     ...)}
   */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "%,d row%s %s%s (first: %s)",
        count,
        count == 1 ? "" : "s",
        code,
        column.isEmpty() ? "" : " in " + column,
        example);
  }

  /**
   * Merges per-task records by code and column, keeping the first example seen, most frequent
   * first.
   *
   * @param records per-task records, in any order
   * @return one record per (code, column)
   */
  public static List<RejectionSummary> merge(List<RejectionSummary> records) {
    Map<String, RejectionSummary> byKey = new LinkedHashMap<>();
    for (RejectionSummary r : records) {
      byKey.merge(
          r.code() + '\u0000' + r.column(),
          r,
          (a, b) -> new RejectionSummary(a.code(), a.column(), a.example(), a.count() + b.count()));
    }
    List<RejectionSummary> merged = new ArrayList<>(byKey.values());
    merged.sort(
        Comparator.comparingLong(RejectionSummary::count)
            .reversed()
            .thenComparing(RejectionSummary::code)
            .thenComparing(RejectionSummary::column));
    return merged;
  }
}
