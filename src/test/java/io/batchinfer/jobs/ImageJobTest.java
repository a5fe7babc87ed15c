package io.batchinfer.jobs;

import static io.batchinfer.jobs.JobTestSupport.cli;
import static io.batchinfer.jobs.JobTestSupport.writeConfig;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.ImageInput;
import io.batchinfer.udfs.InputMapping;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.image.ImagePreprocessing;
import io.batchinfer.udfs.image.Interpolation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image inputs through the job and the Java API, with real Spark (binaryFile source and Parquet
 * binary columns), real ONNX Runtime and the committed digits CNN. The reference is ONNX Runtime
 * called directly, one image at a time, on the tensor the image package makes from the file's bytes
 * (that preprocessing itself is checked against Pillow + NumPy by {@code ImagePreprocessingTest}).
 * The input mixes 40 digit PNGs, the fixture photos (EXIF-rotated JPEG, RGBA, greyscale and palette
 * PNGs, in subfolders) and two files that are no image.
 */
class ImageJobTest extends SparkTestBase {
  private static final Path FIXTURES = Projects.root().resolve("src/test/resources/images");
  private static final Path MODEL = Projects.root().resolve("models/digits-cnn/digits-cnn.onnx");
  private static final List<String> CORRUPT = List.of("not-an-image.jpg", "truncated.png");

  /** The digits model's preprocessing, as the configs below spell it. */
  private static final ImagePreprocessing DIGITS =
      new ImagePreprocessing(
          true,
          false,
          ImagePreprocessing.Resize.EXACT,
          16,
          16,
          Interpolation.BILINEAR,
          0,
          0,
          0,
          16,
          16,
          true,
          false,
          (float) (1.0 / 255.0),
          new float[] {0.5f},
          new float[] {0.5f});

  private static final String IMAGE_BLOCK =
      """
      inputs:
        image:
          image: {column: %s, mode: grayscale, resize: [16, 16], mean: 0.5, std: 0.5}
      outputs:
        logits: {column: logits, argmax: digit}
      """;

  @TempDir static Path shared;
  private static Path images;
  private static Path parquet;
  private static final Map<String, float[]> expectedByName = new HashMap<>();
  private static OrtSession oracle;
  @TempDir Path tmp;

  @BeforeAll
  static void data() throws Exception {
    images = shared.resolve("images");
    Path photos = images.resolve("photos");
    Files.createDirectories(photos);
    try (Stream<Path> digits = Files.walk(Projects.root().resolve("data/digits/images"))) {
      List<Path> files = digits.filter(p -> p.toString().endsWith(".png")).sorted().toList();
      for (int i = 0; i < files.size(); i += files.size() / 40) {
        Files.copy(files.get(i), images.resolve(files.get(i).getFileName()));
      }
    }
    for (String f :
        List.of(
            "astronaut-exif6.jpg",
            "coffee-alpha.png",
            "chelsea-gray.png",
            "chelsea-palette.png",
            "not-an-image.jpg",
            "truncated.png")) {
      Files.copy(FIXTURES.resolve(f), photos.resolve(f));
    }
    oracle =
        OrtEnvironment.getEnvironment()
            .createSession(Files.readAllBytes(MODEL), new OrtSession.SessionOptions());
    List<Row> rows = new ArrayList<>();
    try (Stream<Path> all = Files.walk(images)) {
      for (Path p : all.filter(Files::isRegularFile).sorted().toList()) {
        byte[] bytes = Files.readAllBytes(p);
        String name = p.getFileName().toString();
        rows.add(RowFactory.create(name, bytes));
        if (!CORRUPT.contains(name)) {
          expectedByName.put(name, direct(bytes));
        }
      }
    }
    rows.add(RowFactory.create("null-image", null));
    parquet = shared.resolve("images.parquet");
    spark
        .createDataFrame(
            rows,
            new StructType()
                .add("name", DataTypes.StringType, false)
                .add("img", DataTypes.BinaryType, true))
        .repartition(3)
        .write()
        .parquet(parquet.toString());
  }

  @AfterAll
  static void closeOracle() throws Exception {
    if (oracle != null) {
      oracle.close();
    }
  }

  /** ONNX Runtime on one image, preprocessed by the image package alone. */
  private static float[] direct(byte[] image) throws Exception {
    ByteBuffer buf = ByteBuffer.allocateDirect(DIGITS.rowBytes()).order(ByteOrder.nativeOrder());
    DIGITS.write(DIGITS.apply(image), buf);
    buf.flip();
    try (OnnxTensor t =
            OnnxTensor.createTensor(
                OrtEnvironment.getEnvironment(), buf.asFloatBuffer(), new long[] {1, 1, 16, 16});
        OrtSession.Result r = oracle.run(Map.of("image", t))) {
      return ((float[][]) r.get(0).getValue())[0];
    }
  }

  private static String binaryFileConfig(Path output, String errors) {
    return """
        job: {name: images-test}
        input: {path: "%s", format: binaryFile, recursive: true}
        model: {path: "%s", batch_size: 7}
        """
            .formatted(images, MODEL)
        + IMAGE_BLOCK.formatted("content")
        + """
        passthrough: [path]
        output: {path: "%s", mode: error}
        %s
        """
            .formatted(output, errors);
  }

  private static void assertMatchesDirect(List<Row> rows, String nameColumn) {
    assertThat(rows).hasSize(expectedByName.size());
    for (Row r : rows) {
      String name = r.<String>getAs(nameColumn);
      name = name.substring(name.lastIndexOf('/') + 1);
      float[] expected = expectedByName.get(name);
      assertThat(expected).as(name).isNotNull();
      List<Float> logits = r.getList(r.fieldIndex("logits"));
      assertThat(logits).hasSize(10);
      int argmax = 0;
      for (int k = 0; k < 10; k++) {
        // Batched (7 rows) vs one row: the same convolution kernels, float32 rounding at most.
        assertThat(logits.get(k)).as(name + " logit " + k).isCloseTo(expected[k], within(1e-4f));
        argmax = expected[k] > expected[argmax] ? k : argmax;
      }
      assertThat(r.<Integer>getAs("digit")).as(name).isEqualTo(argmax);
    }
  }

  private static org.assertj.core.data.Offset<Float> within(float f) {
    return org.assertj.core.data.Offset.offset(f);
  }

  @Test
  void scoresImageFilesAndSkipsOnesThatDoNotDecode() throws Exception {
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli(
            "--config",
            writeConfig(tmp, binaryFileConfig(output, "errors: {policy: skip}")).toString(),
            "--set",
            "input.file_pattern=*.*");
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out())
        .contains("rows_in=" + (expectedByName.size() + 2))
        .contains("rows_out=" + expectedByName.size())
        .contains("rows_rejected=2");
    assertMatchesDirect(spark.read().parquet(output.toString()).collectAsList(), "path");
  }

  @Test
  void deadLettersFilesThatDoNotDecode() throws Exception {
    Path output = tmp.resolve("out");
    Path dead = tmp.resolve("dead");
    JobTestSupport.Run run =
        cli(
            "--config",
            writeConfig(
                    tmp,
                    binaryFileConfig(
                        output,
                        "errors: {policy: dead-letter, dead_letter_path: \"" + dead + "\"}"))
                .toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out()).contains("rows_rejected=2");
    assertMatchesDirect(spark.read().parquet(output.toString()).collectAsList(), "path");
    List<Row> rejected = spark.read().parquet(dead.toString()).orderBy("path").collectAsList();
    assertThat(rejected).hasSize(2);
    assertThat(rejected.get(0).<String>getAs("path")).endsWith("/not-an-image.jpg");
    assertThat(rejected.get(1).<String>getAs("path")).endsWith("/truncated.png");
    for (Row r : rejected) {
      assertThat(r.<String>getAs("_error_code")).isEqualTo("decode_error");
      assertThat(r.<String>getAs("_error_column")).isEqualTo("content");
      // The original bytes are kept, so the file can be inspected or re-sent.
      assertThat((byte[]) r.getAs("content")).isNotEmpty();
    }
    assertThat(rejected.get(0).<String>getAs("_error_message"))
        .contains("not an image in a known format");
    assertThat(rejected.get(1).<String>getAs("_error_message"))
        .contains("cannot decode the image (60 bytes)");
  }

  @Test
  void failPolicyNamesTheFileThatDoesNotDecode() throws Exception {
    Path output = tmp.resolve("out");
    JobTestSupport.Run run =
        cli(
            "--config",
            writeConfig(tmp, binaryFileConfig(output, "errors: {policy: fail}")).toString());
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("content").containsAnyOf("not an image", "cannot decode");
  }

  @Test
  void scoresAParquetBinaryColumn() throws Exception {
    Path output = tmp.resolve("out");
    String yaml =
        """
        job: {name: images-parquet}
        input: {path: "%s"}
        model: {path: "%s", batch_size: 5}
        """
                .formatted(parquet, MODEL)
            + IMAGE_BLOCK.formatted("img")
            + """
            passthrough: [name]
            output: {path: "%s", mode: error}
            errors: {policy: skip, max_rejected_fraction: 0.2}
            """
                .formatted(output);
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    // Two files that are no image and one null value.
    assertThat(run.out()).contains("rows_rejected=3");
    assertMatchesDirect(spark.read().parquet(output.toString()).collectAsList(), "name");
  }

  @Test
  void javaApiScoresTheSameAsTheJob() {
    Dataset<Row> df = spark.read().parquet(parquet.toString());
    Dataset<Row> scored =
        BatchInference.builder()
            .modelPath(MODEL.toString(), null)
            .input(
                "image",
                InputMapping.image(
                    ImageInput.of("img")
                        .withMode("grayscale")
                        .withResize(16, 16)
                        .withNormalization(1 / 255.0, new double[] {0.5}, new double[] {0.5})))
            .output("logits", OutputMapping.toColumn("logits").withArgmax("digit"))
            .passthrough(List.of("name"))
            .errorPolicy(ErrorPolicy.SKIP)
            .batchSize(4)
            .plan(spark, df.schema())
            .apply(df)
            .scored();
    assertMatchesDirect(scored.collectAsList(), "name");
  }

  @Test
  void reportsImageMappingMistakesNamingTheKey() throws Exception {
    String yaml =
        """
        job: {name: images-bad}
        input: {path: "%s", format: binaryFile, recursive: true}
        model: {path: "%s"}
        inputs:
          image:
            image: {column: path, mode: rgb, resize: [20, 20], interpolation: cubic, mean: [0.5, 0.5]}
        outputs:
          logits: {column: logits}
        output: {path: "%s"}
        """
            .formatted(images, MODEL, tmp.resolve("out"));
    JobTestSupport.Run run = cli("--config", writeConfig(tmp, yaml).toString(), "--dry-run");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "inputs.image.image.column: column 'path' is string; image inputs need a binary column")
        .contains(
            "inputs.image.image: model input 'image' expects [batch, 1, 16, 16] float32, so 1 channel in"
                + " NCHW, but mode rgb gives 3. Set mode: grayscale.");

    String sizes =
        yaml.replace("column: path, mode: rgb", "column: content, mode: grayscale")
            .replace("interpolation: cubic, mean: [0.5, 0.5]", "interpolation: bicubic");
    run = cli("--config", writeConfig(tmp, sizes).toString(), "--dry-run");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "inputs.image.image: the preprocessing gives 20 x 20 (height x width) but model input"
                + " 'image' expects [batch, 1, 16, 16] float32, i.e. 16 x 16. Set resize to [16, 16].");

    String filter =
        sizes.replace("resize: [20, 20], interpolation: bicubic", "interpolation: cubic");
    run = cli("--config", writeConfig(tmp, filter).toString(), "--dry-run");
    assertThat(run.err())
        .contains(
            "inputs.image.image.interpolation: unknown filter 'cubic'; expected one of [box,"
                + " bilinear, hamming, bicubic, lanczos].");

    String shorter = sizes.replace("resize: [20, 20]", "resize: 16");
    run = cli("--config", writeConfig(tmp, shorter).toString(), "--dry-run");
    assertThat(run.err())
        .contains("inputs.image.image: images of different sizes cannot make one tensor")
        .contains("set crop (e.g. crop: 16)");
  }

  /**
   * The committed example: 300 held-out digit images through binaryFile, and the evaluate line. 296
   * of 300 is what the training script measured with PyTorch on the same files preprocessed by
   * Pillow (models/digits-cnn/README.md), so Java's decoding, resizing and scoring agree with it.
   */
  @Test
  void exampleConfigPrintsTheAccuracyOfTheHeldOutImages() {
    JobTestSupport.Run run =
        cli(
            "--config",
            Projects.root().resolve("conf/examples/digits-images.yaml").toString(),
            "--set",
            "output.path=" + tmp.resolve("digits"));
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    assertThat(run.out())
        .contains("rows_in=300 rows_out=300 rows_rejected=0")
        .contains(
            "batchinfer: evaluate accuracy=0.9867 correct=296 compared=300 (predicted_digit ="
                + " label)");
  }

  @Test
  void evaluateNamesAColumnTheOutputLacks() {
    JobTestSupport.Run run =
        cli(
            "--config",
            Projects.root().resolve("conf/examples/digits-images.yaml").toString(),
            "--set",
            "output.path=" + tmp.resolve("digits"),
            "--set",
            "evaluate.prediction_column=predicted",
            "--dry-run");
    assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID);
    assertThat(run.err())
        .contains(
            "evaluate.prediction_column: column 'predicted' is not in the output; output columns:"
                + " [path, label, probabilities, digit, predicted_digit].");
  }

  /**
   * Through the job, against Pillow + NumPy directly: an identity model returns the tensor the job
   * fed it, compared with the fixture tensors {@code src/test/python/image_fixtures.py} wrote. A
   * uint8 NHWC palette PNG must match exactly; the EXIF-rotated JPEG (shorter side 24, crop 20,
   * ImageNet mean/std, NCHW float32) within the JPEG tolerance of {@code ImagePreprocessingTest}.
   */
  @Test
  void identityModelReturnsWhatPillowComputes() throws Exception {
    Path uint8Model =
        io.batchinfer.testing.TestModels.write(
            io.batchinfer.testing.TestModels.identity(
                "pixels", "out", io.batchinfer.testing.TestModels.UINT8, -1, 20, 30, 3),
            tmp.resolve("uint8.onnx"));
    Path floatModel =
        io.batchinfer.testing.TestModels.write(
            io.batchinfer.testing.TestModels.identity(
                "pixels", "out", io.batchinfer.testing.TestModels.FLOAT, -1, 3, 20, 20),
            tmp.resolve("float.onnx"));
    String template =
        """
        job: {name: images-identity}
        input: {path: "%s", format: binaryFile, file_pattern: "%s"}
        model: {path: "%s"}
        inputs:
          pixels:
            image: %s
        outputs:
          out: {column: tensor}
        output: {path: "%s", mode: error}
        """;
    Path out8 = tmp.resolve("uint8-out");
    JobTestSupport.Run run =
        cli(
            "--config",
            writeConfig(
                    tmp,
                    template.formatted(
                        FIXTURES,
                        "chelsea-palette.png",
                        uint8Model,
                        "{column: content, mode: rgb, layout: nhwc}",
                        out8))
                .toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    byte[] expected8 = Files.readAllBytes(FIXTURES.resolve("chelsea-palette-none.bin"));
    List<Row> rows =
        spark
            .read()
            .parquet(out8.toString())
            .selectExpr("flatten(flatten(tensor))")
            .collectAsList();
    assertThat(rows).hasSize(1);
    List<Integer> actual8 = new ArrayList<>();
    for (Object v : rows.get(0).getList(0)) {
      actual8.add(((Number) v).intValue());
    }
    assertThat(actual8).hasSize(expected8.length);
    for (int i = 0; i < expected8.length; i++) {
      assertThat(actual8.get(i)).as("value " + i).isEqualTo(expected8[i] & 0xFF);
    }

    Path outF = tmp.resolve("float-out");
    run =
        cli(
            "--config",
            writeConfig(
                    tmp,
                    template.formatted(
                        FIXTURES,
                        "astronaut-exif6.jpg",
                        floatModel,
                        "{column: content, resize: 24, crop: 20, mean: [0.485, 0.456, 0.406],"
                            + " std: [0.229, 0.224, 0.225]}",
                        outF))
                .toString());
    assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
    ByteBuffer expectedF =
        ByteBuffer.wrap(Files.readAllBytes(FIXTURES.resolve("astronaut-shorter-crop.bin")))
            .order(ByteOrder.LITTLE_ENDIAN);
    List<Float> actualF =
        spark
            .read()
            .parquet(outF.toString())
            .selectExpr("flatten(flatten(tensor))")
            .first()
            .getList(0);
    float[] std = {0.229f, 0.224f, 0.225f};
    int i = 0;
    double max = 0;
    for (float x : actualF) {
      max = Math.max(max, Math.abs(x - expectedF.getFloat(i * 4)) * std[i / 400] * 255);
      i++;
    }
    assertThat(i).isEqualTo(3 * 20 * 20);
    assertThat(max).isLessThanOrEqualTo(4);
  }
}
