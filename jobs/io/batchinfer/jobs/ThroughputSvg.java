package io.batchinfer.jobs;

import io.batchinfer.udfs.PartitionStats;
import java.util.List;

/**
 * Driver only: the run report's throughput chart, rows/s per partition in the order run, as inline
 * SVG (no scripts, viewable offline). Stateless.
 */
final class ThroughputSvg {
  /** Most bars in the chart; more partitions are averaged in consecutive groups. */
  static final int MAX_BARS = 400;

  private ThroughputSvg() {}

  /**
   * @return an inline SVG bar chart of rows/s per partition, in the order run, with the median
   *     dashed
   */
  static String chart(List<PartitionStats> partitions, double median) {
    int n = partitions.size();
    int width = 900, height = 260, left = 70, bottom = 30, top = 10, right = 10;
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(width)
        .append("\" height=\"")
        .append(height)
        .append("\" viewBox=\"0 0 ")
        .append(width)
        .append(' ')
        .append(height)
        .append("\" role=\"img\" aria-label=\"rows per second per partition\">");
    if (n == 0) {
      s.append("<text x=\"")
          .append(left)
          .append("\" y=\"40\">no partitions were scored</text></svg>");
      return s.toString();
    }
    int bars = Math.min(n, MAX_BARS);
    double[] values = new double[bars];
    for (int b = 0; b < bars; b++) {
      int from = (int) ((long) b * n / bars), to = (int) ((long) (b + 1) * n / bars);
      double sum = 0;
      for (int i = from; i < to; i++) {
        sum += partitions.get(i).rowsPerSecond();
      }
      values[b] = sum / Math.max(1, to - from);
    }
    double max = 0;
    for (double v : values) {
      max = Math.max(max, v);
    }
    max = max <= 0 ? 1 : max * 1.05;
    double plotW = width - left - right, plotH = height - top - bottom;
    double barW = plotW / bars;
    s.append("<line x1=\"")
        .append(left)
        .append("\" y1=\"")
        .append(top)
        .append("\" x2=\"")
        .append(left)
        .append("\" y2=\"")
        .append(top + plotH)
        .append("\" stroke=\"#888\"/>");
    s.append("<line x1=\"")
        .append(left)
        .append("\" y1=\"")
        .append(ReportWriter.fmt(top + plotH))
        .append("\" x2=\"")
        .append(width - right)
        .append("\" y2=\"")
        .append(ReportWriter.fmt(top + plotH))
        .append("\" stroke=\"#888\"/>");
    for (int t = 0; t <= 4; t++) {
      double v = max * t / 4;
      double y = top + plotH - plotH * t / 4;
      s.append("<text x=\"")
          .append(left - 6)
          .append("\" y=\"")
          .append(ReportWriter.fmt(y + 4))
          .append("\" font-size=\"11\" text-anchor=\"end\">")
          .append(ReportWriter.num(v))
          .append("</text>");
    }
    for (int b = 0; b < bars; b++) {
      double h = plotH * values[b] / max;
      s.append("<rect x=\"")
          .append(ReportWriter.fmt(left + b * barW + barW * 0.1))
          .append("\" y=\"")
          .append(ReportWriter.fmt(top + plotH - h))
          .append("\" width=\"")
          .append(ReportWriter.fmt(Math.max(0.5, barW * 0.8)))
          .append("\" height=\"")
          .append(ReportWriter.fmt(h))
          .append("\" fill=\"#4c78a8\"><title>")
          .append(bars == n ? "partition " + b : "partitions group " + b)
          .append(": ")
          .append(ReportWriter.num(values[b]))
          .append(" rows/s</title></rect>");
    }
    if (median > 0) {
      double y = top + plotH - plotH * median / max;
      s.append("<line x1=\"")
          .append(left)
          .append("\" y1=\"")
          .append(ReportWriter.fmt(y))
          .append("\" x2=\"")
          .append(width - right)
          .append("\" y2=\"")
          .append(ReportWriter.fmt(y))
          .append("\" stroke=\"#e45756\" stroke-dasharray=\"5,4\"><title>median ")
          .append(ReportWriter.num(median))
          .append(" rows/s</title></line>");
    }
    s.append("<text x=\"")
        .append(ReportWriter.fmt(left + plotW / 2))
        .append("\" y=\"")
        .append(height - 8)
        .append("\" font-size=\"12\" text-anchor=\"middle\">")
        .append(n)
        .append(n == 1 ? " partition" : " partitions")
        .append(" in the order run")
        .append(bars == n ? "" : " (" + bars + " groups, averaged)")
        .append("; rows/s, median dashed</text>");
    return s.append("</svg>").toString();
  }
}
