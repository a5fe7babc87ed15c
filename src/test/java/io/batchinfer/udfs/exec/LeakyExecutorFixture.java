package io.batchinfer.udfs.exec;

import io.batchinfer.jobs.BatchInferenceJob;
import io.batchinfer.udfs.plan.Problems;

/**
 * Test fixture, never shipped: an "executor" class that breaks two architecture rules on purpose
 * (it names driver-only planning and the job), so {@code ArchitectureTest} can show its rules
 * reject such code. Lives in test sources, which the real rule checks do not import.
 */
final class LeakyExecutorFixture {
  private LeakyExecutorFixture() {}

  static String leak(Problems problems) {
    return problems.list() + BatchInferenceJob.class.getSimpleName();
  }
}
