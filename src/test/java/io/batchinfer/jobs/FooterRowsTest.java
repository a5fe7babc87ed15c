package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.irisConfig;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static io.batchinfer.jobs.JobTestSupport.writeIrisLike;
import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The footer check also sums the files' row counts, so the progress line's total needs no count of
 * the input: the sum equals the rows written (readable files only), corrupt files are still named.
 */
class FooterRowsTest extends SparkTestBase {
  @TempDir Path tmp;

  @Test
  void footerCheckSumsRowsOfReadableFilesAndNamesCorruptOnes() throws Exception {
    Path input = writeIrisLike(spark, tmp, 137, 3, 5);
    Path junk = Files.writeString(input.resolve("part-99999-junk.parquet"), "not parquet at all");
    String[] files =
        spark.read().option("ignoreCorruptFiles", "true").parquet(input.toString()).inputFiles();

    ParquetFooterCheck.Footers footers = ParquetFooterCheck.check(spark, files);

    assertThat(footers.rows()).isEqualTo(137);
    assertThat(footers.corrupt())
        .extracting(ParquetFooterCheck.Corrupt::file)
        .singleElement()
        .asString()
        .endsWith(junk.getFileName().toString());
  }

  @Test
  void progressTotalComesFromTheFootersAndSkipsIgnoredCorruptFiles() throws Exception {
    Path input = writeIrisLike(spark, tmp, 90, 2, 7);
    Files.writeString(input.resolve("part-99999-junk.parquet"), "not parquet at all");
    Path conf = writeConfig(tmp, irisConfig(input, tmp.resolve("out")));
    JobTestSupport.Run run =
        cli("--config", conf.toString(), "--set", "input.ignore_corrupt_files=true", "--progress");
    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.err()).contains("batchinfer: 90 of 90 rows (100%)");
    assertThat(spark.read().parquet(tmp.resolve("out").toString()).count()).isEqualTo(90);
  }
}
