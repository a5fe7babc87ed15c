package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which keys are secrets, and that redacted trees and maps never carry their values. */
class RedactionTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "password",
        "db_password",
        "client_secret",
        "SECRET",
        "api_token",
        "token",
        "spark.hadoop.fs.s3a.access.key",
        "spark.hadoop.fs.s3a.secret.key",
        "fs.s3a.bucket.b.session.token",
        "fs.s3a.server-side-encryption.key",
        "tokenizer_token"
      })
  void secretKeys(String key) {
    assertThat(Redaction.isSecret(key)).as(key).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tokenizer",
        "path",
        "max_length",
        "spark.hadoop.fs.s3a.endpoint",
        "fs.s3a.path.style.access",
        "keys",
        "spark.sql.shuffle.partitions",
        "monkey"
      })
  void ordinaryKeys(String key) {
    assertThat(Redaction.isSecret(key)).as(key).isFalse();
  }

  @Test
  void redactsScalarsAndSubtreesButLeavesTheOriginal() throws Exception {
    JsonNode tree =
        new ObjectMapper(new YAMLFactory())
            .readTree(
                """
        text: {column: text, tokenizer: models/tok.json}
        spark: {spark.hadoop.fs.s3a.secret.key: AKIAxyz, spark.executor.memory: 4g}
        auth: {password: hunter2, list: [{token: t1}, {name: ok}]}
        credentials_secret: {user: u, pass: p}
        """);
    JsonNode red = Redaction.redact(tree);
    String json = red.toString();
    assertThat(json)
        .doesNotContain("AKIAxyz", "hunter2", "t1", "\"u\"", "\"p\"")
        .contains("models/tok.json", "4g", "\"ok\"");
    assertThat(red.path("spark").path("spark.hadoop.fs.s3a.secret.key").asText())
        .isEqualTo(Redaction.MASK);
    assertThat(red.path("credentials_secret").asText()).isEqualTo(Redaction.MASK);
    assertThat(tree.path("auth").path("password").asText()).isEqualTo("hunter2");
  }

  @Test
  void redactsMaps() {
    assertThat(Redaction.redact(Map.of("db_password", "x", "ds", "d")))
        .containsEntry("db_password", Redaction.MASK)
        .containsEntry("ds", "d");
  }
}
