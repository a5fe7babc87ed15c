package io.batchinfer.jobs.submit;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The Spark settings a user has set for one submission, from the sources {@code spark-submit}
 * reads, with its precedence: {@code --conf} over the properties file, where the properties file is
 * {@code --properties-file} if given, else {@code $SPARK_CONF_DIR/spark-defaults.conf}, else {@code
 * $SPARK_HOME/conf/spark-defaults.conf} (Spark 3.5 reads only one of them, like {@code
 * SparkSubmitArguments}). Runs on the submitting machine; JDK only.
 */
final class SparkSettings {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> sources = new LinkedHashMap<>();

  private SparkSettings() {}

  /**
   * @param conf the {@code --conf KEY=VALUE} pairs, in order (a later one wins)
   * @param propertiesFile {@code --properties-file}, or null
   * @param env the environment of the {@code spark-submit} that will run ({@code SPARK_CONF_DIR},
   *     {@code SPARK_HOME})
   */
  static SparkSettings read(Map<String, String> conf, Path propertiesFile, Map<String, String> env)
      throws IOException {
    SparkSettings s = new SparkSettings();
    Optional<Path> file = propertiesFile != null ? Optional.of(propertiesFile) : defaultsFile(env);
    if (file.isPresent()) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file.get(), StandardCharsets.UTF_8)) {
        p.load(r);
      }
      for (String key : p.stringPropertyNames()) {
        s.values.put(key, p.getProperty(key).trim());
        s.sources.put(key, file.get().toString());
      }
    }
    conf.forEach(
        (k, v) -> {
          s.values.put(k, v);
          s.sources.put(k, "--conf");
        });
    return s;
  }

  /**
   * @return the defaults file spark-submit reads when no {@code --properties-file} is given
   */
  static Optional<Path> defaultsFile(Map<String, String> env) {
    String dir = env.get("SPARK_CONF_DIR");
    if (dir == null && env.get("SPARK_HOME") != null) {
      dir = Path.of(env.get("SPARK_HOME"), "conf").toString();
    }
    return Optional.ofNullable(dir)
        .map(d -> Path.of(d, "spark-defaults.conf"))
        .filter(Files::isRegularFile);
  }

  boolean isSet(String key) {
    return values.containsKey(key);
  }

  Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /**
   * @return where {@code key} was set ({@code --conf} or a file path), for messages
   */
  String source(String key) {
    return sources.get(key);
  }

  boolean isTrue(String key) {
    return get(key).map(v -> v.trim().toLowerCase(Locale.ROOT)).filter("true"::equals).isPresent();
  }
}
