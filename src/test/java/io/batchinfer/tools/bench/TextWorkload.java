package io.batchinfer.tools.bench;

import static io.batchinfer.tools.bench.BenchData.q;

import io.batchinfer.udfs.BatchInference;
import io.batchinfer.udfs.OutputMapping;
import io.batchinfer.udfs.Pooling;
import io.batchinfer.udfs.TextInput;
import io.batchinfer.udfs.text.EncodedRows;
import io.batchinfer.udfs.text.TextTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

/**
 * The text workload: all-MiniLM-L6-v2 (int8) sentence embeddings of real WordNet sentences ({@code
 * data/sentences/sentences-8000.parquet}), batch 32, max_length 128, mean pooling, L2-normalised,
 * id and text passed through. Length-aware batching on (windows of 8 batches) and off; raw ONNX
 * Runtime on the same batches pre-tokenized, and on batches padded to 128 tokens (what a script
 * that pads to max_length feeds the model). Benchmark code, driver JVM only.
 */
public final class TextWorkload {
  static final int BATCH = 32;
  static final int WINDOW = 8;

  /**
   * The padded-to-128 path is measured on this many sentences (its rate does not depend on the
   * count).
   */
  static final int PADDED_ROWS = 1024;

  private TextWorkload() {}

  public static void run(BenchData d, int rows, int repeats, Report report) throws Exception {
    Path model = d.root.resolve("models/all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
    Path tokenizerJson =
        d.root.resolve("models/all-minilm-l6-v2-q/all-minilm-l6-v2-q-tokenizer.json");
    Path corpus = d.root.resolve("data/sentences/sentences-8000.parquet");
    Path data = d.out.resolve("data").resolve("text-" + rows);
    d.spark
        .read()
        .parquet(corpus.toString())
        .orderBy("id")
        .limit(rows)
        .coalesce(1)
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(data.toString());
    List<String> texts =
        d.spark
            .read()
            .parquet(data.toString())
            .orderBy("id")
            .select("text")
            .as(Encoders.STRING())
            .collectAsList();
    int n = texts.size();
    Map<String, String> notes = new LinkedHashMap<>();

    RawOrt windowed = new RawOrt(model, d.threads);
    RawOrt padded = new RawOrt(model, d.threads);
    long realTokens = 0;
    long fedWindowed = 0;
    long fedPlain = 0;
    try (TextTokenizer tokenizer = TextTokenizer.fromFile(tokenizerJson, 128)) {
      String[] all = texts.toArray(new String[0]);
      for (int w = 0; w < n; w += BATCH * WINDOW) {
        int count = Math.min(BATCH * WINDOW, n - w);
        EncodedRows window = tokenizer.encodeRows(Arrays.copyOfRange(all, w, w + count), count);
        int[] lengths = window.lengths();
        for (int i = 0; i < count; i += BATCH) {
          int max = 0;
          for (int j = i; j < Math.min(i + BATCH, count); j++) {
            max = Math.max(max, lengths[j]);
          }
          fedPlain += (long) Math.min(BATCH, count - i) * max;
        }
        int[] order =
            IntStream.range(0, count)
                .boxed()
                .sorted((a, b) -> Integer.compare(lengths[a], lengths[b]))
                .mapToInt(Integer::intValue)
                .toArray();
        for (int i = 0; i < count; i += BATCH) {
          int b = Math.min(BATCH, count - i);
          TextTokenizer.Batch batch = window.select(Arrays.copyOfRange(order, i, i + b), b);
          windowed.addTokenBatch(
              batch.inputIds(), batch.attentionMask(), batch.tokenTypeIds(), b, batch.seqLen());
          fedWindowed += (long) b * batch.seqLen();
        }
        for (int len : lengths) {
          realTokens += len;
        }
      }
      for (int i = 0; i < Math.min(PADDED_ROWS, n); i += BATCH) {
        int b = Math.min(BATCH, Math.min(PADDED_ROWS, n) - i);
        TextTokenizer.Batch batch = tokenizer.encode(Arrays.copyOfRange(all, i, i + b), b);
        padded.addTokenBatch(
            pad(batch.inputIds(), batch.seqLen(), b),
            pad(batch.attentionMask(), batch.seqLen(), b),
            pad(batch.tokenTypeIds(), batch.seqLen(), b),
            b,
            128);
      }
      notes.put(
          "tokens",
          String.format(
              Locale.ROOT,
              "real %d; fed without windows %d, with windows of %d batches %d,"
                  + " padded to 128: %d",
              realTokens,
              fedPlain,
              WINDOW,
              fedWindowed,
              128L * n));
      notes.put("tokenization", tokenization(tokenizer, all));
    }
    String name = "text-" + n;
    String yaml =
        """
        job: {name: %s}
        input: {path: %s, partitions: %d}
        model:
          path: %s
          batch_size: %d
          threads: 1
          length_window: %d
        text: {column: text, tokenizer: %s, max_length: 128}
        outputs:
          last_hidden_state: {column: embedding, pooling: mean, normalize: true}
        passthrough: [id, text]
        output: {path: %s, mode: overwrite}
        """
            .formatted(
                name,
                q(data),
                d.threads,
                q(model),
                BATCH,
                WINDOW,
                q(tokenizerJson),
                q(d.output(name + "-job")));
    Trial t =
        new Trial(name)
            .add("raw", windowed::runAll)
            .add("raw-padded-128", padded::runAll)
            .add("io", () -> d.ioOnly(data, List.of("id", "text"), d.threads, n, name))
            .add("engine", () -> engine(d, model, tokenizerJson, data, WINDOW, name, n))
            .add(
                "engine-no-length-window",
                () -> engine(d, model, tokenizerJson, data, 1, name + "-w1", n));
    if (d.job) {
      t.addCold("job", () -> d.runJob(name, yaml, n));
    }
    try {
      report.add(
          new Report.Workload(
              name,
              "all-MiniLM-L6-v2 int8, mean pooling + L2, length window "
                  + WINDOW
                  + " (engine) vs 1; raw-padded-128 on the first "
                  + Math.min(PADDED_ROWS, n)
                  + " sentences",
              n,
              BATCH,
              t.run(repeats),
              notes));
    } finally {
      windowed.close();
      padded.close();
    }
  }

  private static long engine(
      BenchData d, Path model, Path tokenizer, Path data, int window, String name, long rows) {
    Dataset<Row> in = d.spark.read().parquet(data.toString()).repartition(d.threads);
    BatchInference.builder()
        .modelPath(model.toString(), null)
        .text(TextInput.of("text", tokenizer.toString(), 128))
        .output(
            "last_hidden_state",
            OutputMapping.toColumn("embedding").withPooling(Pooling.MEAN).withNormalize())
        .passthrough(List.of("id", "text"))
        .batchSize(BATCH)
        .lengthWindow(window)
        .score(in)
        .scored()
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(d.output(name + "-engine").toString());
    return rows;
  }

  /**
   * Tokenization alone, one thread: per text then per batch (before) against once per window (now).
   */
  private static String tokenization(TextTokenizer tokenizer, String[] all) {
    double twice = Double.MAX_VALUE;
    double once = Double.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      long start = System.nanoTime();
      for (int w = 0; w < all.length; w += BATCH * WINDOW) {
        int count = Math.min(BATCH * WINDOW, all.length - w);
        for (int i = 0; i < count; i++) {
          tokenizer.tokenCount(all[w + i]);
        }
        for (int i = 0; i < count; i += BATCH) {
          int b = Math.min(BATCH, count - i);
          tokenizer.encode(Arrays.copyOfRange(all, w + i, w + i + b), b);
        }
      }
      twice = Math.min(twice, (System.nanoTime() - start) / 1e9);
      start = System.nanoTime();
      for (int w = 0; w < all.length; w += BATCH * WINDOW) {
        int count = Math.min(BATCH * WINDOW, all.length - w);
        EncodedRows rows = tokenizer.encodeRows(Arrays.copyOfRange(all, w, w + count), count);
        for (int i = 0; i < count; i += BATCH) {
          int b = Math.min(BATCH, count - i);
          rows.select(IntStream.range(i, i + b).toArray(), b);
        }
      }
      once = Math.min(once, (System.nanoTime() - start) / 1e9);
    }
    return String.format(
        Locale.ROOT,
        "tokenize per text + per batch %.0f texts/s; once per window %.0f texts/s"
            + " (%.2fx; best of 3)",
        all.length / twice,
        all.length / once,
        twice / once);
  }

  private static long[] pad(long[] v, int from, int rows) {
    long[] out = new long[rows * 128];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(v, r * from, out, r * 128, Math.min(from, 128));
    }
    return out;
  }
}
