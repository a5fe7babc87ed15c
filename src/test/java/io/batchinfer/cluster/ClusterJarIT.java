package io.batchinfer.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.batchinfer.testing.Projects;
import io.batchinfer.udfs.text.TextTokenizer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code target/batchinfer-cluster.jar}, the application jar for clusters: what it carries, what it
 * leaves to Spark, and that its natives work next to a Spark distribution's jars only.
 */
@Tag("slow")
class ClusterJarIT {
  private static final Path ROOT = Projects.root();
  private static final Path JAR = Projects.clusterJar();

  @Test
  void carriesTheProjectAndItsNonSparkDependenciesRelocatedWhereTheyClash() throws Exception {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      List<String> names = jar.stream().map(ZipEntry::getName).toList();
      assertThat(names)
          .contains(
              "io/batchinfer/jobs/BatchInferenceJob.class",
              "io/batchinfer/udfs/exec/InferenceFunction.class",
              // ONNX Runtime and DJL keep their packages: their JNI code binds to these names.
              "ai/onnxruntime/OrtSession.class",
              "ai/onnxruntime/native/linux-x64/libonnxruntime.so",
              "ai/onnxruntime/native/linux-x64/libonnxruntime4j_jni.so",
              "ai/djl/huggingface/tokenizers/HuggingFaceTokenizer.class",
              "native/lib/linux-x86_64/cpu/libtokenizers.so",
              "com/sun/jna/Native.class",
              "com/twelvemonkeys/imageio/plugins/jpeg/JPEGImageReaderSpi.class",
              "com/twelvemonkeys/imageio/plugins/webp/WebPImageReaderSpi.class",
              "com/twelvemonkeys/imageio/metadata/tiff/TIFFReader.class",
              "io/batchinfer/shaded/picocli/CommandLine.class",
              "io/batchinfer/shaded/org/yaml/snakeyaml/Yaml.class",
              "io/batchinfer/shaded/com/fasterxml/jackson/dataformat/yaml/YAMLFactory.class",
              "io/batchinfer/shaded/com/google/gson/Gson.class");
      assertThat(names)
          .as("left to Spark, or relocated")
          .noneMatch(
              n ->
                  n.startsWith("org/apache/spark/")
                      || n.startsWith("org/apache/hadoop/")
                      || n.startsWith("scala/")
                      || n.startsWith("org/slf4j/")
                      || n.startsWith("com/fasterxml/jackson/")
                      || n.startsWith("picocli/")
                      || n.startsWith("org/yaml/")
                      || n.startsWith("com/google/gson/")
                      || n.endsWith("module-info.class")
                      || n.contains(".dSYM/"));
      Manifest manifest = jar.getManifest();
      assertThat(manifest.getMainAttributes().getValue("Main-Class"))
          .isEqualTo("io.batchinfer.jobs.BatchInferenceJob");
      assertThat(manifest.getMainAttributes().getValue("Implementation-Version")).isNotBlank();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void nativesLoadFromTheJarNextToSparkJarsOnly(@TempDir Path tmp) throws Exception {
    // ClusterJarSmoke alone (not the test classpath) + Spark's jars + the cluster jar.
    Path smoke = tmp.resolve("smoke/io/batchinfer/cluster/ClusterJarSmoke.class");
    Files.createDirectories(smoke.getParent());
    try (InputStream in = ClusterJarSmoke.class.getResourceAsStream("ClusterJarSmoke.class")) {
      Files.copy(in, smoke);
    }
    Path tokenizer = ROOT.resolve("models/all-minilm-l6-v2/all-minilm-l6-v2-tokenizer.json");
    String classpath =
        tmp.resolve("smoke") + ":" + Projects.buildDir().resolve("spark-home/jars") + "/*:" + JAR;
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                ClusterJarSmoke.class.getName(),
                Projects.irisModel().toString(),
                tokenizer.toString())
            .redirectErrorStream(true);
    pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
    Process p = pb.start();
    String out;
    try {
      assertThat(p.waitFor(50, TimeUnit.SECONDS)).isTrue();
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("onnxruntime: session created=true provider=CPU");
    try (TextTokenizer expected = TextTokenizer.fromFile(tokenizer, 32)) {
      long[] ids = expected.encode(new String[] {"The quick brown fox."}, 1).inputIds();
      assertThat(out).contains("tokenizer: ids=" + Arrays.toString(ids));
    }
  }
}
