package io.batchinfer.testing;

import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The test oracle for ONNX-ML outputs: ONNX Runtime called directly, its maps copied out. */
public final class OrtMaps {
  private OrtMaps() {}

  /**
   * Runs {@code session} on {@code feeds} and copies the sequence-of-maps output {@code output}
   * (ZipMap), one map per row, closing every native value. Does not close the feeds.
   */
  public static List<Map<Object, Float>> sequenceOfMaps(
      OrtSession session, Map<String, OnnxTensor> feeds, String output) throws OrtException {
    try (OrtSession.Result r = session.run(feeds)) {
      OnnxSequence seq = (OnnxSequence) r.get(output).orElseThrow();
      List<Map<Object, Float>> maps = new ArrayList<>();
      for (OnnxValue v : seq.getValue()) {
        try (OnnxMap m = (OnnxMap) v) {
          Map<Object, Float> copy = new LinkedHashMap<>();
          m.getValue().forEach((k, x) -> copy.put(k, (Float) x));
          maps.add(copy);
        }
      }
      return maps;
    }
  }
}
