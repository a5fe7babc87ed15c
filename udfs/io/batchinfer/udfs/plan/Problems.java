package io.batchinfer.udfs.plan;

import io.batchinfer.udfs.ValidationException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * Collects user-facing validation problems and suggests the nearest valid name for a typo. Driver
 * only; not thread-safe (one instance per validation pass).
 */
public final class Problems {
  private static final LevenshteinDistance LEVENSHTEIN = LevenshteinDistance.getDefaultInstance();
  private final List<String> list = new ArrayList<>();

  /** Records one problem. */
  public void add(String problem) {
    list.add(problem);
  }

  /** Records every problem of {@code e}. */
  public void addAll(ValidationException e) {
    list.addAll(e.problems());
  }

  /**
   * @return true when nothing was recorded
   */
  /**
   * @return how many problems were recorded so far
   */
  public int size() {
    return list.size();
  }

  public boolean isEmpty() {
    return list.isEmpty();
  }

  /**
   * @return the recorded problems, in order
   */
  public List<String> list() {
    return List.copyOf(list);
  }

  /** Throws a {@link ValidationException} carrying every recorded problem, if any. */
  public void throwIfAny(String source) {
    if (!list.isEmpty()) {
      throw new ValidationException(source, list);
    }
  }

  /**
   * Returns {@code " Did you mean 'x'?"} for the candidate closest to {@code name} (edit distance
   * at most 2, or a third of the name's length for long names, and less than the name's length;
   * case-insensitive), or an empty string.
   */
  public static String didYouMean(String name, Collection<String> candidates) {
    if (name == null) {
      return "";
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    String lower = name.toLowerCase(Locale.ROOT);
    for (String c : candidates) {
      int d = LEVENSHTEIN.apply(lower, c.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    if (best == null
        || bestDistance > Math.max(2, name.length() / 3)
        || bestDistance >= name.length()) {
      return "";
    }
    return " Did you mean '" + best + "'?";
  }
}
