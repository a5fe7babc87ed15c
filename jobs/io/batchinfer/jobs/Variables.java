package io.batchinfer.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.batchinfer.udfs.ValidationException;
import io.batchinfer.udfs.plan.Problems;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Config variables: {@code ${name}} takes a value set with {@code --var name=value}, {@code
 * ${env:NAME}} the driver's environment variable {@code NAME}, and {@code $${...}} is a literal
 * {@code ${...}}. {@code run_id} is always set: to {@code --var run_id=...} when given, else to a
 * generated id ({@code 20261123T101500Z-3f9a2c}: UTC start time and 6 random hex digits).
 *
 * <p>Substitution runs on the parsed YAML tree, after {@code --set} overrides, and only inside
 * scalar text values: a value can never inject YAML structure or new keys. Mapping keys are never
 * substituted. Every unknown variable or unset environment variable is reported with the key path
 * that references it. Driver only; immutable after construction.
 */
final class Variables {
  /** The variable every run has. */
  static final String RUN_ID = "run_id";

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");
  private static final String ENV_PREFIX = "env:";

  private final Map<String, String> values;
  private final Function<String, String> env;
  private final boolean runIdGenerated;

  private Variables(
      Map<String, String> values, Function<String, String> env, boolean runIdGenerated) {
    this.values = Collections.unmodifiableMap(values);
    this.env = env;
    this.runIdGenerated = runIdGenerated;
  }

  /**
   * @param cli {@code --var} values by name (may be null)
   * @param env environment lookup, {@code System::getenv} outside tests
   * @throws ValidationException for a variable name that can never be referenced
   */
  static Variables of(Map<String, String> cli, Function<String, String> env) {
    Problems problems = new Problems();
    Map<String, String> values = new LinkedHashMap<>();
    if (cli != null) {
      for (Map.Entry<String, String> e : cli.entrySet()) {
        String name = e.getKey().trim();
        if (!NAME.matcher(name).matches()) {
          problems.add(
              "--var "
                  + e.getKey()
                  + "="
                  + e.getValue()
                  + ": '"
                  + name
                  + "' is not a variable name; use"
                  + " letters, digits, '_', '.' or '-', starting with a letter or '_', e.g. --var ds=2026-11-23.");
          continue;
        }
        values.put(name, e.getValue() == null ? "" : e.getValue());
      }
    }
    problems.throwIfAny("");
    boolean generated = !values.containsKey(RUN_ID);
    if (generated) {
      values.put(RUN_ID, generateRunId());
    }
    return new Variables(values, env, generated);
  }

  /**
   * @return a sortable, path-safe id: UTC time and 6 random hex digits
   */
  static String generateRunId() {
    return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .format(ZonedDateTime.now(ZoneOffset.UTC))
        + "-"
        + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
  }

  /**
   * @return the run id ({@code ${run_id}})
   */
  String runId() {
    return values.get(RUN_ID);
  }

  /**
   * @return true when {@code run_id} was generated rather than passed with {@code --var}
   */
  boolean runIdGenerated() {
    return runIdGenerated;
  }

  /**
   * @return every variable by name, {@code run_id} included
   */
  Map<String, String> values() {
    return values;
  }

  /**
   * Substitutes every text value under {@code root} in place.
   *
   * @throws ValidationException listing every unresolvable reference, with its key path
   */
  void substitute(JsonNode root) {
    Problems problems = new Problems();
    walk(root, "", problems);
    problems.throwIfAny("");
  }

  private void walk(JsonNode node, String path, Problems problems) {
    if (node instanceof ObjectNode object) {
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        JsonNode child = object.get(name);
        String childPath = path.isEmpty() ? name : path + "." + name;
        if (child.isTextual()) {
          object.set(name, TextNode.valueOf(resolve(child.textValue(), childPath, problems)));
        } else {
          walk(child, childPath, problems);
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        JsonNode child = array.get(i);
        String childPath = path + "[" + i + "]";
        if (child.isTextual()) {
          array.set(i, TextNode.valueOf(resolve(child.textValue(), childPath, problems)));
        } else {
          walk(child, childPath, problems);
        }
      }
    }
  }

  /**
   * @return {@code text} with its references replaced; problems go to {@code problems} (key path
   *     {@code path})
   */
  String resolve(String text, String path, Problems problems) {
    if (text.indexOf('$') < 0) {
      return text;
    }
    StringBuilder sb = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '$' && text.startsWith("$${", i)) {
        sb.append("${");
        i += 3;
        continue;
      }
      if (c != '$' || !text.startsWith("${", i)) {
        sb.append(c);
        i++;
        continue;
      }
      int end = text.indexOf('}', i + 2);
      if (end < 0) {
        problems.add(
            path
                + ": '"
                + text
                + "' has '${' without a closing '}'. Write ${name}, or $${ for a literal ${.");
        return text;
      }
      String name = text.substring(i + 2, end).trim();
      String value = lookup(name, path, problems);
      sb.append(value == null ? text.substring(i, end + 1) : value);
      i = end + 1;
    }
    return sb.toString();
  }

  private String lookup(String name, String path, Problems problems) {
    if (name.startsWith(ENV_PREFIX)) {
      String var = name.substring(ENV_PREFIX.length()).trim();
      if (var.isEmpty()) {
        problems.add(path + ": ${env:} names no environment variable; write ${env:NAME}.");
        return null;
      }
      String value = env.apply(var);
      if (value == null) {
        problems.add(
            path
                + ": environment variable "
                + var
                + " (referenced as ${env:"
                + var
                + "}) is not set in the"
                + " driver's environment. Export it before launching the job (in cluster deploy mode, pass it to the"
                + " driver, e.g. spark.yarn.appMasterEnv."
                + var
                + " or spark.kubernetes.driverEnv."
                + var
                + ").");
      }
      return value;
    }
    if (!NAME.matcher(name).matches()) {
      problems.add(
          path
              + ": '${"
              + name
              + "}' is not a variable reference; names use letters, digits, '_', '.' or"
              + " '-'. Write $${ for a literal ${.");
      return null;
    }
    String value = values.get(name);
    if (value == null) {
      Set<String> known = new TreeSet<>(values.keySet());
      problems.add(
          path
              + ": unknown variable ${"
              + name
              + "}; set it on the command line with --var "
              + name
              + "="
              + example(name)
              + " (variables set: "
              + known
              + ")."
              + Problems.didYouMean(name, known));
    }
    return value;
  }

  private static String example(String name) {
    return name.equals("ds") || name.endsWith("date")
        ? LocalDate.now(ZoneOffset.UTC).toString()
        : "VALUE";
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Variables[");
    for (Iterator<Map.Entry<String, String>> it = values.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, String> e = it.next();
      sb.append(e.getKey())
          .append('=')
          .append(Redaction.isSecret(e.getKey()) ? Redaction.MASK : e.getValue());
      sb.append(it.hasNext() ? ", " : "");
    }
    return sb.append(']').toString();
  }
}
