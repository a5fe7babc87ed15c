package io.batchinfer.testing;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.Map;

/**
 * The reference sentence embedding of the fp32 all-MiniLM-L6-v2, computed without batchinfer code:
 * DJL tokenizes one sentence alone (max 128 tokens, no padding), ONNX Runtime runs {@code [1, L]},
 * the token vectors are mean-pooled (every token is real when a sentence is alone) and
 * L2-normalized. Owns a session and a tokenizer; close it.
 */
public final class MiniLmOracle implements AutoCloseable {
  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;

  public MiniLmOracle() throws Exception {
    this(Projects.miniLm(), Projects.miniLmTokenizer());
  }

  /** The same reference for another export of the model (e.g. the int8 one) and its tokenizer. */
  public MiniLmOracle(Path model, Path tokenizerJson) throws Exception {
    session =
        OrtEnvironment.getEnvironment()
            .createSession(model.toString(), new OrtSession.SessionOptions());
    tokenizer =
        HuggingFaceTokenizer.newInstance(
            tokenizerJson,
            Map.of(
                "maxLength", "128",
                "modelMaxLength", "128",
                "truncation", "true",
                "padding", "false"));
  }

  /**
   * @return the normalized mean-pooled embedding of {@code text}
   */
  public float[] embed(String text) throws Exception {
    Encoding e = tokenizer.encode(text);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor a = OnnxTensor.createTensor(env, new long[][] {e.getIds()});
        OnnxTensor b = OnnxTensor.createTensor(env, new long[][] {e.getAttentionMask()});
        OnnxTensor c = OnnxTensor.createTensor(env, new long[][] {e.getTypeIds()});
        OrtSession.Result r =
            session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
      float[][] tokens = ((float[][][]) r.get("last_hidden_state").orElseThrow().getValue())[0];
      double[] mean = new double[tokens[0].length];
      for (float[] t : tokens) {
        for (int h = 0; h < t.length; h++) {
          mean[h] += t[h] / (double) tokens.length;
        }
      }
      double norm = 0;
      for (double v : mean) {
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      float[] out = new float[mean.length];
      for (int h = 0; h < out.length; h++) {
        out[h] = (float) (mean[h] / norm);
      }
      return out;
    }
  }

  @Override
  public void close() throws Exception {
    session.close();
    tokenizer.close();
  }
}
