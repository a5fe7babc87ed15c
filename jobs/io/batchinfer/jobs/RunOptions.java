package io.batchinfer.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.batchinfer.udfs.ErrorPolicy;
import io.batchinfer.udfs.model.Sha256;
import io.batchinfer.udfs.plan.Problems;
import java.util.List;

/**
 * How a validated job runs beyond scoring: dynamic partition overwrite ({@code output.mode:
 * overwrite-partitions}), resume in chunks ({@code output.resume}, {@code
 * output.resume_chunk_files}), and where the run report goes ({@code report.path}). Driver only;
 * immutable.
 *
 * @param dynamicOverwrite replace only the partitions the run writes
 * @param resume split the input into chunks of files, commit each, skip committed chunks on a rerun
 * @param resumeChunkFiles input files per chunk
 * @param reportPath where report.json goes, or null for {@code
 *     <output.path>/_batchinfer/report.json}
 * @param inputFiltered whether {@code input.filter} is set (the input's row count is then unknown
 *     without a scan)
 * @param fingerprint what the output depends on, besides the model bytes and the input files: the
 *     config without {@code job}, {@code spark}, {@code report}, {@code model.threads} (and {@code
 *     models[i].model.threads}) and {@code output.resume_chunk_files}; a rerun resumes only when it
 *     is equal
 */
record RunOptions(
    boolean dynamicOverwrite,
    boolean resume,
    int resumeChunkFiles,
    String reportPath,
    boolean inputFiltered,
    String fingerprint) {

  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();

  /**
   * @return the options of one chunk of a resumable run: a plain overwrite of its staging directory
   */
  RunOptions forChunk() {
    return new RunOptions(false, false, resumeChunkFiles, null, inputFiltered, fingerprint);
  }

  /**
   * Checks the keys these options come from, recording problems in {@code problems}.
   *
   * @param modeName {@code output.mode}, lower case (already checked against the known modes)
   */
  static RunOptions validate(
      JobConfig cfg, String modeName, List<String> partitionBy, Problems problems) {
    boolean dynamic = "overwrite-partitions".equals(modeName);
    if (dynamic && partitionBy.isEmpty()) {
      problems.add(
          ConfigKeys.OUTPUT_MODE
              + ": 'overwrite-partitions' replaces only the partitions a run writes, so it"
              + " needs "
              + ConfigKeys.PARTITION_BY
              + " (e.g. --set output.partition_by=[day]). To replace the whole"
              + " output, use output.mode=overwrite.");
    }
    boolean resume = Boolean.TRUE.equals(cfg.output().resume());
    if (resume && !"overwrite".equals(modeName) && !"overwrite-partitions".equals(modeName)) {
      problems.add(
          ConfigKeys.OUTPUT_RESUME
              + ": needs output.mode overwrite or overwrite-partitions, since a rerun"
              + " writes into the output it left; found '"
              + modeName
              + "'. Pass --set output.mode=overwrite.");
    }
    if (resume
        && cfg.errors().policy() != null
        && ErrorPolicy.parse(cfg.errors().policy()) == ErrorPolicy.DEAD_LETTER) {
      problems.add(
          ConfigKeys.OUTPUT_RESUME
              + ": not supported with errors.policy dead-letter yet (the dead-letter"
              + " output is not chunked); use errors.policy skip or fail, or turn resume off.");
    }
    int chunkFiles =
        cfg.output().resumeChunkFiles() == null
            ? ConfigKeys.RESUME_CHUNK_FILES_DEFAULT
            : cfg.output().resumeChunkFiles();
    if (chunkFiles < 1) {
      problems.add(
          ConfigKeys.RESUME_CHUNK_FILES
              + ": must be at least 1 input file per chunk; found "
              + chunkFiles
              + ". The default is "
              + ConfigKeys.RESUME_CHUNK_FILES_DEFAULT
              + ".");
    }
    String reportPath = cfg.report() == null ? null : cfg.report().path();
    if (reportPath != null && reportPath.isBlank()) {
      problems.add(
          ConfigKeys.REPORT_PATH
              + ": empty; remove the key to write the report to"
              + " <output.path>/_batchinfer/report.json, or set a path such as /reports/${ds}/report.json.");
      reportPath = null;
    }
    boolean filtered = cfg.input().filter() != null && !cfg.input().filter().isBlank();
    return new RunOptions(
        dynamic, resume, Math.max(1, chunkFiles), reportPath, filtered, fingerprint(cfg));
  }

  /**
   * @return sha256 of the config parts that decide the output rows (see the record's Javadoc)
   */
  static String fingerprint(JobConfig cfg) {
    ObjectNode tree = CANONICAL.valueToTree(cfg);
    tree.remove(List.of("job", "spark", "report"));
    if (tree.get("model") instanceof ObjectNode model) {
      model.remove("threads");
    }
    if (tree.get("models") instanceof ArrayNode models) {
      for (JsonNode entry : models) {
        if (entry.get("model") instanceof ObjectNode model) {
          model.remove("threads");
        }
      }
    }
    if (tree.get("output") instanceof ObjectNode output) {
      output.remove("resume_chunk_files");
    }
    try {
      return Sha256.hex(CANONICAL.writeValueAsString(tree));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot fingerprint the config", e);
    }
  }
}
