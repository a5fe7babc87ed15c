package io.batchinfer.udfs;

import java.util.List;

/**
 * What to write for one model output ({@code outputs.<name>} in the job config). Immutable; build
 * with {@link #toColumn(String)} and the {@code with*} methods.
 *
 * @param column column for the output values (softmaxed when {@code softmax}); null to not write
 *     them
 * @param softmax apply softmax over the class axis
 * @param argmax column for the index of the largest value, or null
 * @param topK top-k indices and scores, or null
 * @param labels index-to-label list, or null; the label of the argmax goes to {@code labelColumn}
 * @param labelColumn column for the label; defaults to {@code <argmax>_label} (or {@code label})
 * @param pooling pooling of token vectors {@code [batch, tokens, hidden]} into one vector per row,
 *     or null
 * @param normalize L2-normalize the written vector
 * @param as how a map or sequence-of-maps output (ONNX-ML, ZipMap) is written; null means {@link
 *     MapForm#MAP}; only for such outputs
 * @param classes the map keys, as written in config, in the order of the array form ({@code
 *     outputs.<name>.classes}); null for the keys sorted ascending
 */
public record OutputMapping(
    String column,
    boolean softmax,
    String argmax,
    TopK topK,
    List<String> labels,
    String labelColumn,
    Pooling pooling,
    boolean normalize,
    MapForm as,
    List<String> classes) {
  public OutputMapping {
    labels = labels == null ? null : List.copyOf(labels);
    classes = classes == null ? null : List.copyOf(classes);
  }

  /** A mapping for a tensor output (no map form, no class order). */
  public OutputMapping(
      String column,
      boolean softmax,
      String argmax,
      TopK topK,
      List<String> labels,
      String labelColumn,
      Pooling pooling,
      boolean normalize) {
    this(column, softmax, argmax, topK, labels, labelColumn, pooling, normalize, null, null);
  }

  /**
   * @return this mapping writing a map or sequence-of-maps output as an array in the order of
   *     {@code classOrder} (map keys as strings; null: keys sorted ascending)
   */
  public OutputMapping asArray(List<String> classOrder) {
    return new OutputMapping(
        column,
        softmax,
        argmax,
        topK,
        labels,
        labelColumn,
        pooling,
        normalize,
        MapForm.ARRAY,
        classOrder);
  }

  /**
   * @return this mapping with the map form set explicitly (null: the default, {@link MapForm#MAP})
   */
  public OutputMapping withForm(MapForm form, List<String> classOrder) {
    return new OutputMapping(
        column, softmax, argmax, topK, labels, labelColumn, pooling, normalize, form, classOrder);
  }

  /**
   * Top-k post-processing ({@code outputs.<name>.top_k}).
   *
   * @param k how many entries, at least 1
   * @param indices column for the indices ({@code array<int>}), largest first
   * @param scores column for the matching values
   */
  public record TopK(int k, String indices, String scores) {}

  /**
   * @return a mapping writing the output's values to {@code column}
   */
  public static OutputMapping toColumn(String column) {
    return new OutputMapping(column, false, null, null, null, null, null, false);
  }

  /**
   * @return a mapping that writes no raw values (add argmax, top-k or labels)
   */
  public static OutputMapping none() {
    return new OutputMapping(null, false, null, null, null, null, null, false);
  }

  /**
   * @return this mapping with softmax on
   */
  public OutputMapping withSoftmax() {
    return new OutputMapping(
        column, true, argmax, topK, labels, labelColumn, pooling, normalize, as, classes);
  }

  /**
   * @return this mapping writing the argmax index to {@code argmaxColumn}
   */
  public OutputMapping withArgmax(String argmaxColumn) {
    return new OutputMapping(
        column, softmax, argmaxColumn, topK, labels, labelColumn, pooling, normalize, as, classes);
  }

  /**
   * @return this mapping writing the top {@code k} indices and scores
   */
  public OutputMapping withTopK(int k, String indicesColumn, String scoresColumn) {
    return new OutputMapping(
        column,
        softmax,
        argmax,
        new TopK(k, indicesColumn, scoresColumn),
        labels,
        labelColumn,
        pooling,
        normalize,
        as,
        classes);
  }

  /**
   * @return this mapping pooling token vectors into one vector per row
   */
  public OutputMapping withPooling(Pooling mode) {
    return new OutputMapping(
        column, softmax, argmax, topK, labels, labelColumn, mode, normalize, as, classes);
  }

  /**
   * @return this mapping L2-normalizing the written vector
   */
  public OutputMapping withNormalize() {
    return new OutputMapping(
        column, softmax, argmax, topK, labels, labelColumn, pooling, true, as, classes);
  }

  /**
   * @return this mapping writing the label of the argmax to {@code labelColumn} (null: the default
   *     name)
   */
  public OutputMapping withLabels(List<String> labelList, String labelColumnName) {
    return new OutputMapping(
        column, softmax, argmax, topK, labelList, labelColumnName, pooling, normalize, as, classes);
  }
}
