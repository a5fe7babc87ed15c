package io.batchinfer.udfs.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.batchinfer.udfs.text.TextTokenizer.Batch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tests {@link TextTokenizer} with the real all-MiniLM-L6-v2 {@code tokenizer.json} (BERT uncased
 * WordPiece; its JSON asks for truncation and padding to 128). The file is unpacked from Maven
 * Central by the build into {@code models/all-minilm-l6-v2/}; the tests fail when it is missing.
 *
 * <p>The oracle for ids is DJL itself, used directly on one sentence at a time with truncation and
 * padding off, plus a few ids checked by hand against the BERT uncased vocabulary ({@code
 * [CLS]}=101, {@code [SEP]}=102, {@code [PAD]}=0, "hello"=7592, "world"=2088, "!"=999, "fox"=4419).
 */
class TextTokenizerTest {
  private static final int MAX_LENGTH = 128;
  private static final long CLS = 101;
  private static final long SEP = 102;
  private static final long FOX = 4419;

  private static final String[] SENTENCES = {
    "Hello world!",
    "The quick brown fox jumps over the lazy dog.",
    "",
    "A man is playing a guitar on the street corner while people walk by.",
    "Café naïve résumé: accents are stripped, and 日本語 is split per character.",
    "it was about 500 square feet in area",
  };

  private static Path json;
  private static TextTokenizer tokenizer;

  @BeforeAll
  static void open() throws IOException {
    // The build unpacks the model in generate-resources: a missing file is a build bug, so fail.
    json = io.batchinfer.testing.Projects.miniLmTokenizer();
    tokenizer = TextTokenizer.fromFile(json, MAX_LENGTH);
  }

  @AfterAll
  static void close() {
    if (tokenizer != null) {
      tokenizer.close();
    }
  }

  /** DJL used directly, one sentence at a time, no truncation, no padding. */
  private static long[][] oracleIds(String... texts) throws IOException {
    try (InputStream in = Files.newInputStream(json);
        HuggingFaceTokenizer djl =
            HuggingFaceTokenizer.newInstance(
                in, Map.of("truncation", "false", "padding", "false"))) {
      long[][] ids = new long[texts.length][];
      for (int i = 0; i < texts.length; i++) {
        ids[i] = djl.encode(texts[i]).getIds();
      }
      return ids;
    }
  }

  private static long[] row(long[] flat, Batch batch, int r) {
    return Arrays.copyOfRange(flat, r * batch.seqLen(), (r + 1) * batch.seqLen());
  }

  /**
   * Unlike AssertJ's {@code containsOnly(0L)}, also passes for an empty array (the longest row).
   */
  private static void assertAllZero(long[] values, String description) {
    assertThat(Arrays.stream(values).filter(v -> v != 0).count()).as(description).isZero();
  }

  private static String repeat(String word, int times) {
    return String.join(" ", Collections.nCopies(times, word));
  }

  @Test
  void encodesKnownSentenceToVocabularyIds() {
    Batch batch = tokenizer.encode(new String[] {"Hello world!"}, 1);

    assertThat(batch.rows()).isEqualTo(1);
    assertThat(batch.seqLen()).isEqualTo(5);
    assertThat(batch.inputIds()).containsExactly(CLS, 7592, 2088, 999, SEP);
    assertThat(batch.attentionMask()).containsOnly(1L);
    assertThat(batch.tokenTypeIds()).containsOnly(0L);
    assertThat(batch.truncatedRows()).isZero();
  }

  @Test
  void rowsEqualTheTokenizerOutputForEachSentenceAlone() throws IOException {
    long[][] expected = oracleIds(SENTENCES);

    Batch batch = tokenizer.encode(SENTENCES, SENTENCES.length);

    for (int r = 0; r < SENTENCES.length; r++) {
      long[] ids = row(batch.inputIds(), batch, r);
      int n = expected[r].length;
      assertThat(Arrays.copyOf(ids, n))
          .as("row %d: %s", r, SENTENCES[r])
          .containsExactly(expected[r]);
      assertAllZero(Arrays.copyOfRange(ids, n, batch.seqLen()), "row " + r + " padding ids");
    }
  }

  @Test
  void padsToTheLongestRowOfTheBatchNotToMaxLength() throws IOException {
    int longest =
        Arrays.stream(oracleIds(SENTENCES)).mapToInt(ids -> ids.length).max().orElseThrow();

    Batch batch = tokenizer.encode(SENTENCES, SENTENCES.length);

    assertThat(batch.seqLen()).isEqualTo(longest).isLessThan(MAX_LENGTH);
    assertThat(batch.inputIds()).hasSize(SENTENCES.length * longest);
    assertThat(batch.attentionMask()).hasSize(SENTENCES.length * longest);
    assertThat(batch.tokenTypeIds()).hasSize(SENTENCES.length * longest);
    assertThat(batch.shape()).containsExactly(SENTENCES.length, longest);
  }

  @Test
  void batchCutFromAnEncodedWindowEqualsEncodingThatBatch() throws IOException {
    // Texts of many lengths, one truncated (30 + 2 special tokens > 16), so subsets have
    // different longest rows and padding.
    String[] window = new String[SENTENCES.length + 2];
    System.arraycopy(SENTENCES, 0, window, 0, SENTENCES.length);
    window[SENTENCES.length] = repeat("fox", 30);
    window[SENTENCES.length + 1] = "a";
    try (TextTokenizer t16 = TextTokenizer.fromFile(json, 16)) {
      EncodedRows rows = t16.encodeRows(window, window.length);
      assertThat(rows.rightPadded()).isTrue();
      java.util.Random random = new java.util.Random(3);
      for (int trial = 0; trial < 50; trial++) {
        int count = 1 + random.nextInt(window.length);
        int[] picks = random.ints(count, 0, window.length).toArray();
        String[] subset = new String[count];
        for (int i = 0; i < count; i++) {
          subset[i] = window[picks[i]];
          assertThat(rows.lengths()[picks[i]]).isEqualTo(t16.tokenCount(subset[i]));
        }
        Batch expected = t16.encode(subset, count);
        Batch cut = rows.select(picks, count);
        assertThat(cut.seqLen()).as("trial %d", trial).isEqualTo(expected.seqLen());
        assertThat(cut.inputIds()).as("trial %d ids", trial).isEqualTo(expected.inputIds());
        assertThat(cut.attentionMask())
            .as("trial %d mask", trial)
            .isEqualTo(expected.attentionMask());
        assertThat(cut.tokenTypeIds())
            .as("trial %d types", trial)
            .isEqualTo(expected.tokenTypeIds());
        assertThat(cut.truncatedRows())
            .as("trial %d truncated", trial)
            .isEqualTo(expected.truncatedRows());
      }
    }
  }

  @Test
  void attentionMaskIsOneOnTokensAndZeroOnPadding() {
    Batch batch = tokenizer.encode(SENTENCES, SENTENCES.length);

    for (int r = 0; r < SENTENCES.length; r++) {
      int n = tokenizer.tokenCount(SENTENCES[r]);
      long[] mask = row(batch.attentionMask(), batch, r);
      long[] ids = row(batch.inputIds(), batch, r);
      assertThat(Arrays.copyOf(mask, n)).as("row %d tokens", r).containsOnly(1L);
      assertAllZero(Arrays.copyOfRange(mask, n, batch.seqLen()), "row " + r + " padding mask");
      assertThat(ids[n - 1]).as("row %d ends with [SEP] before padding", r).isEqualTo(SEP);
    }
    assertThat(row(batch.tokenTypeIds(), batch, 3)).containsOnly(0L);
  }

  @Test
  void truncatesToMaxLengthAndCountsTruncatedRows() throws IOException {
    String fits = repeat("fox", 14); // 14 + [CLS] + [SEP] = 16 tokens: not truncated
    String over = repeat("fox", 15); // 17 tokens
    String farOver = repeat("the quick brown fox", 40); // 162 tokens
    String[] texts = {"fox", fits, over, farOver};
    try (TextTokenizer t16 = TextTokenizer.fromFile(json, 16)) {
      Batch batch = t16.encode(texts, texts.length);

      assertThat(batch.seqLen()).isEqualTo(16);
      assertThat(batch.truncatedRows()).isEqualTo(2);
      assertThat(row(batch.inputIds(), batch, 1)).startsWith(CLS, FOX).endsWith(FOX, SEP);
      assertThat(row(batch.inputIds(), batch, 2)).startsWith(CLS, FOX).endsWith(FOX, SEP);
      long[] farOverIds = oracleIds(farOver)[0];
      assertThat(farOverIds).hasSize(162);
      long[] expectedRow =
          Arrays.copyOf(farOverIds, 16); // right truncation keeps the first 15 tokens
      expectedRow[15] = SEP;
      assertThat(row(batch.inputIds(), batch, 3)).containsExactly(expectedRow);
      assertThat(row(batch.attentionMask(), batch, 3)).containsOnly(1L);
      assertThat(row(batch.attentionMask(), batch, 0))
          .containsExactly(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
      assertThat(t16.tokenCount(over)).isEqualTo(16);
      assertThat(t16.tokenCount(fits)).isEqualTo(16);
    }
  }

  @Test
  void maxLengthAboveDjlDefaultOf512IsNotCapped() throws IOException {
    String text = repeat("fox", 600); // 602 tokens
    try (TextTokenizer t = TextTokenizer.fromFile(json, 1024)) {
      Batch batch = t.encode(new String[] {text}, 1);

      assertThat(t.maxLength()).isEqualTo(1024);
      assertThat(batch.seqLen()).isEqualTo(602);
      assertThat(batch.truncatedRows()).isZero();
    }
  }

  @Test
  void emptyStringEncodesToSpecialTokensOnly() {
    Batch batch = tokenizer.encode(new String[] {""}, 1);

    assertThat(batch.seqLen()).isEqualTo(2);
    assertThat(batch.inputIds()).containsExactly(CLS, SEP);
    assertThat(batch.attentionMask()).containsExactly(1, 1);
    assertThat(batch.truncatedRows()).isZero();
    assertThat(tokenizer.tokenCount("")).isEqualTo(2).isEqualTo(tokenizer.specialTokenCount());
    assertThat(tokenizer.tokenCount(" \t\n")).isEqualTo(2);
  }

  @Test
  void tokenCountIsTheUnpaddedLengthCappedAtMaxLength() throws IOException {
    long[][] expected = oracleIds(SENTENCES);
    for (int i = 0; i < SENTENCES.length; i++) {
      assertThat(tokenizer.tokenCount(SENTENCES[i])).as(SENTENCES[i]).isEqualTo(expected[i].length);
    }
    assertThat(tokenizer.tokenCount(repeat("fox", 500))).isEqualTo(MAX_LENGTH);
  }

  @Test
  void encodesOnlyTheFirstCountTexts() {
    String[] texts = {"Hello world!", "", "ignored because count is 2", null};

    Batch batch = tokenizer.encode(texts, 2);

    assertThat(batch.rows()).isEqualTo(2);
    assertThat(batch.inputIds()).containsExactly(CLS, 7592, 2088, 999, SEP, CLS, SEP, 0, 0, 0);
    assertThat(texts[0]).isEqualTo("Hello world!");
  }

  @Test
  void zeroCountGivesAnEmptyBatch() {
    Batch batch = tokenizer.encode(new String[4], 0);

    assertThat(batch.rows()).isZero();
    assertThat(batch.seqLen()).isZero();
    assertThat(batch.inputIds()).isEmpty();
  }

  @Test
  void rejectsNullTextNamingItsIndex() {
    assertThatThrownBy(() -> tokenizer.encode(new String[] {"a", null, "b"}, 3))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("texts[1] is null");
    assertThatThrownBy(() -> tokenizer.tokenCount(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("text is null");
  }

  @Test
  void rejectsCountOutsideTheArray() {
    assertThatThrownBy(() -> tokenizer.encode(new String[] {"a"}, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("count must be in [0, 1], found 2");
  }

  @Test
  void rejectsMaxLengthThatLeavesNoRoomForText() {
    // DJL would accept 1 and then silently not truncate at all (unsigned underflow in the Rust
    // code).
    assertThatThrownBy(() -> TextTokenizer.fromFile(json, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxLength 2 leaves no room for text")
        .hasMessageContaining("at least 3");
    assertThatThrownBy(() -> TextTokenizer.fromFile(json, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxLength must be at least 1, found 0");
  }

  @Test
  void rejectsInvalidTokenizerJson() {
    assertThatThrownBy(() -> TextTokenizer.fromBytes("{}".getBytes(StandardCharsets.UTF_8), 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a valid HuggingFace tokenizer.json");
  }

  @Test
  void fromBytesAndFromFileEncodeAlike() throws IOException {
    try (TextTokenizer fromBytes = TextTokenizer.fromBytes(Files.readAllBytes(json), MAX_LENGTH)) {
      Batch a = fromBytes.encode(SENTENCES, SENTENCES.length);
      Batch b = tokenizer.encode(SENTENCES, SENTENCES.length);

      assertThat(a.inputIds()).containsExactly(b.inputIds());
      assertThat(a.attentionMask()).containsExactly(b.attentionMask());
    }
  }

  @Test
  void setsDjlOfflinePropertiesWhenUnsetAndKeepsExplicitOnes() {
    // Surefire itself passes -Dai.djl.offline=true: clear both properties first, so this checks
    // what ensureOffline() does and not what the build already set.
    String offline = System.getProperty(TextTokenizer.OFFLINE_PROPERTY);
    String tracking = System.getProperty(TextTokenizer.OPT_OUT_TRACKING_PROPERTY);
    try {
      System.clearProperty(TextTokenizer.OFFLINE_PROPERTY);
      System.clearProperty(TextTokenizer.OPT_OUT_TRACKING_PROPERTY);
      TextTokenizer.ensureOffline();
      assertThat(System.getProperty(TextTokenizer.OFFLINE_PROPERTY)).isEqualTo("true");
      assertThat(System.getProperty(TextTokenizer.OPT_OUT_TRACKING_PROPERTY)).isEqualTo("true");

      System.setProperty(TextTokenizer.OFFLINE_PROPERTY, "false");
      TextTokenizer.ensureOffline();
      assertThat(System.getProperty(TextTokenizer.OFFLINE_PROPERTY)).isEqualTo("false");
    } finally {
      restore(TextTokenizer.OFFLINE_PROPERTY, offline);
      restore(TextTokenizer.OPT_OUT_TRACKING_PROPERTY, tracking);
    }
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  @Test
  void concurrentEncodesGiveTheSameResultAsSequentialOnes() throws Exception {
    List<String[]> batches = new ArrayList<>();
    for (int b = 0; b < 40; b++) {
      String[] texts = new String[1 + b % 7];
      for (int i = 0; i < texts.length; i++) {
        texts[i] = SENTENCES[(b + i) % SENTENCES.length] + " " + repeat("fox", (b * 7 + i) % 23);
      }
      batches.add(texts);
    }
    List<long[]> expected = new ArrayList<>();
    for (String[] texts : batches) {
      expected.add(tokenizer.encode(texts, texts.length).inputIds());
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(
            pool.submit(
                () -> {
                  for (int round = 0; round < 25; round++) {
                    for (int b = 0; b < batches.size(); b++) {
                      String[] texts = batches.get(b);
                      if (!Arrays.equals(
                          tokenizer.encode(texts, texts.length).inputIds(), expected.get(b))) {
                        return false;
                      }
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closeIsIdempotentAndLaterCallsFail() throws IOException {
    TextTokenizer t = TextTokenizer.fromFile(json, 32);
    t.close();
    t.close();

    assertThatThrownBy(() -> t.encode(new String[] {"a"}, 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> t.tokenCount("a"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void batchValidatesArrayLengths() {
    assertThatThrownBy(() -> new Batch(2, 3, new long[6], new long[6], new long[5], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rows * seqLen = 6");
    assertThat(new Batch(1, 2, new long[2], new long[2], new long[2], 1).toString())
        .isEqualTo("Batch[rows=1, seqLen=2, truncatedRows=1]");
  }
}
