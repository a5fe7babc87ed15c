package io.batchinfer.udfs;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.codeUnits;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The engine's architecture, checked by ArchUnit on the compiled main classes in every {@code mvn
 * test}: which package may use which, so that the package names keep telling where code runs.
 *
 * <p>Deliberate exceptions, kept visible here: the root package is a facade, so it calls into
 * {@code plan} (to plan) and {@code exec} (to ship the partition function) while those use its
 * value types (mappings, option enums, exceptions). That root-to-subpackage round trip is the one
 * cycle allowed; cycles are checked among the subpackages. {@code InferencePlan.spec()} returns the
 * frozen {@code exec.InferenceSpec} (the job's run report and tests read it), and the {@code model}
 * package's {@code ModelArtifact}/{@code ModelSignature} are part of the API surface.
 */
@AnalyzeClasses(packages = "io.batchinfer", importOptions = ArchitectureTest.MainClassesOnly.class)
class ArchitectureTest {
  /**
   * Main classes only, whatever the build directory: ArchUnit's {@code DoNotIncludeTests} knows
   * {@code target/test-classes} but not the Spark 4 profile's {@code target/spark4/test-classes}.
   */
  static final class MainClassesOnly implements ImportOption {
    @Override
    public boolean includes(Location location) {
      return !location.contains("/test-classes/") && !location.contains("/test/classes/");
    }
  }

  private static final String ROOT = "io.batchinfer.udfs";

  /** Packages a Java/Scala user never needs to name. */
  private static final Set<String> INTERNAL =
      Set.of(
          ROOT + ".plan",
          ROOT + ".exec",
          ROOT + ".codec",
          ROOT + ".session",
          ROOT + ".text",
          ROOT + ".compat");

  /**
   * Public members of the root package allowed to name an internal type (see the class comment).
   */
  private static final Set<String> EXPOSURE_EXCEPTIONS =
      Set.of("io.batchinfer.udfs.InferencePlan.spec()");

  @ArchTest
  static final ArchRule engineNeverUsesJobs =
      noClasses()
          .that()
          .resideInAPackage(ROOT + "..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.batchinfer.jobs..")
          .because("udfs is a library any Spark program can use; jobs is one such program");

  @ArchTest
  static final ArchRule executorCodeNeverUsesPlanning =
      noClasses()
          .that()
          .resideInAPackage(ROOT + ".exec..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage(ROOT + ".plan..")
          .because("executors get the frozen InferenceSpec (in exec); planning is driver-only");

  @ArchTest
  static final ArchRule buildingBlocksNeverUsePlanningOrExecution =
      noClasses()
          .that()
          .resideInAnyPackage(
              ROOT + ".codec..", ROOT + ".model..", ROOT + ".session..", ROOT + ".text..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(ROOT + ".plan..", ROOT + ".exec..")
          .because("codec, model, session and text are shared by planning and execution");

  @ArchTest
  static final ArchRule buildingBlocksUseOnlyApiValuesFromTheRoot =
      noClasses()
          .that()
          .resideInAnyPackage(
              ROOT + ".codec..", ROOT + ".model..", ROOT + ".session..", ROOT + ".text..")
          .should()
          .dependOnClassesThat(
              resideInAPackage(ROOT)
                  .and(not(JavaClass.Predicates.ENUMS))
                  .and(not(assignableTo(Throwable.class))))
          .because(
              "from the API they need only option enums and exception types, never the builder or plan");

  @ArchTest
  static final ArchRule onlyTheSparkSeamNamesSparkClassic =
      noClasses()
          .that()
          .resideOutsideOfPackage(ROOT + ".compat..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.apache.spark.sql.classic..")
          .because(
              "what differs between Spark 3.5 and Spark 4 stays in spark-compat (SparkCompat), one class per line");

  @ArchTest
  static final ArchRule subpackagesAreFreeOfCycles =
      slices().matching(ROOT + ".(*)..").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule publicApiExposesNoInternalTypes =
      codeUnits()
          .that()
          .areDeclaredInClassesThat()
          .resideInAPackage(ROOT)
          .and()
          .areDeclaredInClassesThat()
          .arePublic()
          .and()
          .arePublic()
          .should(
              new ArchCondition<JavaCodeUnit>(
                  "not name a plan, exec, codec, session or text type in its signature") {
                @Override
                public void check(JavaCodeUnit unit, ConditionEvents events) {
                  if (EXPOSURE_EXCEPTIONS.contains(
                          unit.getOwner().getName() + "." + unit.getName() + "()")
                      || unit.getOwner().getModifiers().contains(JavaModifier.SYNTHETIC)) {
                    return;
                  }
                  Set<JavaClass> named =
                      new HashSet<>(unit.getReturnType().getAllInvolvedRawTypes());
                  unit.getParameterTypes().forEach(t -> named.addAll(t.getAllInvolvedRawTypes()));
                  for (JavaClass c : named) {
                    if (INTERNAL.stream()
                        .anyMatch(
                            p ->
                                c.getPackageName().equals(p)
                                    || c.getPackageName().startsWith(p + "."))) {
                      events.add(
                          SimpleConditionEvent.violated(
                              unit, unit.getFullName() + " names internal type " + c.getName()));
                    }
                  }
                }
              })
          .because(
              "a Java/Scala user should need only io.batchinfer.udfs (and the model artifact) to call the engine");

  /**
   * The rules bite: a test-only executor class that names planning and the job breaks both rules,
   * with messages that name the offending dependency (a rule that cannot fail proves nothing).
   */
  @Test
  void rulesRejectAnExecutorClassThatUsesPlanningOrTheJob() throws ClassNotFoundException {
    JavaClasses leaky =
        new ClassFileImporter().importClasses(Class.forName(ROOT + ".exec.LeakyExecutorFixture"));
    EvaluationResult planning = executorCodeNeverUsesPlanning.evaluate(leaky);
    EvaluationResult jobs = engineNeverUsesJobs.evaluate(leaky);
    assertThat(planning.hasViolation()).isTrue();
    assertThat(planning.getFailureReport().getDetails())
        .anyMatch(d -> d.contains("io.batchinfer.udfs.plan.Problems"));
    assertThat(jobs.hasViolation()).isTrue();
    assertThat(jobs.getFailureReport().getDetails())
        .anyMatch(d -> d.contains("io.batchinfer.jobs.BatchInferenceJob"));
  }
}
