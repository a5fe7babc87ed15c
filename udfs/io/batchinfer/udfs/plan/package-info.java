/**
 * Driver-only planning: checks a request against the model signature and the input schema,
 * collecting every problem with its config key path, and freezes the result into the spec that
 * ships to executors. Not public API beyond {@link io.batchinfer.udfs.plan.Problems} and {@link
 * io.batchinfer.udfs.plan.ChainChecks#qualify} (shared with the job's config validation); the only
 * native object, a throwaway session that reads the model's signature, is opened and closed here.
 */
package io.batchinfer.udfs.plan;
