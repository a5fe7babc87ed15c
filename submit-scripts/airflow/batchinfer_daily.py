"""Daily batchinfer runs from Airflow: score one day (``{{ ds }}``) of a Parquet dataset.

Two DAGs run the same job; deploy the one that fits (see README.md next to this file):

``batchinfer_daily``
    ``SparkSubmitOperator`` (package ``apache-airflow-providers-apache-spark``). Needs Spark 3.5's
    ``spark-submit`` on the Airflow worker and a Spark connection (master, deploy mode). It only
    sees whether spark-submit failed, so it retries every failure, including an invalid config
    (exit code 3) that fails the same way on every retry.

``batchinfer_daily_exit_codes``
    Runs ``submit-scripts/submit.sh`` in client mode and maps the job's exit codes: 0 succeeds and
    pushes the summary line's fields to XCom; 2 (bad command line) and 3 (invalid config, input,
    model or output path: nothing ran) fail at once without retries; anything else (1: failed
    while running, or a killed JVM) is retried.

The day reaches the job as ``--var ds={{ ds }}``, which the config references as ``${ds}``, e.g.
``input.filter: "day = '${ds}'"``; Airflow's run id goes in as ``--var run_id=...`` (the run
report records it). With a batchinfer older than ``--var``, pass the values directly instead:
``--set "input.filter=day = '{{ ds }}'"`` (see ``job_args`` and README.md).

Paths: ``BATCHINFER_HOME`` is a batchinfer installation on the Airflow worker (``submit-scripts/``,
``conf/`` and ``target/batchinfer-cluster.jar``; ``target/spark-home/jars`` too when no Spark is
installed). The config and every path in it must be readable where the driver runs.
"""

from __future__ import annotations

import os
import re
import subprocess
from datetime import datetime, timedelta

from airflow.exceptions import AirflowException, AirflowFailException
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

try:  # Airflow 3
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

BATCHINFER_HOME = os.environ.get("BATCHINFER_HOME", "/opt/batchinfer")
APP_JAR = f"{BATCHINFER_HOME}/target/batchinfer-cluster.jar"
CONFIG = os.environ.get("BATCHINFER_DAILY_CONFIG", f"{BATCHINFER_HOME}/conf/daily.yaml")
SPARK_MASTER = os.environ.get("BATCHINFER_SPARK_MASTER", "yarn")


def job_args(ds: str, run_id: str) -> list[str]:
    """The job's arguments after --config: the day and the run id (values or Airflow templates)."""
    return ["--var", f"ds={ds}", "--var", f"run_id={run_id}"]
    # A batchinfer without --var takes the values themselves, e.g.:
    # return ["--set", f"input.filter=day = '{ds}'", "--set", f"output.path=hdfs:///preds/day={ds}"]


# Exit codes of the batchinfer job (README.md, "Exit codes").
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INVALID = 0, 1, 2, 3

# What every batchinfer JVM needs, from the installation's own runtime.properties (the one place
# the build, submit-scripts/env.sh and the job read it from): the module flags a driver that the
# cluster starts (cluster mode) needs on Java 17 (spark-submit adds them itself in client mode), for
# the Spark line the installation was built for (BATCHINFER_SPARK=4 for the -Pspark4 build), and the
# environment every JVM that loads ONNX Runtime or DJL's tokenizer needs.
RUNTIME_PROPERTIES = f"{BATCHINFER_HOME}/jobs/io/batchinfer/jobs/runtime.properties"
SPARK_LINE = os.environ.get("BATCHINFER_SPARK", "3")


def read_runtime_properties(path: str) -> dict[str, str]:
    """Plain key=value lines (runtime.properties has no continuation lines)."""
    with open(path, encoding="utf-8") as lines:
        pairs = (line.strip().split("=", 1) for line in lines)
        return {kv[0]: kv[1] for kv in pairs if len(kv) == 2 and not kv[0].startswith("#")}


RUNTIME = read_runtime_properties(RUNTIME_PROPERTIES)
SPARK_MODULE_FLAGS = RUNTIME["spark4.module.flags" if SPARK_LINE == "4" else "spark.module.flags"]
ORT_DJL_ENV = {k[len("runtime.env."):]: v for k, v in RUNTIME.items() if k.startswith("runtime.env.")}
DRIVER_SYSPROPS = " ".join(
    f"-D{k[len('runtime.sysprop.'):]}={v}" for k, v in RUNTIME.items() if k.startswith("runtime.sysprop.")
)

SPARK_CONF = {
    **{f"spark.executorEnv.{k}": v for k, v in ORT_DJL_ENV.items()},
    "spark.driver.extraJavaOptions": f"{SPARK_MODULE_FLAGS} {DRIVER_SYSPROPS}",
    # Tasks share one ONNX Runtime session per executor: keep model.threads <= spark.task.cpus.
    "spark.task.cpus": "1",
}

DEFAULT_ARGS = {
    "owner": "ml-platform",
    "retries": 3,
    "retry_delay": timedelta(minutes=10),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=3),
}

SUMMARY = re.compile(r"^batchinfer: job=\S+ status=ok .*$", re.MULTILINE)

# Shared by both DAGs: one run per day, one at a time, no backfill unless asked.
DAG_ARGS = dict(
    start_date=datetime(2026, 11, 1),
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["batchinfer", "spark", "onnx"],
)

with DAG(
    dag_id="batchinfer_daily",
    description="Score yesterday's partition with batchinfer (SparkSubmitOperator)",
    **DAG_ARGS,
) as spark_submit_dag:
    SparkSubmitOperator(
        task_id="score_day",
        # The connection holds the master and {"deploy-mode": "client" | "cluster"}. In client mode
        # the summary line appears in this task's log. In YARN/Kubernetes cluster mode the config
        # is shipped with `files` and must be referenced by its base name: use
        # ["--config", os.path.basename(CONFIG)] below. Standalone cluster mode: env_vars are not
        # supported there; prefer client mode.
        conn_id="spark_batchinfer",
        application=APP_JAR,
        java_class="io.batchinfer.jobs.BatchInferenceJob",
        name="batchinfer-daily-{{ ds }}",
        files=CONFIG,
        application_args=["--config", CONFIG, *job_args("{{ ds }}", "{{ run_id }}")],
        conf=SPARK_CONF,
        # Client mode: the spark-submit (driver) environment; YARN / Kubernetes cluster mode: the
        # operator turns these into spark.yarn.appMasterEnv.* / spark.kubernetes.driverEnv.*.
        env_vars=ORT_DJL_ENV,
        executor_cores=2,
        executor_memory="4g",
        driver_memory="2g",
        num_executors=4,
    )

with DAG(
    dag_id="batchinfer_daily_exit_codes",
    description="Score yesterday's partition with batchinfer (submit.sh; no retry on invalid config)",
    **DAG_ARGS,
) as exit_code_dag:

    @task(task_id="score_day")
    def score_day(ds: str | None = None, run_id: str | None = None) -> dict[str, str]:
        """Runs the job in client mode; returns the summary line's key=value fields (XCom)."""
        if not ds or not run_id:
            raise AirflowFailException("no logical date (ds) or run_id in the task context")
        command = [
            f"{BATCHINFER_HOME}/submit-scripts/submit.sh", "--master", SPARK_MASTER,
            CONFIG, *job_args(ds, run_id),
        ]
        env = {
            **os.environ,
            "BATCHINFER_SKIP_BUILD": "1",
            "BATCHINFER_EXECUTOR_CORES": "2",
            "BATCHINFER_EXECUTOR_MEMORY": "4g",
            "BATCHINFER_NUM_EXECUTORS": "4",
        }
        lines: list[str] = []
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                print(line, end="")  # into the task log
                lines.append(line)
            code = process.wait()
        finally:
            # execution_timeout or a manual stop: end spark-submit (and with it the driver).
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
        if code in (EXIT_USAGE, EXIT_INVALID):
            raise AirflowFailException(
                f"batchinfer exited with {code}: invalid command line or config; nothing ran, not retrying"
            )
        if code != EXIT_OK:
            raise AirflowException(f"batchinfer exited with {code}; Airflow will retry")
        match = SUMMARY.search("".join(lines))
        if match is None:
            raise AirflowException("batchinfer exited 0 but printed no summary line")
        return dict(field.split("=", 1) for field in match.group(0).split()[1:] if "=" in field)

    score_day()
