package io.batchinfer.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.plan.Problems;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;

/**
 * Parses a YAML job config, applies {@code --set key.path=value} overrides, and binds it to {@link
 * JobConfig}, turning every Jackson error into a message that names the key path. Driver only;
 * stateless.
 *
 * <p>Override values are parsed as YAML, so {@code --set model.batch_size=64} sets a number and
 * {@code --set passthrough=[id,ts]} a list. Under {@code spark}, the rest of the path is one key:
 * {@code --set spark.spark.executor.memory=4g}.
 */
public final class ConfigLoader {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
  private static final Pattern SEGMENT = Pattern.compile("([^.\\[\\]]+)((?:\\[\\d+])*)");
  private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

  private ConfigLoader() {}

  /**
   * A bound config and the tree it was bound from, after overrides and variables (for the run
   * report).
   */
  record Loaded(JobConfig config, JsonNode tree) {}

  /**
   * Loads {@code file} with {@code overrides} ({@code key.path=value}); no variable substitution.
   */
  public static JobConfig load(Path file, List<String> overrides) {
    return load(file.toString(), overrides, null).config();
  }

  /**
   * Loads {@code file}, applies {@code overrides}, then substitutes {@code variables} in the tree's
   * text values ({@link Variables}); null variables leave {@code ${...}} as written.
   */
  static Loaded load(String file, List<String> overrides, Variables variables) {
    String text = read(file);
    try {
      return parse(text, overrides, variables);
    } catch (ValidationException e) {
      throw e.withSource(file.toString());
    }
  }

  /**
   * Reads a config from a local path, or through Hadoop's FileSystem when it is a URI with a
   * non-file scheme ({@code hdfs://}, {@code s3a://}, ...), so a cluster-mode driver can read a
   * config that is not on its local disk. Runs before the job's Spark session exists: Hadoop
   * settings are those of a session already running in this JVM (tests, notebooks), else what Spark
   * would use: the classpath, HADOOP_CONF_DIR, {@code spark.hadoop.*} from spark-submit and the AWS
   * credentials in the environment.
   */
  private static Configuration hadoopConf() {
    scala.Option<org.apache.spark.sql.SparkSession> active =
        org.apache.spark.sql.SparkSession.getActiveSession();
    Configuration conf =
        active.isDefined()
            ? active.get().sparkContext().hadoopConfiguration()
            : org.apache.spark.deploy.SparkHadoopUtil.get()
                .newConfiguration(new org.apache.spark.SparkConf());
    S3aRetryBounds.apply(conf);
    return conf;
  }

  private static String read(String location) {
    if (location.matches("^[A-Za-z][A-Za-z0-9+.-]+://.*") && !location.startsWith("file:")) {
      // Hadoop's Path, qualified: the name clashes with java.nio.file.Path used below.
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
      try (InputStream in = p.getFileSystem(hadoopConf()).open(p)) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (FileNotFoundException e) {
        throw new ValidationException(
            "--config: file not found: " + location + ". Pass the path of a YAML job config.");
      } catch (IOException | RuntimeException e) {
        throw new ValidationException(
            "--config: cannot read "
                + location
                + ": "
                + e.getMessage()
                + (location.startsWith("s3a://")
                    ? ". Check fs.s3a.endpoint and the credentials (core-site.xml in"
                        + " HADOOP_CONF_DIR, or --conf spark.hadoop.fs.s3a.*): README, \"Tables and"
                        + " object stores\"."
                    : ""));
      }
    }
    Path file = Path.of(location.startsWith("file:") ? URI.create(location).getPath() : location);
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ValidationException(
          "--config: file not found: "
              + file.toAbsolutePath()
              + ". Pass the path of a YAML job config, e.g. conf/examples/iris.yaml.");
    } catch (IOException e) {
      throw new ValidationException("--config: cannot read " + file + ": " + e.getMessage());
    }
  }

  /** Parses YAML text with overrides; used by {@link #load} and tests. */
  public static JobConfig parse(String yaml, List<String> overrides) {
    return parse(yaml, overrides, null).config();
  }

  /** Parses YAML text, applies overrides, then substitutes variables (when not null) and binds. */
  static Loaded parse(String yaml, List<String> overrides, Variables variables) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ValidationException(
          "not valid YAML: "
              + e.getOriginalMessage()
              + " at line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ".");
    }
    if (root == null || root instanceof NullNode || root.isMissingNode()) {
      root = JsonNodeFactory.instance.objectNode();
    }
    if (!root.isObject()) {
      throw new ValidationException(
          "the config must be a YAML mapping of sections (job, input, model, inputs,"
              + " outputs, output); found "
              + root.getNodeType().name().toLowerCase(Locale.ROOT)
              + ".");
    }
    Problems problems = new Problems();
    for (String override : overrides == null ? List.<String>of() : overrides) {
      try {
        applyOverride((ObjectNode) root, override);
      } catch (ValidationException e) {
        problems.addAll(e);
      }
    }
    findEmptyListEntries(root, "", problems);
    problems.throwIfAny("");
    if (variables != null) {
      variables.substitute(root);
    }
    try {
      return new Loaded(YAML.treeToValue(root, JobConfig.class), root);
    } catch (UnrecognizedPropertyException e) {
      String path = path(e);
      List<String> known = new ArrayList<>();
      e.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
      known.sort(null);
      throw new ValidationException(
          path
              + ": unknown key '"
              + e.getPropertyName()
              + "'; known keys here: "
              + known
              + "."
              + Problems.didYouMean(e.getPropertyName(), known));
    } catch (MismatchedInputException e) {
      String what = e.getTargetType() == null ? "another type" : describe(e.getTargetType());
      String found =
          e instanceof InvalidFormatException f
              ? "found '" + f.getValue() + "'"
              : firstLine(e.getOriginalMessage());
      throw new ValidationException(path(e) + ": expected " + what + "; " + found + ".");
    } catch (JsonProcessingException e) {
      throw new ValidationException(
          path(e instanceof JsonMappingException m ? m : null)
              + ": "
              + firstLine(e.getOriginalMessage())
              + ".");
    }
  }

  /** Lists never hold empty entries ({@code [a, , b]} or a {@code ~}): name each one. */
  private static void findEmptyListEntries(JsonNode node, String path, Problems problems) {
    if (node instanceof ObjectNode o) {
      o.fields()
          .forEachRemaining(
              e ->
                  findEmptyListEntries(
                      e.getValue(),
                      path.isEmpty() ? e.getKey() : path + "." + e.getKey(),
                      problems));
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i) == null || a.get(i).isNull()) {
          problems.add(path + "[" + i + "]: empty list entry; remove it or fill it in.");
        } else {
          findEmptyListEntries(a.get(i), path + "[" + i + "]", problems);
        }
      }
    }
  }

  static void applyOverride(ObjectNode root, String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new ValidationException(
          "--set " + override + ": expected key.path=value, e.g. --set model.batch_size=64.");
    }
    String path = override.substring(0, eq).trim();
    String raw = override.substring(eq + 1);
    // Scalars stay text (binding converts "64" to a number where the key wants one), so a sha256 of
    // digits or "1e5..." is never read as a number; flow lists and mappings are parsed as YAML.
    JsonNode value = TextNode.valueOf(raw);
    String trimmed = raw.trim();
    if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
      try {
        value = YAML.readTree(trimmed);
      } catch (JsonProcessingException e) {
        throw new ValidationException(
            "--set "
                + path
                + ": value '"
                + raw
                + "' is not a valid YAML list or mapping: "
                + e.getOriginalMessage()
                + ".");
      }
    }
    List<String> segments = new ArrayList<>();
    if (path.startsWith("spark.") && path.length() > "spark.".length()) {
      segments.add("spark");
      segments.add(path.substring("spark.".length()));
      JsonNode spark = root.get("spark");
      ObjectNode sparkNode = spark instanceof ObjectNode o ? o : root.putObject("spark");
      sparkNode.set(segments.get(1), value);
      return;
    }
    ObjectNode parent = root;
    String[] parts = path.split("\\.");
    for (int p = 0; p < parts.length; p++) {
      Matcher m = SEGMENT.matcher(parts[p]);
      if (!m.matches()) {
        throw new ValidationException(
            "--set " + path + ": cannot parse key segment '" + parts[p] + "'.");
      }
      String name = m.group(1);
      List<Integer> indices = new ArrayList<>();
      Matcher im = INDEX.matcher(m.group(2));
      while (im.find()) {
        indices.add(Integer.parseInt(im.group(1)));
      }
      boolean last = p == parts.length - 1;
      if (indices.isEmpty()) {
        if (last) {
          parent.set(name, value);
          return;
        }
        JsonNode child = parent.get(name);
        parent = child instanceof ObjectNode o ? o : parent.putObject(name);
        continue;
      }
      JsonNode arrayNode = parent.get(name);
      if (!(arrayNode instanceof ArrayNode)) {
        throw new ValidationException(
            "--set "
                + path
                + ": '"
                + name
                + "' is not a list in the config; set the whole list,"
                + " e.g. --set "
                + String.join(".", Arrays.copyOf(parts, p))
                + (p > 0 ? "." : "")
                + name
                + "=[a,b].");
      }
      ArrayNode array = (ArrayNode) arrayNode;
      for (int i = 0; i < indices.size(); i++) {
        int idx = indices.get(i);
        if (idx >= array.size()) {
          throw new ValidationException(
              "--set "
                  + path
                  + ": index "
                  + idx
                  + " is past the end of a list of "
                  + array.size()
                  + " items.");
        }
        boolean lastIndex = i == indices.size() - 1;
        if (last && lastIndex) {
          array.set(idx, value);
          return;
        }
        JsonNode next = array.get(idx);
        if (lastIndex) {
          if (!(next instanceof ObjectNode o)) {
            throw new ValidationException(
                "--set " + path + ": item " + idx + " of '" + name + "' is not a mapping.");
          }
          parent = o;
        } else if (next instanceof ArrayNode a) {
          array = a;
        } else {
          throw new ValidationException(
              "--set " + path + ": item " + idx + " of '" + name + "' is not a list.");
        }
      }
    }
  }

  /**
   * @return the key path of a binding error, e.g. {@code inputs.features.columns[2]}
   */
  static String path(JsonMappingException e) {
    if (e == null) {
      return "config";
    }
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "config" : sb.toString();
  }

  private static String describe(Class<?> type) {
    if (type == Integer.class || type == int.class || type == Long.class) {
      return "a whole number";
    } else if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    } else if (type == String.class) {
      return "a text value";
    } else if (List.class.isAssignableFrom(type)) {
      return "a list";
    } else if (Map.class.isAssignableFrom(type) || type.isRecord()) {
      return "a mapping of keys";
    }
    return type.getSimpleName();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "invalid value";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
