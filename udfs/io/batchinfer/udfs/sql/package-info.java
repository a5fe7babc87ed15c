/**
 * The engine as a SQL function: {@link io.batchinfer.udfs.sql.BatchInferenceSql#register} plans a
 * model once on the driver and registers a session-scoped function whose calls are checked while a
 * query is analysed (driver) and evaluated row by row on the executors' shared ONNX Runtime
 * sessions. Public API; nothing here owns a native resource (sessions belong to {@code
 * io.batchinfer.udfs.session.SessionCache}).
 */
package io.batchinfer.udfs.sql;
