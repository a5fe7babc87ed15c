package io.batchinfer.tools;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.tribuo.Dataset;
import org.tribuo.Example;
import org.tribuo.ImmutableDataset;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.ImmutableOutputInfo;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Generates the committed sample model {@code models/iris/iris-logreg.onnx}: a real, tiny
 * classifier the jobs, tests and examples can run end to end without downloading anything.
 *
 * <p>It trains a multinomial logistic regression on all 150 rows of {@code data/iris/iris.csv} with
 * Tribuo ({@link LinearSGDTrainer}, {@link LogMulticlass} objective, AdaGrad, fixed seed,
 * single-threaded), exports it with Tribuo's {@code exportONNXModel}, and then checks the written
 * file with ONNX Runtime: it prints the input/output signature and compares ONNX Runtime's output
 * with Tribuo's own prediction on every row.
 *
 * <p>Two details make the file safe to document and to regenerate:
 *
 * <ul>
 *   <li><b>Column and class order.</b> Tribuo numbers features by sorting their names, and that
 *       number is the ONNX input column. The features are therefore named {@code f0_sepal_length} …
 *       {@code f3_petal_width}, so that the ONNX input columns are in CSV order (sepal_length,
 *       sepal_width, petal_length, petal_width). Class indices are fixed explicitly (0 setosa, 1
 *       versicolor, 2 virginica). Both are asserted after training.
 *   <li><b>Byte-for-byte determinism.</b> Tribuo stores the model provenance (training time, JVM
 *       and OS details) in the {@code TRIBUO_PROVENANCE} metadata entry and the doc string. Those
 *       are replaced by a fixed description plus {@code feature_names} and {@code labels} metadata,
 *       so that rerunning the generator reproduces the same sha256.
 * </ul>
 *
 * <p>Usage: {@code IrisModelGenerator [repoRoot]} (default: the current directory). Set {@code
 * ORT_DISABLE_TELEMETRY=1}: ONNX Runtime 1.29.0 crashes in JVMs with long command lines otherwise.
 * See {@code models/README.md} for the full command.
 */
public final class IrisModelGenerator {

  /** Repository-relative output path. */
  static final String MODEL_PATH = "models/iris/iris-logreg.onnx";

  private static final String ONNX_DOMAIN = "io.batchinfer.models.iris";
  private static final long ONNX_MODEL_VERSION = 1L;

  // Training hyperparameters. Changing any of them changes the model bytes and its sha256.
  private static final long SEED = 12345L;
  private static final int EPOCHS = 100;
  private static final int MINIBATCH_SIZE = 1;
  private static final double ADAGRAD_LEARNING_RATE = 0.5;
  private static final double ADAGRAD_EPSILON = 0.1;
  private static final int LOGGING_INTERVAL = Integer.MAX_VALUE;

  /** Tolerance between Tribuo's double-precision scores and ONNX Runtime's float32 output. */
  private static final double TOLERANCE = 1e-5;

  private IrisModelGenerator() {}

  /**
   * Trains, exports, verifies and describes the iris model.
   *
   * @param args optional repository root (default: the current directory)
   * @throws Exception on I/O or ONNX Runtime failure, or if a verification fails
   */
  public static void main(String[] args) throws Exception {
    Path repoRoot = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
    if (!"1".equals(System.getenv("ORT_DISABLE_TELEMETRY"))) {
      System.err.println(
          "warning: ORT_DISABLE_TELEMETRY is not 1; ONNX Runtime 1.29.0 may crash (SIGSEGV) "
              + "in a JVM with a long command line. Run with ORT_DISABLE_TELEMETRY=1.");
    }
    List<IrisCsv.Row> rows = IrisCsv.read(repoRoot);
    String[] tribuoNames = tribuoFeatureNames();

    Dataset<Label> dataset = buildDataset(rows, tribuoNames);
    LinearSGDTrainer trainer =
        new LinearSGDTrainer(
            new LogMulticlass(),
            new AdaGrad(ADAGRAD_LEARNING_RATE, ADAGRAD_EPSILON),
            EPOCHS,
            LOGGING_INTERVAL,
            MINIBATCH_SIZE,
            SEED);
    LinearSGDModel model = trainer.train(dataset);
    checkDomains(model, tribuoNames);

    double accuracy = new LabelFactory().getEvaluator().evaluate(model, dataset).accuracy();
    System.out.printf("trainer: %s%n", trainer);
    System.out.printf("training accuracy: %.4f (%d rows)%n", accuracy, rows.size());

    Path modelFile = repoRoot.resolve(MODEL_PATH);
    byte[] onnxBytes = deterministicOnnx(model).toByteArray();
    writeAtomically(modelFile, onnxBytes);
    System.out.printf(
        "wrote %s (%d bytes) sha256=%s%n", MODEL_PATH, onnxBytes.length, sha256(onnxBytes));

    describeGraph(OnnxMl.ModelProto.parseFrom(Files.readAllBytes(modelFile)));
    verifyWithOnnxRuntime(modelFile, model, dataset, rows);
  }

  /** Tribuo feature names whose sort order is the CSV column order (see class Javadoc). */
  private static String[] tribuoFeatureNames() {
    String[] names = new String[IrisCsv.FEATURES.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = "f" + i + "_" + IrisCsv.FEATURES.get(i);
    }
    return names;
  }

  /** Builds the training set with class ids fixed to the index in {@link IrisCsv#SPECIES}. */
  private static Dataset<Label> buildDataset(List<IrisCsv.Row> rows, String[] tribuoNames) {
    LabelFactory factory = new LabelFactory();
    MutableDataset<Label> mutable =
        new MutableDataset<>(new SimpleDataSourceProvenance(IrisCsv.CSV_PATH, factory), factory);
    for (IrisCsv.Row row : rows) {
      mutable.add(new ArrayExample<>(new Label(row.species()), tribuoNames, row.features()));
    }
    Map<Label, Integer> labelIds = new LinkedHashMap<>();
    for (int i = 0; i < IrisCsv.SPECIES.size(); i++) {
      labelIds.put(new Label(IrisCsv.SPECIES.get(i)), i);
    }
    ImmutableOutputInfo<Label> outputInfo = factory.constructInfoForExternalModel(labelIds);
    return ImmutableDataset.copyDataset(mutable, mutable.getFeatureIDMap(), outputInfo);
  }

  /** Fails unless feature id i is CSV column i and class id i is {@code SPECIES[i]}. */
  private static void checkDomains(LinearSGDModel model, String[] tribuoNames) {
    ImmutableFeatureMap features = model.getFeatureIDMap();
    if (features.size() != tribuoNames.length) {
      throw new IllegalStateException(
          "expected " + tribuoNames.length + " features, found " + features.size());
    }
    for (int i = 0; i < tribuoNames.length; i++) {
      if (!features.get(i).getName().equals(tribuoNames[i])) {
        throw new IllegalStateException(
            "feature id "
                + i
                + ": expected "
                + tribuoNames[i]
                + " but found "
                + features.get(i).getName());
      }
    }
    ImmutableOutputInfo<Label> labels = model.getOutputIDInfo();
    for (int i = 0; i < IrisCsv.SPECIES.size(); i++) {
      if (!labels.getOutput(i).getLabel().equals(IrisCsv.SPECIES.get(i))) {
        throw new IllegalStateException(
            "class id "
                + i
                + ": expected "
                + IrisCsv.SPECIES.get(i)
                + " but found "
                + labels.getOutput(i).getLabel());
      }
    }
  }

  /**
   * Tribuo's export with the run-specific provenance replaced by fixed, documented metadata, so
   * that the bytes depend only on the data and the hyperparameters.
   */
  private static OnnxMl.ModelProto deterministicOnnx(LinearSGDModel model) {
    OnnxMl.ModelProto exported = model.exportONNXModel(ONNX_DOMAIN, ONNX_MODEL_VERSION);
    String doc =
        "Iris species classifier: multinomial logistic regression (Tribuo LinearSGDTrainer, "
            + "LogMulticlass, AdaGrad("
            + ADAGRAD_LEARNING_RATE
            + ", "
            + ADAGRAD_EPSILON
            + "), "
            + EPOCHS
            + " epochs, minibatch "
            + MINIBATCH_SIZE
            + ", seed "
            + SEED
            + ") trained on "
            + IrisCsv.CSV_PATH
            + ". Input: raw measurements in cm, columns "
            + String.join(", ", IrisCsv.FEATURES)
            + ". Output: softmax probabilities for "
            + String.join(", ", IrisCsv.SPECIES)
            + ". Generated by io.batchinfer.tools.IrisModelGenerator.";
    return exported.toBuilder()
        .clearMetadataProps()
        .setDocString(doc)
        .addMetadataProps(metadata("feature_names", String.join(",", IrisCsv.FEATURES)))
        .addMetadataProps(metadata("labels", String.join(",", IrisCsv.SPECIES)))
        .build();
  }

  private static OnnxMl.StringStringEntryProto metadata(String key, String value) {
    return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  /** Prints the graph as stored in the file: IR version, opsets, value infos and operators. */
  private static void describeGraph(OnnxMl.ModelProto proto) {
    System.out.printf(
        "onnx: ir_version=%d opset=%s producer=%s %s domain=%s model_version=%d%n",
        proto.getIrVersion(),
        proto.getOpsetImportList().stream()
            .map(o -> (o.getDomain().isEmpty() ? "ai.onnx" : o.getDomain()) + ":" + o.getVersion())
            .collect(Collectors.joining(",")),
        proto.getProducerName(),
        proto.getProducerVersion(),
        proto.getDomain(),
        proto.getModelVersion());
    OnnxMl.GraphProto graph = proto.getGraph();
    for (OnnxMl.ValueInfoProto v : graph.getInputList()) {
      System.out.printf("onnx graph input : %s%n", valueInfo(v));
    }
    for (OnnxMl.ValueInfoProto v : graph.getOutputList()) {
      System.out.printf("onnx graph output: %s%n", valueInfo(v));
    }
    System.out.printf(
        "onnx graph nodes : %s%n",
        graph.getNodeList().stream()
            .map(
                n ->
                    n.getOpType()
                        + "("
                        + String.join(", ", n.getInputList())
                        + ") -> "
                        + String.join(", ", n.getOutputList()))
            .collect(Collectors.joining("; ")));
    for (OnnxMl.StringStringEntryProto m : proto.getMetadataPropsList()) {
      System.out.printf("onnx metadata    : %s=%s%n", m.getKey(), m.getValue());
    }
  }

  private static String valueInfo(OnnxMl.ValueInfoProto v) {
    OnnxMl.TypeProto.Tensor t = v.getType().getTensorType();
    String dims =
        t.getShape().getDimList().stream()
            .map(
                d -> d.hasDimValue() ? Long.toString(d.getDimValue()) : "'" + d.getDimParam() + "'")
            .collect(Collectors.joining(", "));
    return v.getName()
        + " ["
        + dims
        + "] "
        + OnnxMl.TensorProto.DataType.forNumber(t.getElemType());
  }

  /**
   * Opens the written file with ONNX Runtime, prints its signature, runs all rows in one batch in
   * CSV column order and checks the output against Tribuo's prediction for every row and class.
   */
  private static void verifyWithOnnxRuntime(
      Path modelFile, LinearSGDModel model, Dataset<Label> dataset, List<IrisCsv.Row> rows)
      throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(modelFile.toString(), options)) {
        for (NodeInfo in : session.getInputInfo().values()) {
          System.out.printf("ort input : %s%n", signature(in));
        }
        for (NodeInfo out : session.getOutputInfo().values()) {
          System.out.printf("ort output: %s%n", signature(out));
        }
        String inputName = session.getInputNames().iterator().next();

        float[][] csvOrder = new float[rows.size()][];
        float[][] alphabeticalOrder = new float[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
          double[] f = rows.get(r).features();
          csvOrder[r] = new float[] {(float) f[0], (float) f[1], (float) f[2], (float) f[3]};
          // petal_length, petal_width, sepal_length, sepal_width: what sorted plain names would
          // give.
          alphabeticalOrder[r] =
              new float[] {(float) f[2], (float) f[3], (float) f[0], (float) f[1]};
        }
        float[][] probs = run(env, session, inputName, csvOrder);
        float[][] wrongOrderProbs = run(env, session, inputName, alphabeticalOrder);

        double maxDiff = 0;
        double maxSumError = 0;
        int argmaxMismatches = 0;
        int wrongOrderDisagreements = 0;
        int r = 0;
        for (Example<Label> example : dataset) {
          Prediction<Label> prediction = model.predict(example);
          Map<String, Label> scores = prediction.getOutputScores();
          float sum = 0;
          for (int c = 0; c < IrisCsv.SPECIES.size(); c++) {
            double tribuo = scores.get(IrisCsv.SPECIES.get(c)).getScore();
            maxDiff = Math.max(maxDiff, Math.abs(tribuo - probs[r][c]));
            sum += probs[r][c];
          }
          maxSumError = Math.max(maxSumError, Math.abs(sum - 1.0));
          String onnxLabel = IrisCsv.SPECIES.get(argmax(probs[r]));
          if (!onnxLabel.equals(prediction.getOutput().getLabel())) {
            argmaxMismatches++;
          }
          if (argmax(wrongOrderProbs[r]) != argmax(probs[r])) {
            wrongOrderDisagreements++;
          }
          r++;
        }
        System.out.printf(
            "verify: %d rows, max |tribuo - onnx| = %.3g, max |sum(probs) - 1| = %.3g, "
                + "argmax mismatches = %d%n",
            r, maxDiff, maxSumError, argmaxMismatches);
        System.out.printf(
            "verify: feeding columns in alphabetical order instead changes the predicted "
                + "class of %d/%d rows%n",
            wrongOrderDisagreements, r);
        if (r != rows.size()
            || maxDiff > TOLERANCE
            || maxSumError > TOLERANCE
            || argmaxMismatches != 0) {
          throw new IllegalStateException("ONNX Runtime output does not match Tribuo's prediction");
        }
      }
    }
  }

  private static float[][] run(
      OrtEnvironment env, OrtSession session, String inputName, float[][] batch)
      throws OrtException {
    try (OnnxTensor input = OnnxTensor.createTensor(env, batch);
        OrtSession.Result result = session.run(Map.of(inputName, input))) {
      return (float[][]) result.get(0).getValue();
    }
  }

  private static String signature(NodeInfo node) {
    TensorInfo info = (TensorInfo) node.getInfo();
    StringBuilder dims = new StringBuilder();
    long[] shape = info.getShape();
    for (int i = 0; i < shape.length; i++) {
      dims.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
    }
    return node.getName() + " [" + dims + "] " + onnxNotation(info) + " (" + info.onnxType + ")";
  }

  /** Element type as written in ONNX notation ({@code float32}, not Java's {@code float}). */
  private static String onnxNotation(TensorInfo info) {
    switch (info.type) {
      case FLOAT:
        return "float32";
      case DOUBLE:
        return "float64";
      default:
        return info.type.toString().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JDK", e);
    }
  }
}
