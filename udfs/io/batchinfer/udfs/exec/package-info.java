/**
 * What ships to executors: the partition function, the frozen spec it carries, and the scorer that
 * batches rows, runs the model and applies the error policy to bad rows. Not public API (the root
 * package's plan wires it); the scorer closes its tensors and results per batch but never the
 * session, which {@code io.batchinfer.udfs.session.SessionCache} owns.
 */
package io.batchinfer.udfs.exec;
