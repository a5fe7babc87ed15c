package io.batchinfer.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.batchinfer.testing.MiniLmOracle;
import io.batchinfer.testing.Oracle;
import io.batchinfer.testing.Projects;
import io.batchinfer.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real text chain in one pass: sentences → the fp32 all-MiniLM-L6-v2 (mean-pooled, normalized
 * embedding) → a classifier head over the 384 floats ({@code models/text-head}), compared with the
 * two models run one after the other directly: DJL + ONNX Runtime for the embedding ({@link
 * MiniLmOracle}), then ONNX Runtime on the head with that embedding. Slow (about 25 s: the 90 MB
 * model is read for planning, a session and the oracle); the fast chain tests are {@link
 * ModelChainTest}.
 */
@Tag("slow")
class TextChainTest extends SparkTestBase {
  private static final Path HEAD = Projects.root().resolve("models/text-head/minilm-head.onnx");

  @Test
  void textEmbeddingHeadChainEqualsBothModelsRunDirectly() throws Exception {
    Dataset<Row> in =
        spark
            .read()
            .parquet(Projects.sentences().toString())
            .orderBy("id")
            .limit(40)
            .repartition(2);
    ChainPlan plan =
        BatchInferenceChain.builder()
            .model(
                "minilm",
                BatchInference.builder()
                    .modelPath(Projects.miniLm().toString(), null)
                    .text(TextInput.of("text", Projects.miniLmTokenizer().toString(), 128))
                    .output(
                        "last_hidden_state",
                        OutputMapping.toColumn("embedding")
                            .withPooling(Pooling.MEAN)
                            .withNormalize())
                    .batchSize(8))
            .model(
                "topic",
                BatchInference.builder()
                    .modelPath(HEAD.toString(), null)
                    .input("embedding", InputMapping.column("embedding"))
                    .output(
                        "probabilities", OutputMapping.toColumn("topic_probs").withArgmax("topic"))
                    .batchSize(16))
            .passthrough(List.of("id", "text"))
            .plan(spark, in.schema());
    List<Row> out = new ArrayList<>(plan.apply(in).scored().collectAsList());
    assertThat(out).hasSize(40);
    try (MiniLmOracle embed = new MiniLmOracle();
        Oracle head = new Oracle(HEAD)) {
      for (Row o : out) {
        float[] e = embed.embed(o.getString(1));
        float[] p = head.runRow("embedding", "probabilities", e);
        List<Float> gotE = o.getList(2);
        List<Float> gotP = o.getList(3);
        assertThat(gotE).hasSize(384);
        for (int h = 0; h < 384; h++) {
          assertThat(gotE.get(h)).isCloseTo(e[h], within(1e-4f));
        }
        int best = 0;
        for (int k = 0; k < 4; k++) {
          assertThat(gotP.get(k)).isCloseTo(p[k], within(1e-4f));
          best = p[k] > p[best] ? k : best;
        }
        assertThat(o.<Integer>getAs("topic")).isEqualTo(best);
      }
    }
  }
}
