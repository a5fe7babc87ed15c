package io.batchinfer.udfs.ml;

import io.batchinfer.udfs.OutputMapping;
import java.util.Map;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.Identifiable;

/**
 * A Param holding model output name to {@link OutputMapping} (the job config's {@code outputs}
 * block), saved as JSON in the stage metadata. Driver only.
 */
public final class OutputMappingsParam extends Param<Map<String, OutputMapping>> {
  private static final long serialVersionUID = 1L;

  /** A param named {@code name} of {@code parent}. */
  public OutputMappingsParam(Identifiable parent, String name, String doc) {
    super(parent, name, doc);
  }

  @Override
  public String jsonEncode(Map<String, OutputMapping> value) {
    return MappingsJson.encodeOutputs(value);
  }

  @Override
  public Map<String, OutputMapping> jsonDecode(String json) {
    return MappingsJson.decodeOutputs(json);
  }
}
