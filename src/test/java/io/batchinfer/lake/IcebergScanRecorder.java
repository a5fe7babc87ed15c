package io.batchinfer.lake;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.iceberg.metrics.MetricsReport;
import org.apache.iceberg.metrics.MetricsReporter;
import org.apache.iceberg.metrics.ScanReport;

/**
 * An Iceberg metrics reporter (catalog property {@code metrics-reporter-impl}) that keeps every
 * scan report: Iceberg itself states which columns a scan projected and which filter it pushed into
 * the table scan, so a test can check pruning and push-down without parsing plans.
 */
public final class IcebergScanRecorder implements MetricsReporter {
  static final List<ScanReport> SCANS = new CopyOnWriteArrayList<>();

  @Override
  public void report(MetricsReport report) {
    if (report instanceof ScanReport scan) {
      SCANS.add(scan);
    }
  }
}
