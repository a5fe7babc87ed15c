package io.batchinfer.udfs.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node-local model cache: concurrent first use copies once, a copy is checked against the
 * planned sha256s, and nothing half-written gets the final name. (Two executor JVMs of one node
 * sharing the cache run in the standalone cluster test.)
 */
class LocalModelCacheTest {
  @TempDir Path source;
  @TempDir Path cache;

  @AfterEach
  void forget() {
    LocalModelCache.forget();
  }

  /** As the driver plans an unpinned model: every file's sha256, the manifest's as the key. */
  private ModelArtifact artifact() throws Exception {
    return artifact(true, null);
  }

  /**
   * @param hashed whether the driver hashed the files (unpinned) or not (pinned: empty sha256s)
   * @param pin the pin when not hashed
   */
  private ModelArtifact artifact(boolean hashed, String pin) throws Exception {
    List<ModelFiles.ModelFile> files = new ArrayList<>();
    for (String name : new String[] {"m.onnx", "data/w.bin"}) {
      Path f = source.resolve(name);
      files.add(
          new ModelFiles.ModelFile(
              name,
              f.toUri().toString(),
              Files.size(f),
              hashed ? sha256(Files.readAllBytes(f)) : ""));
    }
    ModelFiles modelFiles =
        new ModelFiles(files, cache.toString(), new ModelFiles.HadoopConf(new Configuration()));
    return new ModelArtifact(
        files.get(0).uri(), hashed ? modelFiles.sha256() : pin, new byte[0], modelFiles);
  }

  private void writeSources() throws Exception {
    Files.writeString(source.resolve("m.onnx"), "graph");
    Files.createDirectories(source.resolve("data"));
    Files.writeString(source.resolve("data/w.bin"), "weights");
  }

  @Test
  void concurrentFirstUseCopiesOnce() throws Exception {
    writeSources();
    ModelArtifact model = artifact();
    String key = model.sha256();
    long before = LocalModelCache.copies();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Path>> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      results.add(
          pool.submit(
              () -> {
                go.await();
                return LocalModelCache.materialize(model);
              }));
    }
    go.countDown();
    List<Path> paths = new ArrayList<>();
    for (Future<Path> f : results) {
      paths.add(f.get(30, TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertThat(paths).containsOnly(cache.resolve(key).resolve("m.onnx"));
    assertThat(LocalModelCache.copies() - before).isOne();
    assertThat(Files.readString(cache.resolve(key).resolve("data/w.bin"))).isEqualTo("weights");
    try (Stream<Path> s = Files.list(cache)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .as("no temporary copy left")
          .noneMatch(n -> n.startsWith(".copy-"));
    }

    // Another JVM of the node (simulated: this JVM's memory of the copy is dropped) finds the
    // folder.
    LocalModelCache.forget();
    assertThat(LocalModelCache.materialize(model)).isEqualTo(paths.get(0));
    assertThat(LocalModelCache.copies() - before).isOne();
  }

  @Test
  void aFileChangedAfterPlanningFailsTheCopyAndLeavesNoFolder() throws Exception {
    writeSources();
    ModelArtifact model = artifact();
    Files.writeString(source.resolve("data/w.bin"), "tampered");
    assertThatThrownBy(() -> LocalModelCache.materialize(model))
        .isInstanceOf(LocalModelCache.ModelChangedException.class)
        .hasMessageContaining("model.sha256: ")
        .hasMessageContaining("w.bin changed after the job was planned")
        .hasMessageContaining(
            "planned 7 bytes with sha256 " + sha256("weights".getBytes(StandardCharsets.UTF_8)));
    assertThat(cache.resolve(model.sha256())).doesNotExist();
    try (Stream<Path> s = Files.list(cache)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".copy-"));
    }
  }

  /** A pinned model: the driver read no weights; the copy is checked against the pin. */
  @Test
  void aPinnedModelIsCheckedAgainstThePinWhenCopied() throws Exception {
    writeSources();
    String manifest =
        sha256("graph".getBytes(StandardCharsets.UTF_8))
            + "  m.onnx\n"
            + sha256("weights".getBytes(StandardCharsets.UTF_8))
            + "  data/w.bin\n";
    String pin = sha256(manifest.getBytes(StandardCharsets.UTF_8));
    assertThat(LocalModelCache.materialize(artifact(false, pin)))
        .isEqualTo(cache.resolve(pin).resolve("m.onnx"));

    String wrong = "c".repeat(64);
    assertThatThrownBy(() -> LocalModelCache.materialize(artifact(false, wrong)))
        .isInstanceOf(LocalModelCache.ModelChangedException.class)
        .hasMessageContaining("model.sha256: ")
        .hasMessageContaining("with its 1 external-data file(s) has sha256 " + pin)
        .hasMessageContaining("but the config pins " + wrong)
        .hasMessageContaining(manifest.strip());
    assertThat(cache.resolve(wrong)).doesNotExist();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
