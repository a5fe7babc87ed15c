package io.batchinfer.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * The benchmark's results: per workload the median rows/s of each mode and the ratios to the
 * limits, printed as a table, written as JSON and drawn as a PNG bar chart (JFreeChart). The chart
 * shows each mode's rate divided by the workload's combined limit 1/(1/raw + 1/io) on a log axis,
 * so workloads of very different speeds share one axis and small ratios stay readable. Benchmark
 * code only.
 */
public final class Report {
  /** One workload's outcome. */
  public record Workload(
      String name,
      String description,
      long rows,
      int batchSize,
      Map<String, double[]> samples,
      Map<String, String> notes) {
    double rate(String mode) {
      double[] s = samples.get(mode);
      return s == null ? Double.NaN : Trial.median(s);
    }

    double combined() {
      return 1 / (1 / rate("raw") + 1 / rate("io"));
    }
  }

  private final Map<String, Object> machine = new LinkedHashMap<>();
  private final List<Workload> workloads = new ArrayList<>();
  private final Map<String, Object> extra = new LinkedHashMap<>();

  public Report machine(String key, Object value) {
    machine.put(key, value);
    return this;
  }

  public void add(Workload w) {
    workloads.add(w);
    System.out.println(table(w));
  }

  /** Adds a free-form section (e.g. the fixed-cost measurements) to the JSON. */
  public void extra(String key, Object value) {
    extra.put(key, value);
  }

  static String table(Workload w) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "%n%s: %s (%d rows, batch %d)%n",
            w.name(),
            w.description(),
            w.rows(),
            w.batchSize()));
    b.append(
        String.format(
            Locale.ROOT,
            "  %-24s %12s %8s %8s %10s%n",
            "mode",
            "rows/s",
            "/raw",
            "/io",
            "/combined"));
    double raw = w.rate("raw");
    double io = w.rate("io");
    double combined = w.combined();
    for (String mode : w.samples().keySet()) {
      double r = w.rate(mode);
      b.append(
          String.format(
              Locale.ROOT,
              "  %-24s %12.0f %8.2f %8.2f %10.2f%n",
              mode,
              r,
              r / raw,
              r / io,
              r / combined));
    }
    b.append(String.format(Locale.ROOT, "  %-24s %12.0f%n", "combined limit", combined));
    w.notes().forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
    return b.toString();
  }

  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.set("machine", json.valueToTree(machine));
    ArrayNode list = root.putArray("workloads");
    for (Workload w : workloads) {
      ObjectNode o = list.addObject();
      o.put("name", w.name())
          .put("description", w.description())
          .put("rows", w.rows())
          .put("batch_size", w.batchSize());
      ObjectNode modes = o.putObject("modes");
      for (Map.Entry<String, double[]> e : w.samples().entrySet()) {
        ObjectNode m = modes.putObject(e.getKey());
        m.put("rows_per_s", Math.round(w.rate(e.getKey())));
        ArrayNode s = m.putArray("samples_rows_per_s");
        for (double v : e.getValue()) {
          s.add(Math.round(v));
        }
        putRatio(m, "ratio_to_raw", w.rate(e.getKey()) / w.rate("raw"));
        putRatio(m, "ratio_to_io", w.rate(e.getKey()) / w.rate("io"));
        putRatio(m, "ratio_to_combined", w.rate(e.getKey()) / w.combined());
      }
      putRatio(o, "combined_limit_rows_per_s", w.combined());
      o.set("notes", json.valueToTree(w.notes()));
    }
    root.set("extra", json.valueToTree(extra));
    json.writeValue(dir.resolve("benchmark.json").toFile(), root);
    Files.writeString(dir.resolve("benchmark.md"), markdown());
    chart(dir.resolve("benchmark.png"));
  }

  /**
   * @return the tables as Markdown, as pasted into docs/PERFORMANCE.md
   */
  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("Machine: ").append(machine).append("\n\n");
    for (Workload w : workloads) {
      b.append(
          String.format(
              Locale.ROOT,
              "**%s**: %s (%,d rows, batch %d)%n%n",
              w.name(),
              w.description(),
              w.rows(),
              w.batchSize()));
      b.append(
          "| mode | rows/s (median) | / raw | / io | / combined limit |\n|---|---:|---:|---:|---:|\n");
      for (String mode : w.samples().keySet()) {
        double r = w.rate(mode);
        b.append(
            String.format(
                Locale.ROOT,
                "| %s | %,.0f | %s | %s | %s |%n",
                mode,
                r,
                ratio(r / w.rate("raw")),
                ratio(r / w.rate("io")),
                ratio(r / w.combined())));
      }
      if (!Double.isNaN(w.combined())) {
        b.append(String.format(Locale.ROOT, "| *combined limit* | %,.0f | | | |%n", w.combined()));
      }
      b.append('\n');
      w.notes().forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
      b.append('\n');
    }
    return b.toString();
  }

  private static String ratio(double v) {
    return Double.isNaN(v)
        ? ""
        : v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  /** NaN (a limit not measured for this workload) becomes JSON null. */
  private static void putRatio(ObjectNode o, String key, double v) {
    if (Double.isNaN(v)) {
      o.putNull(key);
    } else {
      o.put(key, v > 1000 ? Math.round(v) : Math.round(v * 1000) / 1000.0);
    }
  }

  /** The modes drawn in the chart, in this order, when a workload has them. */
  private static final List<String> CHART_MODES =
      List.of("raw", "io", "engine", "job", "synapseml", "empty-spark-app");

  /**
   * Draws each workload's modes as bars of rows/s divided by the workload's combined limit, on a
   * logarithmic axis (the ratios span 0.01 to 100: on a linear axis the small ones vanish), with a
   * line at 1 (the combined limit). Workloads without both limits are left out.
   */
  private void chart(Path png) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    double smallest = 1;
    double largest = 1;
    for (Workload w : workloads) {
      if (Double.isNaN(w.combined())) {
        continue;
      }
      for (String mode : CHART_MODES) {
        if (w.samples().containsKey(mode)) {
          double v = w.rate(mode) / w.combined();
          data.addValue(v, mode, w.name());
          smallest = Math.min(smallest, v);
          largest = Math.max(largest, v);
        }
      }
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "batchinfer: throughput / combined limit 1/(1/raw + 1/io), log scale",
            null,
            "rows/s divided by the combined limit",
            data,
            PlotOrientation.HORIZONTAL,
            true,
            false,
            false);
    chart.setBackgroundPaint(Color.WHITE);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.GRAY);
    LogAxis axis = new LogAxis("rows/s divided by the combined limit (log scale)");
    axis.setBase(10);
    axis.setNumberFormatOverride(new DecimalFormat("0.###"));
    double lower = Math.pow(10, Math.floor(Math.log10(smallest / 1.5)));
    double upper = Math.pow(10, Math.ceil(Math.log10(largest * 1.5)));
    axis.setRange(lower, upper);
    axis.setTickUnit(new NumberTickUnit(1));
    plot.setRangeAxis(axis);
    ValueMarker limit = new ValueMarker(1.0, Color.BLACK, new BasicStroke(1.5f));
    limit.setLabel("combined limit");
    limit.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
    limit.setLabelTextAnchor(TextAnchor.TOP_LEFT);
    plot.addRangeMarker(limit);
    BarRenderer bars = (BarRenderer) plot.getRenderer();
    // Bars start at the axis' lower end: a log axis has no 0.
    bars.setBase(lower);
    bars.setShadowVisible(false);
    bars.setDrawBarOutline(false);
    bars.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
    bars.setDefaultItemLabelGenerator(
        new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("0.00")));
    bars.setDefaultItemLabelsVisible(true);
    bars.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
    Color[] colors = {
      new Color(0x9e9e9e),
      new Color(0x4e79a7),
      new Color(0xf28e2b),
      new Color(0x59a14f),
      new Color(0xe15759),
      new Color(0xbab0ac)
    };
    for (int i = 0; i < colors.length; i++) {
      bars.setSeriesPaint(i, colors[i]);
    }
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 160 + 110 * Math.max(1, workloads.size()));
  }
}
