package io.batchinfer.jobs.submit;

import io.batchinfer.jobs.submit.SubmitCommand.SubmitException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Small value rules of {@link SubmitCommand}: sizes, counts, paths, shell quoting, the runtime
 * environment. JDK only.
 */
final class SubmitValues {
  private static final String RUNTIME_PROPERTIES = "/io/batchinfer/jobs/runtime.properties";
  private static final Pattern MEMORY =
      Pattern.compile("(\\d+)\\s*([kmgtp]?)b?", Pattern.CASE_INSENSITIVE);

  private SubmitValues() {}

  /**
   * @return the environment every JVM that loads ONNX Runtime or DJL needs ({@code runtime.env.*}
   *     in {@code io/batchinfer/jobs/runtime.properties}, the file env.sh and the job read too)
   */
  static Map<String, String> runtimeEnvironment() throws IOException {
    Properties p = new Properties();
    try (InputStream in = SubmitValues.class.getResourceAsStream(RUNTIME_PROPERTIES)) {
      if (in == null) {
        throw new IllegalStateException(RUNTIME_PROPERTIES + " is missing from the classpath");
      }
      p.load(in);
    }
    Map<String, String> env = new TreeMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith("runtime.env.")) {
        env.put(key.substring("runtime.env.".length()), p.getProperty(key));
      }
    }
    return env;
  }

  static String positive(Map<String, String> env, String name, String fallback)
      throws SubmitException {
    String v = env.getOrDefault(name, fallback);
    parsePositive(v, name);
    return v.trim();
  }

  static int parsePositive(String value, String what) throws SubmitException {
    try {
      int n = Integer.parseInt(value.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new SubmitException(
        SubmitCommand.USAGE, what + " must be a positive whole number, not '" + value + "'");
  }

  /**
   * @return a Spark memory string ({@code 2g}, {@code 512m}, {@code 1024} = MiB) as a JVM heap size
   */
  static String heap(String memory, String source) throws SubmitException {
    Matcher m = MEMORY.matcher(memory.trim());
    if (!m.matches()) {
      throw new SubmitException(
          SubmitCommand.USAGE,
          "spark.driver.memory"
              + (source == null ? "" : " (" + source + ")")
              + " must be a size such as 2g or 512m, not '"
              + memory
              + "'");
    }
    String unit = m.group(2).isEmpty() ? "m" : m.group(2).toLowerCase(Locale.ROOT);
    if (unit.equals("p")) {
      return Long.parseLong(m.group(1)) * 1024 + "t";
    }
    return m.group(1) + unit;
  }

  static boolean isRemote(String path) {
    return path.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*") && !path.startsWith("file:");
  }

  static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }

  /** POSIX shell quoting: as is when safe, else in single quotes. */
  static String quote(String arg) {
    if (!arg.isEmpty() && arg.matches("[A-Za-z0-9_@%+=:,./-]+")) {
      return arg;
    }
    return "'" + arg.replace("'", "'\\''") + "'";
  }
}
