package io.batchinfer.jobs;

import io.batchinfer.udfs.compat.SparkCompat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Driver only: reads {@code runtime.properties}, the one committed place for the JVM module flags
 * and the ONNX Runtime/DJL environment switches (also read by {@code pom.xml} and {@code
 * submit-scripts/env.sh}), from the classpath. Immutable; loaded once.
 */
final class RuntimeEnvironment {
  static final String RESOURCE = "runtime.properties";
  private static final String ENV_PREFIX = "runtime.env.";
  private static final String SYSPROP_PREFIX = "runtime.sysprop.";
  private static final Properties PROPERTIES = load();

  private RuntimeEnvironment() {}

  /**
   * @return the Java 17 module flags this build's Spark line needs on a driver JVM,
   *     space-separated: {@code spark.module.flags} (Spark 3.5) or {@code spark4.module.flags}
   *     (Spark 4)
   */
  static String moduleFlags() {
    return PROPERTIES.getProperty(
        "3.5".equals(SparkCompat.SPARK_LINE) ? "spark.module.flags" : "spark4.module.flags");
  }

  /**
   * @return environment variables every JVM loading ONNX Runtime or DJL needs, by name
   */
  static Map<String, String> environment() {
    return withPrefix(ENV_PREFIX);
  }

  /**
   * @return system properties for driver JVMs, by name
   */
  static Map<String, String> systemProperties() {
    return withPrefix(SYSPROP_PREFIX);
  }

  private static Map<String, String> withPrefix(String prefix) {
    Map<String, String> values = new TreeMap<>();
    for (String key : PROPERTIES.stringPropertyNames()) {
      if (key.startsWith(prefix)) {
        values.put(key.substring(prefix.length()), PROPERTIES.getProperty(key));
      }
    }
    return Map.copyOf(values);
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = RuntimeEnvironment.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            RESOURCE
                + " is missing from the classpath next to "
                + RuntimeEnvironment.class.getName()
                + "; the jar was built without its resources.");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    return p;
  }
}
