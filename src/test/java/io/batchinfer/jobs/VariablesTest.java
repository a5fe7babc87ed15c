package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.batchinfer.udfs.ValidationException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Config variables: substitution in the parsed tree after --set, escapes, and every error's text.
 */
class VariablesTest {
  private static final Map<String, String> ENV =
      Map.of("DATA_ROOT", "/data", "SECRET_TOKEN", "s3cr3t");

  private static Variables vars(String... nameValues) {
    Map<String, String> cli = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      cli.put(nameValues[i], nameValues[i + 1]);
    }
    return Variables.of(cli, ENV::get);
  }

  private static JobConfig parse(String yaml, List<String> sets, Variables variables) {
    return ConfigLoader.parse(yaml, sets, variables).config();
  }

  @Test
  void substitutesVariablesAndEnvironmentInTextValues() {
    JobConfig cfg =
        parse(
            """
        input: {path: "${env:DATA_ROOT}/events/ds=${ds}", filter: "day = '${ds}'"}
        model: {path: m.onnx, batch_size: "${bs}"}
        passthrough: [id, "${col}"]
        output: {path: "/out/${ds}/${run_id}"}
        """,
            List.of(),
            vars("ds", "2026-11-23", "bs", "64", "col", "day", "run_id", "r1"));
    assertThat(cfg.input().path()).isEqualTo("/data/events/ds=2026-11-23");
    assertThat(cfg.input().filter()).isEqualTo("day = '2026-11-23'");
    assertThat(cfg.model().batchSize()).isEqualTo(64);
    assertThat(cfg.passthrough()).containsExactly("id", "day");
    assertThat(cfg.output().path()).isEqualTo("/out/2026-11-23/r1");
  }

  @Test
  void substitutesAfterSetOverrides() {
    JobConfig cfg =
        parse("output: {path: /x}\n", List.of("output.path=/out/${ds}"), vars("ds", "2026-11-23"));
    assertThat(cfg.output().path()).isEqualTo("/out/2026-11-23");
  }

  @Test
  void valuesCannotInjectStructure() {
    JobConfig cfg =
        parse("input: {filter: \"${f}\"}\n", List.of(), vars("f", "x}\nmodel: {path: evil.onnx"));
    assertThat(cfg.input().filter()).isEqualTo("x}\nmodel: {path: evil.onnx");
    assertThat(cfg.model().path()).isNull();
  }

  @Test
  void doubleDollarEscapesAndLoneDollarsStay() {
    Variables v = vars("ds", "d");
    io.batchinfer.udfs.plan.Problems problems = new io.batchinfer.udfs.plan.Problems();
    assertThat(v.resolve("$${ds} is ${ds}, $5 and $$", "k", problems))
        .isEqualTo("${ds} is d, $5 and $$");
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void runIdIsGeneratedUnlessSet() {
    Variables generated = vars();
    assertThat(generated.runIdGenerated()).isTrue();
    assertThat(generated.runId()).matches("\\d{8}T\\d{6}Z-[0-9a-f]{6}");
    Variables given = vars("run_id", "manual__2026-11-23");
    assertThat(given.runIdGenerated()).isFalse();
    assertThat(given.runId()).isEqualTo("manual__2026-11-23");
  }

  @Test
  void rejectsUnknownVariableNamingKeyAndHowToSetIt() {
    assertThatThrownBy(
            () ->
                parse(
                    "output: {path: \"/out/${ds}\"}\ninput: {path: \"/in/${dz}\"}\n",
                    List.of(),
                    vars("dt", "x")))
        .isInstanceOf(ValidationException.class)
        .hasMessageContaining("2 problems")
        .hasMessageContaining(
            "output.path: unknown variable ${ds}; set it on the command line with --var ds=")
        .hasMessageContaining("(variables set: [dt, run_id])")
        .hasMessageContaining("input.path: unknown variable ${dz}")
        .hasMessageContaining("Did you mean 'dt'?");
  }

  @Test
  void rejectsUnsetEnvironmentVariableWithKeyPathInLists() {
    assertThatThrownBy(() -> parse("passthrough: [id, \"${env:NOPE}\"]\n", List.of(), vars()))
        .hasMessageContaining(
            "passthrough[1]: environment variable NOPE (referenced as ${env:NOPE}) is not set in the"
                + " driver's environment");
  }

  @Test
  void rejectsUnterminatedAndMalformedReferences() {
    assertThatThrownBy(() -> parse("spark: {spark.x: \"${ds\"}\n", List.of(), vars("ds", "d")))
        .hasMessageContaining("spark.spark.x: '${ds' has '${' without a closing '}'");
    assertThatThrownBy(() -> parse("job: {name: \"${a b}\"}\n", List.of(), vars()))
        .hasMessageContaining("job.name: '${a b}' is not a variable reference");
  }

  @Test
  void rejectsBadVariableNames() {
    assertThatThrownBy(() -> vars("1ds", "x"))
        .hasMessageContaining("--var 1ds=x: '1ds' is not a variable name");
  }

  @Test
  void withoutVariablesReferencesStayAsWritten() {
    assertThat(ConfigLoader.parse("output: {path: \"/out/${ds}\"}\n", List.of()).output().path())
        .isEqualTo("/out/${ds}");
  }

  @Test
  void toStringMasksSecretVariables() {
    assertThat(vars("api_token", "abc", "ds", "d").toString())
        .contains("api_token=*****")
        .contains("ds=d")
        .doesNotContain("abc");
  }
}
