package io.batchinfer.udfs;

import java.util.List;
import java.util.Objects;

/**
 * A user mistake found before (or instead of) running any task: a wrong config key, a column
 * missing from the input, a model whose signature does not match the mapping, a sha256 pin that
 * does not match, an output path that already exists.
 *
 * <p>Carries every problem found, not just the first, so a user fixes them in one round. Each
 * problem names where (config key path, column, model input/output), expected vs found, and a fix.
 * The job's {@code main} prints {@link #getMessage()} without a stack trace and exits with {@code
 * ExitCodes.INVALID}. Thread-safe (immutable).
 */
public final class ValidationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final List<String> problems;

  /**
   * @param source what was validated, e.g. {@code conf/iris.yaml}; may be empty
   * @param problems one message per problem, at least one
   */
  public ValidationException(String source, List<String> problems) {
    super(format(source, problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ValidationException needs at least one problem");
    }
    this.source = Objects.requireNonNullElse(source, "");
    this.problems = List.copyOf(problems);
  }

  /** A single problem with no source. */
  public ValidationException(String problem) {
    this("", List.of(problem));
  }

  /**
   * @return the problems, in the order found
   */
  public List<String> problems() {
    return problems;
  }

  /**
   * @return what was validated (a config file name), or an empty string
   */
  public String source() {
    return source;
  }

  /**
   * @return a copy of this exception attributed to {@code newSource}
   */
  public ValidationException withSource(String newSource) {
    return new ValidationException(newSource, problems);
  }

  private static String format(String source, List<String> problems) {
    String where = source == null || source.isEmpty() ? "" : " in " + source;
    if (problems.size() == 1) {
      return "1 problem" + where + ": " + problems.get(0);
    }
    StringBuilder sb =
        new StringBuilder().append(problems.size()).append(" problems").append(where).append(':');
    for (String p : problems) {
      sb.append("\n  - ").append(p.replace("\n", "\n    "));
    }
    return sb.toString();
  }
}
