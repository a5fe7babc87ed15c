package io.batchinfer.cluster;

import io.batchinfer.udfs.model.ModelLoader;
import io.batchinfer.udfs.model.Sha256;
import io.batchinfer.udfs.session.SessionCache;
import io.batchinfer.udfs.session.SessionOptionsSpec;
import io.batchinfer.udfs.text.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A main run in a fresh JVM whose classpath is only a Spark distribution's {@code jars/*}, the
 * cluster jar and this class ({@link ClusterJarIT}): proves that the natives of ONNX Runtime and
 * DJL tokenizers load from the shaded jar and work with its relocated gson. It names only project
 * types, so the same check runs against differently relocated builds. Prints one line per check.
 *
 * <p>Arguments: the iris {@code .onnx} model and a HuggingFace {@code tokenizer.json}.
 */
public final class ClusterJarSmoke {
  private ClusterJarSmoke() {}

  public static void main(String[] args) throws Exception {
    byte[] model = Files.readAllBytes(Path.of(args[0]));
    SessionCache.Lease lease =
        SessionCache.acquire(
            Sha256.hex(model),
            SessionOptionsSpec.DEFAULT,
            () -> ModelLoader.fromBytes(args[0], model));
    System.out.println(
        "onnxruntime: session created="
            + lease.created()
            + " provider="
            + lease.cached().provider());
    try (TextTokenizer tokenizer =
        TextTokenizer.fromBytes(Files.readAllBytes(Path.of(args[1])), 32)) {
      TextTokenizer.Batch batch = tokenizer.encode(new String[] {"The quick brown fox."}, 1);
      System.out.println("tokenizer: ids=" + Arrays.toString(batch.inputIds()));
    }
    SessionCache.closeAll();
  }
}
