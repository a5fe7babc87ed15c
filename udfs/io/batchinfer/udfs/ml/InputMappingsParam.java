package io.batchinfer.udfs.ml;

import io.batchinfer.udfs.InputMapping;
import java.util.Map;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.util.Identifiable;

/**
 * A Param holding model input name to {@link InputMapping} (the job config's {@code inputs} block),
 * saved as JSON in the stage metadata. Driver only.
 */
public final class InputMappingsParam extends Param<Map<String, InputMapping>> {
  private static final long serialVersionUID = 1L;

  /** A param named {@code name} of {@code parent}. */
  public InputMappingsParam(Identifiable parent, String name, String doc) {
    super(parent, name, doc);
  }

  @Override
  public String jsonEncode(Map<String, InputMapping> value) {
    return MappingsJson.encodeInputs(value);
  }

  @Override
  public Map<String, InputMapping> jsonDecode(String json) {
    return MappingsJson.decodeInputs(json);
  }
}
