package io.batchinfer.udfs.ml;

import io.batchinfer.udfs.model.ModelArtifact;
import io.batchinfer.udfs.model.ModelLoader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;

/**
 * Saving and loading an {@link OnnxTransformer}: the Params through Spark ML's default metadata
 * writer and reader (so a {@code Pipeline} or {@code PipelineModel} holding the stage saves and
 * loads it like any other), plus the model bytes in {@code <stage folder>/model/model.onnx} through
 * Hadoop's FileSystem. Loading reads those bytes (checking {@code modelSha256} when set), never the
 * original {@code modelPath}. Driver only.
 */
final class OnnxTransformerIO {
  /** Where the bytes go, relative to the stage folder. */
  static final String MODEL_FILE = "model/model.onnx";

  private OnnxTransformerIO() {}

  /** Writes the metadata, then the model bytes. */
  static final class Writer extends MLWriter {
    private final OnnxTransformer stage;

    Writer(OnnxTransformer stage) {
      this.stage = stage;
    }

    @Override
    public void saveImpl(String path) {
      ModelArtifact model = stage.model(sparkSession());
      new DefaultParamsWriter(stage).saveImpl(path);
      Path file = new Path(path, MODEL_FILE);
      Configuration conf = sparkSession().sparkContext().hadoopConfiguration();
      try {
        FileSystem fs = file.getFileSystem(conf);
        try (OutputStream out = fs.create(file, false)) {
          out.write(model.bytes());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the model bytes to " + file + ": " + e, e);
      }
    }
  }

  /** Reads the metadata into a new stage, then gives it the saved bytes. */
  static final class Reader extends MLReader<OnnxTransformer> {
    @Override
    public OnnxTransformer load(String path) {
      OnnxTransformer stage = new DefaultParamsReader<OnnxTransformer>().load(path);
      String sha =
          stage.get(stage.modelSha256()).isDefined()
              ? stage.getOrDefault(stage.modelSha256())
              : null;
      ModelArtifact model =
          ModelLoader.load(
              new Path(path, MODEL_FILE).toString(),
              sha,
              sparkSession().sparkContext().hadoopConfiguration(),
              "model.path");
      stage.loaded(model);
      return stage;
    }
  }
}
