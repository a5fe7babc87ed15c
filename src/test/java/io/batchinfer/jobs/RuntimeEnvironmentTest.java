package io.batchinfer.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

/**
 * runtime.properties is the one source of the module flags and the ORT/DJL switches: it must agree
 * with Spark's own list, and the build must actually pass it to the test JVM (the pom reads the
 * file through properties-maven-plugin, so these fail if the pom stops doing so).
 */
class RuntimeEnvironmentTest {

  @Test
  void moduleFlagsCoverSparksOwnList() {
    List<String> ours = Arrays.asList(RuntimeEnvironment.moduleFlags().split(" "));
    List<String> sparks = Arrays.asList(JavaModuleOptions.defaultModuleOptions().split(" "));
    assertThat(ours).containsAll(sparks);
  }

  @Test
  void testJvmGotTheModuleFlagsAndSystemPropertiesFromTheFile() {
    List<String> jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments();
    assertThat(jvmArgs).containsAll(Arrays.asList(RuntimeEnvironment.moduleFlags().split(" ")));
    for (Map.Entry<String, String> e : RuntimeEnvironment.systemProperties().entrySet()) {
      assertThat(System.getProperty(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
    }
  }

  @Test
  void testJvmGotTheEnvironmentFromTheFile() {
    Map<String, String> env = RuntimeEnvironment.environment();
    assertThat(env)
        .containsEntry("ORT_DISABLE_TELEMETRY", "1")
        .containsKeys("DJL_OFFLINE", "OPT_OUT_TRACKING");
    env.forEach((k, v) -> assertThat(System.getenv(k)).as(k).isEqualTo(v));
  }
}
