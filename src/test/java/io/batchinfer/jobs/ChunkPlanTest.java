package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.jobs.ChunkPlan.Chunk;
import io.batchinfer.jobs.ChunkPlan.InputFile;
import io.batchinfer.udfs.model.Sha256;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The chunk plan of a resumable run, without Spark or a file system. */
class ChunkPlanTest {

  private static List<InputFile> files(int n) {
    List<InputFile> files = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      files.add(
          new InputFile(
              String.format("file:/data/in/part-%05d.parquet", i),
              1000 + i,
              1_700_000_000_000L + i));
    }
    return files;
  }

  @Test
  void cutsSortedFilesIntoGroupsWithAShorterLastOne() {
    List<InputFile> files = files(7);
    List<InputFile> shuffled = new ArrayList<>(files);
    Collections.shuffle(shuffled, new Random(42));
    ChunkPlan plan = ChunkPlan.of(shuffled, 3);
    assertThat(plan.chunks()).extracting(c -> c.files().size()).containsExactly(3, 3, 1);
    assertThat(plan.chunks()).extracting(Chunk::index).containsExactly(0, 1, 2);
    List<InputFile> inOrder = new ArrayList<>();
    plan.chunks().forEach(c -> inOrder.addAll(c.files()));
    assertThat(inOrder).isEqualTo(files);
  }

  @Test
  void sameFilesGiveSameIdsInAnyOrder() {
    List<InputFile> reversed = new ArrayList<>(files(10));
    Collections.reverse(reversed);
    assertThat(ChunkPlan.of(reversed, 4).ids()).isEqualTo(ChunkPlan.of(files(10), 4).ids());
    assertThat(ChunkPlan.of(files(10), 4).ids())
        .doesNotHaveDuplicates()
        .allMatch(id -> id.matches("[0-9a-f]{16}"));
  }

  @Test
  void changedSizeOrModificationTimeChangesOnlyThatChunksId() {
    List<String> before = ChunkPlan.of(files(9), 3).ids();
    List<InputFile> resized = files(9);
    InputFile f = resized.get(4);
    resized.set(4, new InputFile(f.path(), f.length() + 1, f.modified()));
    List<String> afterResize = ChunkPlan.of(resized, 3).ids();
    assertThat(afterResize.get(0)).isEqualTo(before.get(0));
    assertThat(afterResize.get(1)).isNotEqualTo(before.get(1));
    assertThat(afterResize.get(2)).isEqualTo(before.get(2));
    List<InputFile> touched = files(9);
    f = touched.get(8);
    touched.set(8, new InputFile(f.path(), f.length(), f.modified() + 1));
    assertThat(ChunkPlan.of(touched, 3).ids().get(2)).isNotEqualTo(before.get(2));
  }

  @Test
  void idIsTheSha256PrefixOfPathSizeAndTime() {
    InputFile f = new InputFile("file:/x/a.parquet", 12, 34);
    // Independently: sha256sum of the text "file:/x/a.parquet\t12\t34\n".
    assertThat(ChunkPlan.chunkId(List.of(f)))
        .isEqualTo(Sha256.hex("file:/x/a.parquet\t12\t34\n").substring(0, 16));
    assertThat(Sha256.hex(""))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void duplicateFilesAreKeptOnce() {
    List<InputFile> twice = new ArrayList<>(files(3));
    twice.addAll(files(3));
    assertThat(ChunkPlan.of(twice, 2).chunks())
        .extracting(c -> c.files().size())
        .containsExactly(2, 1);
  }

  @Test
  void emptyInputHasNoChunksAndZeroFilesPerChunkIsABug() {
    assertThat(ChunkPlan.of(List.of(), 5).chunks()).isEmpty();
    assertThatThrownBy(() -> ChunkPlan.of(files(2), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void canonicalFormMatchesSparkFilePathMetadata() {
    assertThat(ChunkPlan.canonical("file:///data/in/a.parquet"))
        .isEqualTo("file:/data/in/a.parquet");
    assertThat(ChunkPlan.canonical("file:/data/in/a.parquet")).isEqualTo("file:/data/in/a.parquet");
    assertThat(ChunkPlan.canonical("hdfs://nn:8020/data/a%20b.parquet"))
        .isEqualTo("hdfs://nn:8020/data/a%20b.parquet");
    assertThat(ChunkPlan.canonical("s3a://bucket/k/a.parquet"))
        .isEqualTo("s3a://bucket/k/a.parquet");
    assertThat(ChunkPlan.canonical("relative/a.parquet")).isEqualTo("relative/a.parquet");
  }
}
