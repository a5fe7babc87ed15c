package io.batchinfer.jobs;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.TextInput;
import java.util.List;

/** Config key paths as users write them, next to their defaults. */
final class ConfigKeys {
  private ConfigKeys() {}

  static final String JOB_NAME = "job.name";
  static final String JOB_NAME_DEFAULT = "batchinfer";

  /** Default: {@link ExecutorStartWatchdog#TIMEOUT_DEFAULT}. */
  static final String EXECUTOR_START_TIMEOUT = "job.executor_start_timeout";

  static final String INPUT_PATH = "input.path";
  static final String INPUT_COLUMNS = "input.columns";
  static final String INPUT_FILTER = "input.filter";
  static final String INPUT_PARTITIONS = "input.partitions";
  static final String INPUT_TABLE = "input.table";
  static final String INPUT_SQL = "input.sql";
  static final String INPUT_FORMAT = "input.format";
  static final String INPUT_RECURSIVE = "input.recursive";
  static final String INPUT_FILE_PATTERN = "input.file_pattern";
  static final String OUTPUT_TABLE = "output.table";
  static final String OUTPUT_CREATE = "output.create";
  static final String OUTPUT_FORMAT = "output.format";
  static final String DEAD_LETTER_TABLE = "errors.dead_letter_table";
  static final String MODEL_PATH = "model.path";
  static final String MODEL_SHA256 = "model.sha256";
  static final String BATCH_SIZE = "model.batch_size";
  static final int BATCH_SIZE_DEFAULT = BatchInference.BATCH_SIZE_DEFAULT;
  static final String THREADS = "model.threads";
  static final int THREADS_DEFAULT = 1;
  static final String DEVICE = "model.device";
  static final String DEVICE_DEFAULT = "cpu";
  static final List<String> DEVICES = List.of("cpu", "cuda", "tensorrt", "auto");
  static final String DEVICE_FALLBACK = "model.device_fallback";
  static final List<String> DEVICE_FALLBACKS = List.of("fail", "cpu");
  static final String DEVICE_ID = "model.device_id";
  static final String GPU_RESOURCE = "model.gpu_resource";
  static final String GPU_RESOURCE_DEFAULT = io.batchinfer.udfs.DeviceSettings.GPU_RESOURCE_DEFAULT;
  static final String CUDA = "model.cuda";
  static final String TENSORRT = "model.tensorrt";
  static final String DISTRIBUTION = "model.distribution";
  static final String DISTRIBUTION_DEFAULT = "auto";
  static final List<String> DISTRIBUTIONS = List.of("auto", "broadcast", "files");
  static final String DISTRIBUTION_THRESHOLD_MB = "model.distribution_threshold_mb";
  static final int DISTRIBUTION_THRESHOLD_MB_DEFAULT =
      io.batchinfer.udfs.ModelDistribution.THRESHOLD_MB_DEFAULT;
  static final String CACHE_DIR = "model.cache_dir";
  static final String BATCHING = "model.batching";
  static final String BATCHING_DEFAULT = "auto";
  static final String LENGTH_WINDOW = "model.length_window";
  static final String INPUTS = "inputs";
  static final String TEXT = "text";
  static final int MAX_LENGTH_DEFAULT = TextInput.MAX_LENGTH_DEFAULT;
  static final String OUTPUTS = "outputs";
  static final String PASSTHROUGH = "passthrough";
  static final String IGNORE_CORRUPT_FILES = "input.ignore_corrupt_files";
  static final String ALLOWED_ROOTS = "model.allowed_roots";
  static final String CUSTOM_OP_LIBRARIES = "model.custom_op_libraries";
  static final String ORT_INTER_OP_THREADS = "model.onnxruntime.inter_op_threads";
  static final String ORT_OPTIMIZATION_LEVEL = "model.onnxruntime.optimization_level";
  static final String ERRORS_POLICY = "errors.policy";
  static final String ERRORS_POLICY_DEFAULT = "fail";
  static final String DEAD_LETTER_PATH = "errors.dead_letter_path";
  static final String ALLOW_NAN = "errors.allow_nan";
  static final String MAX_REJECTED_FRACTION = "errors.max_rejected_fraction";

  /**
   * Under {@code skip} and {@code dead-letter}: a run that rejects more than a tenth of its rows
   * fails before writing. A few bad rows (dirty data: typically well under 1%) pass; a broken
   * upstream (a column turned null, a schema drift, a bad day of data) rejects far more and fails.
   */
  static final double MAX_REJECTED_FRACTION_DEFAULT = 0.1;

  static final String MAX_CONSECUTIVE_INFERENCE_ERRORS = "errors.max_consecutive_inference_errors";
  static final String OUTPUT_PATH = "output.path";
  static final String OUTPUT_MODE = "output.mode";
  static final String OUTPUT_MODE_DEFAULT = "error";
  static final List<String> OUTPUT_MODES =
      List.of("error", "overwrite", "overwrite-partitions", "append");
  static final String OUTPUT_RESUME = "output.resume";
  static final String RESUME_CHUNK_FILES = "output.resume_chunk_files";
  static final int RESUME_CHUNK_FILES_DEFAULT = 64;
  static final String REPORT_PATH = "report.path";
  static final String PARTITION_BY = "output.partition_by";
  static final String COMPRESSION = "output.compression";
  static final String COMPRESSION_DEFAULT = "snappy";
  static final List<String> COMPRESSIONS =
      List.of("none", "uncompressed", "snappy", "gzip", "lz4", "zstd");
}
