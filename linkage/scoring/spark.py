"""Scoring on Spark: the DuckDB-trained Splink model run through Splink's SparkAPI.

Same contracts as linkage.scoring.duckdb.score_pairs / score_new_pairs (PAIR_SCHEMA out), same model
and settings. The model's SQL is written for DuckDB, so every comparison level and blocking rule
is translated to Spark SQL first: sqlglot for the syntax (quoting, string_split, right, ...)
and renderings of our own where Spark's functions mean something else or do not exist:

- jaro_winkler_similarity / jaro_similarity: Splink's jar halves transpositions as a fraction
  where DuckDB (rapidfuzz) halves them as an integer, and DuckDB's build fuses the Winkler
  multiply-add. Both are rebuilt in Spark SQL (higher-order functions, the multiply-add done
  exactly in decimals): the scores are DuckDB's to the last bit.
- DuckDB 2.0.0's string distances count UTF-8 bytes (one 汉字 = 3), 2.0.1's count characters,
  Java's UTF-16 units: where DuckDB counts bytes, the arguments of every string distance are
  re-encoded one byte per character (ISO-8859-1) first (duckdb_counts_bytes asks DuckDB).
  damerau_levenshtein is the jar's UDF (a true Damerau-Levenshtein, as DuckDB's),
  levenshtein Spark's own; NULL in gives NULL out, as in DuckDB.
- len(list) -> size, list_intersect -> array_intersect without NULLs, list_contains ->
  array_contains that ignores NULL elements.

On Spark 4.1+ the distances are session SQL functions (duckdb_jaro_winkler_similarity, ...)
and the levels call them; on 4.0 they are written inline. Link records are still built by DuckDB
(linkage.features.link_records: one pass over the records); the pairwise stages run on Spark.
"""

from __future__ import annotations

import atexit
import copy
import functools
import logging
import os
import shutil
import sys
import tempfile
import threading
import uuid
import zipfile
from pathlib import Path

import pyarrow as pa
import sqlglot
from sqlglot import exp

from common.arrow_sql import memory_budget, spill_root
from linkage.pairs import PAIR_SCHEMA
from linkage.scoring.duckdb import compute_term_frequencies

logger = logging.getLogger(__name__)

APP_NAME = "customer-unify-linkage"
# a local session's JVM (the driver is its executor too): the run's memory limit, at least this
MIN_DRIVER_MEMORY_MB = 2048
LOCAL_SHUFFLE_PARTITIONS = 4
# local runs are short: a JVM that skips the optimising JIT starts in about half the time
# A JVM out of memory exits: else the thread that hands a result to Python dies with the error
# and the run waits for that result for ever (it did, at 100,000 records in 2 GB).
LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"

_session = None
_session_master: str | None = None
_session_sql_functions = False  # the duckdb_* SQL functions exist in _session
_session_lock = threading.Lock()


# ---------------------------------------------------------------------------------------------
# the session


# the packages the executors' Python workers import (standardisation unpickles engines.spark)
EXECUTOR_PACKAGES = ("common", "config", "engines", "linkage", "sources")


def _is_local(master: str) -> bool:
    return master == "local" or master.startswith("local[")


def _on_this_machine(master: str) -> bool:
    """local[...] and local-cluster[...]: the executors run on this machine, so this interpreter."""
    return _is_local(master) or master.startswith("local-cluster[")


def spark_session(master: str):
    """A SparkSession for linkage, created on first use and reused while the master is the same.

    Local masters get a session tuned for small runs: few shuffle partitions, no UI, modest
    driver memory, loopback networking, a quick-starting JVM. Splink's similarity jar is on the
    class path and its functions (damerau_levenshtein, ...) are registered, and so are DuckDB's
    string distances as SQL functions (duckdb_jaro_winkler_similarity, ...) where Spark can."""
    global _session, _session_master, _session_sql_functions
    with _session_lock:
        if _session is not None and _session_master == master and _alive(_session):
            return _session
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        if _session is not None:  # ours, for another master: a JVM holds one SparkContext
            _session.stop()
            _session = None
        builder = (
            SparkSession.builder.master(master)
            .appName(APP_NAME)
            .config("spark.jars", similarity_jar_location())
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.cleaner.referenceTracking.cleanCheckpoints", "true")
        )
        if _on_this_machine(master):
            # the Python workers (engines.spark's standardisation) run this interpreter, which has
            # the project's libraries; a cluster's executors name their own (PYSPARK_PYTHON)
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            # local-cluster's master and workers live in the driver's JVM, and need its heap too
            builder = (
                builder.config("spark.driver.memory", f"{local_driver_memory_mb()}m")
                .config("spark.sql.shuffle.partitions", str(LOCAL_SHUFFLE_PARTITIONS))
                .config("spark.default.parallelism", str(LOCAL_SHUFFLE_PARTITIONS))
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.extraJavaOptions", LOCAL_JAVA_OPTIONS)
                .config("spark.executor.extraJavaOptions", LOCAL_JAVA_OPTIONS)
            )
        session = builder.getOrCreate()
        if int(session.version.split(".")[0]) < 4:
            raise RuntimeError(f"linkage on Spark needs Spark 4 or later (found {session.version})")
        session.sparkContext.setLogLevel("ERROR")
        if not _is_local(master):  # executors in processes of their own run the driver's code
            _ship_project(session)
        _register_splink_functions(session)
        _session, _session_master = session, master
        _session_sql_functions = _create_sql_functions(session)
        return session


def local_driver_memory_mb() -> int:
    """A local session's heap: the run's memory limit (UNIFY_MEMORY_LIMIT, which DuckDB's
    databases hold to), at least MIN_DRIVER_MEMORY_MB."""
    budget = memory_budget()
    return max(MIN_DRIVER_MEMORY_MB, budget // 2**20 if budget else 0)


def _ship_project(session) -> None:
    """The project's archive to every executor. addPyFile also puts the copy on this process's
    path, ahead of the project itself; the driver keeps importing its own files (and reading the
    data files beside them), so its path is put back."""
    path = list(sys.path)
    session.sparkContext.addPyFile(str(project_archive()))
    sys.path[:] = path


def project_archive() -> Path:
    """EXECUTOR_PACKAGES as one zip for Spark to ship to every executor (SparkContext.addPyFile):
    the executors' environment needs the libraries only, and runs the very code of this driver.
    A temporary file named by this process, removed when it exits."""
    root = Path(__file__).resolve().parents[2]
    archive = _process_folder("spark-project") / "customer_unify.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:
        for package in EXECUTOR_PACKAGES:
            for source in sorted((root / package).rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts:
                    packed.write(source, source.relative_to(root).as_posix())
    return archive


def _ensure_checkpoint_dir(session) -> None:
    """A checkpoint folder for the session unless it has one (a cluster sets spark.checkpoint.dir)."""
    context = session.sparkContext
    if not context._jsc.sc().getCheckpointDir().isEmpty():
        return
    context.setCheckpointDir(str(_process_folder("spark-checkpoints")))


def _process_folder(purpose: str) -> Path:
    """A temporary folder named by this process, removed when it exits (and by the next run's
    remove_abandoned when it was killed, as its spill folders are)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{purpose}-", dir=spill_root()))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _alive(session) -> bool:
    try:
        return not session.sparkContext._jsc.sc().isStopped()
    except Exception:
        return False


def _register_splink_functions(session) -> None:
    from splink.internals.spark.jar_location import get_scala_udfs

    try:
        for udf in get_scala_udfs():
            session.udf.registerJavaFunction(*udf)
    except Exception as error:  # a session made elsewhere without the jar
        raise RuntimeError(
            "Splink's similarity jar is not on this Spark session's class path; stop the existing "
            "SparkSession or start it with spark.jars=splink.backends.spark.similarity_jar_location()"
        ) from error


# ---------------------------------------------------------------------------------------------
# the model's SQL, DuckDB -> Spark


@functools.cache
def duckdb_counts_bytes() -> bool:
    """Whether this DuckDB measures string distances in UTF-8 bytes (2.0.0: '上' is three) or in
    characters (2.0.1 on): Spark measures what the DuckDB beside it measures, whatever its version."""
    import duckdb

    (distance,) = duckdb.execute("select levenshtein('上', 'a')").fetchone()
    return distance > 1


def _byte_chars(sql: str) -> str:
    """A string as DuckDB's distances see it: one character per UTF-8 byte where DuckDB counts
    bytes, else as it is (Java's characters are DuckDB's for every character of the BMP)."""
    return f"decode(encode({sql}, 'UTF-8'), 'ISO-8859-1')" if duckdb_counts_bytes() else sql


def _jaro_sql(left: str, right: str, winkler: bool) -> str:
    """DuckDB's jaro(_winkler)_similarity (rapidfuzz) in Spark SQL, bit for bit.

    Each character of the right string takes the first unmatched character of the left string
    within max(len)/2 - 1 of its position; transpositions are the mismatches between the two
    matched sequences, halved as an integer. Winkler: a common prefix of up to 4 lifts a
    similarity above 0.7 by prefix * 0.1 * (1 - sim), rounded once (DuckDB's build fuses the
    multiply-add). Strings of up to 62 bytes keep their matched positions in a BIGINT bit set
    (as rapidfuzz does); longer ones in boolean arrays."""
    # jw_s: p, t (the two strings as arrays of byte-characters), lp, lt (lengths), w (window)
    short_flags = (
        "aggregate(sequence(0, least(jw_s.lt, jw_s.lp + jw_s.w) - 1), named_struct('pf', CAST(0 AS BIGINT), 'tf', CAST(0 AS BIGINT)),"
        " (jw_acc, jw_j) -> transform(array(aggregate(sequence(greatest(0, jw_j - jw_s.w), least(jw_s.lp - 1, jw_j + jw_s.w)), CAST(0 AS BIGINT),"
        " (jw_m, jw_i) -> CASE WHEN jw_m = 0 AND jw_s.p[jw_i] = jw_s.t[jw_j] AND (jw_acc.pf & shiftleft(CAST(1 AS BIGINT), jw_i)) = 0"
        " THEN shiftleft(CAST(1 AS BIGINT), jw_i) ELSE jw_m END)),"
        " jw_bit -> named_struct('pf', jw_acc.pf | jw_bit, 'tf', CASE WHEN jw_bit = 0 THEN jw_acc.tf ELSE jw_acc.tf | shiftleft(CAST(1 AS BIGINT), jw_j) END))[0])"
    )
    short_matched = (
        f"transform(array({short_flags}), jw_f -> named_struct("
        "'mp', filter(jw_s.p, (jw_c, jw_k) -> (jw_f.pf & shiftleft(CAST(1 AS BIGINT), jw_k)) <> 0),"
        " 'mt', filter(jw_s.t, (jw_c, jw_k) -> (jw_f.tf & shiftleft(CAST(1 AS BIGINT), jw_k)) <> 0)))[0]"
    )
    long_flags = (
        "aggregate(sequence(0, least(jw_s.lt, jw_s.lp + jw_s.w) - 1),"
        " named_struct('used', array_repeat(false, jw_s.lp), 'mt', CAST(array() AS ARRAY<STRING>)),"
        " (jw_acc, jw_j) -> transform(array(array_min(filter("
        "sequence(greatest(0, jw_j - jw_s.w), least(jw_s.lp - 1, jw_j + jw_s.w)),"
        " jw_i -> NOT jw_acc.used[jw_i] AND jw_s.p[jw_i] = jw_s.t[jw_j]))),"
        " jw_hit -> CASE WHEN jw_hit IS NULL THEN jw_acc ELSE named_struct("
        "'used', transform(jw_acc.used, (jw_u, jw_k) -> jw_u OR jw_k = jw_hit),"
        " 'mt', concat(jw_acc.mt, array(jw_s.t[jw_j]))) END)[0])"
    )
    long_matched = f"transform(array({long_flags}), jw_f -> named_struct('mp', filter(jw_s.p, (jw_c, jw_k) -> jw_f.used[jw_k]), 'mt', jw_f.mt))[0]"
    matched = f"CASE WHEN jw_s.lp <= 62 AND jw_s.lt <= 62 THEN {short_matched} ELSE {long_matched} END"
    jaro = (
        f"transform(array({matched}), jw_g -> CASE WHEN size(jw_g.mt) = 0 THEN CAST(0 AS DOUBLE) ELSE"
        " ((CAST(size(jw_g.mt) AS DOUBLE) / jw_s.lp + CAST(size(jw_g.mt) AS DOUBLE) / jw_s.lt)"
        " + (CAST(size(jw_g.mt) AS DOUBLE) - CAST(size(filter(zip_with(jw_g.mp, jw_g.mt, (jw_x, jw_y) -> jw_x <> jw_y), jw_z -> jw_z)) div 2 AS DOUBLE))"
        " / size(jw_g.mt)) / CAST(3 AS DOUBLE) END)[0]"
    )
    if winkler:
        prefix_len = "least(4, jw_s.lp, jw_s.lt)"
        prefix = f"coalesce(array_min(filter(sequence(0, {prefix_len} - 1), jw_k -> jw_s.p[jw_k] <> jw_s.t[jw_k])), {prefix_len})"
        jaro = (
            f"transform(array(named_struct('c', {jaro}, 'a', {prefix} * CAST(0.1 AS DOUBLE))), jw_w ->"
            f" CASE WHEN jw_w.c > CAST(0.7 AS DOUBLE) THEN {_fma_sql('jw_w.a', 'CAST(1 AS DOUBLE) - jw_w.c', 'jw_w.c')}"
            " ELSE jw_w.c END)[0]"
        )
    strings = f"named_struct('p', {_byte_chars(left)}, 't', {_byte_chars(right)})"
    chars = (
        "named_struct('p', split(jw_b.p, ''), 't', split(jw_b.t, ''), 'lp', length(jw_b.p), 'lt', length(jw_b.t),"
        " 'w', greatest(greatest(length(jw_b.p), length(jw_b.t)) div 2 - 1, 0))"
    )
    return (
        f"CASE WHEN ({left}) IS NULL OR ({right}) IS NULL THEN CAST(NULL AS DOUBLE) ELSE"
        f" transform(array({strings}), jw_b -> transform(array({chars}), jw_s ->"
        f" CASE WHEN jw_s.lp = 0 OR jw_s.lt = 0 THEN CAST(0 AS DOUBLE) ELSE {jaro} END)[0])[0] END"
    )


def _fma_sql(a: str, b: str, c: str) -> str:
    """a * b + c rounded once, as C's fma, for the Winkler step: 0 <= a <= 0.4 (a multiple of
    2^-56), c in (0.7, 1] and b = 1 - c (multiples of 2^-53), a result in [0.5, 1]. Spark SQL has
    no fma (and `reflect` cannot run inside a lambda), so the exact sum is formed as an integer
    count of 2^-109 in DECIMAL(38, 0) and rounded half-to-even to a multiple of 2^-53."""
    two56 = "CAST(72057594037927936 AS DECIMAL(18, 0))"
    two53 = "CAST(9007199254740992 AS DOUBLE)"
    scaled = (
        f"CAST(CAST({a} * CAST(72057594037927936 AS DOUBLE) AS BIGINT) AS DECIMAL(18, 0))"
        f" * CAST(CAST(({b}) * {two53} AS BIGINT) AS DECIMAL(18, 0))"
        f" + CAST(CAST({c} * {two53} AS BIGINT) AS DECIMAL(18, 0)) * {two56}"
    )
    rest = f"(jw_n - CAST(jw_q AS DECIMAL(20, 0)) * {two56})"
    round_up = f"CASE WHEN 2 * {rest} > {two56} OR (2 * {rest} = {two56} AND jw_q % 2 = 1) THEN 1 ELSE 0 END"
    return f"transform(array({scaled}), jw_n -> transform(array(jw_n div {two56}), jw_q -> CAST(jw_q + {round_up} AS DOUBLE) / {two53})[0])[0]"


def _damerau_sql(left: str, right: str) -> str:
    # Splink's jar: a true Damerau-Levenshtein (as DuckDB's); it answers 100 for NULL, DuckDB NULL
    return (
        f"CASE WHEN ({left}) IS NULL OR ({right}) IS NULL THEN CAST(NULL AS BIGINT)"
        f" ELSE CAST(damerau_levenshtein({_byte_chars(left)}, {_byte_chars(right)}) AS BIGINT) END"
    )


def _levenshtein_sql(left: str, right: str) -> str:
    return f"CAST(levenshtein({_byte_chars(left)}, {_byte_chars(right)}) AS BIGINT)"


# DuckDB's string distances -> the Spark SQL function standing in for each, its type, its body
_DISTANCES = {
    "jaro_winkler_similarity": ("duckdb_jaro_winkler_similarity", "DOUBLE", lambda a, b: _jaro_sql(a, b, winkler=True)),
    "jaro_similarity": ("duckdb_jaro_similarity", "DOUBLE", lambda a, b: _jaro_sql(a, b, winkler=False)),
    "damerau_levenshtein": ("duckdb_damerau_levenshtein", "BIGINT", _damerau_sql),
    "levenshtein": ("duckdb_levenshtein", "BIGINT", _levenshtein_sql),
}
_ALIASES = {"jarowinklersimilarity": "jaro_winkler_similarity", "editdist3": "levenshtein"}


def _create_sql_functions(session) -> bool:
    """The DuckDB distances as temporary SQL functions of this session (Spark 4.1+ has SQL
    functions): the model's SQL then stays short. False when Spark cannot create them."""
    try:
        for name, kind, body in _DISTANCES.values():
            session.sql(
                f"CREATE OR REPLACE TEMPORARY FUNCTION {name}(s1 STRING, s2 STRING) RETURNS {kind} RETURN {body('s1', 's2')}"
            )
    except Exception as error:
        logger.info(
            "no SQL functions on this Spark (%s): the DuckDB distances are written inline", type(error).__name__
        )
        return False
    return True


def _function_name(node: exp.Expression) -> str:
    name = str(node.this).lower() if isinstance(node, exp.Anonymous) else type(node).__name__.lower()
    return _ALIASES.get(name, name)


def _args(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    return [node.this, node.expression]


_LIST_FUNCTIONS = {
    "list_intersect",
    "arrayintersect",
    "list_filter",
    "list_distinct",
    "string_split",
    "str_split",
    "list_value",
}


class _Translator:
    """DuckDB SQL -> Spark SQL for one model: sqlglot for the syntax, our renderings for the
    functions whose Spark namesakes mean something else (or that Spark lacks)."""

    def __init__(self, list_columns: set[str], inline: bool):
        self.list_columns = set(list_columns)
        self.inline = inline

    def __call__(self, sql: str) -> str:
        return self.translate(sqlglot.parse_one(sql, read="duckdb")).sql(dialect="spark")

    def translate(self, tree: exp.Expression) -> exp.Expression:
        # pre-order: a replaced node renders its arguments through spark(), which translates them
        return tree.transform(self.node, copy=True)

    def spark(self, node: exp.Expression) -> str:
        return self.translate(node).sql(dialect="spark")

    def is_list(self, node: exp.Expression) -> bool:
        if isinstance(node, exp.Paren):
            return self.is_list(node.this)
        if isinstance(node, exp.Column):
            name = node.name
            return name in self.list_columns or (name[-2:] in ("_l", "_r") and name[:-2] in self.list_columns)
        if isinstance(node, (exp.Array, exp.Split, exp.ArrayIntersect)):
            return True
        return _function_name(node) in _LIST_FUNCTIONS

    def node(self, node: exp.Expression) -> exp.Expression:
        name = _function_name(node)
        if name in _DISTANCES and not (isinstance(node, exp.Levenshtein) and node.args.get("ins_cost")):
            function, _, body = _DISTANCES[name]
            left, right = (self.spark(a) for a in _args(node))
            return _parse_spark(f"({body(left, right)})" if self.inline else f"{function}({left}, {right})")
        if isinstance(node, exp.Length) and self.is_list(node.this):
            inner = self.spark(node.this)  # DuckDB's len of a list; Spark's length is for strings
            return _parse_spark(f"(CASE WHEN ({inner}) IS NULL THEN NULL ELSE size({inner}) END)")
        if name in ("list_intersect", "arrayintersect") and len(node.expressions) == 2:
            left, right = (self.spark(a) for a in node.expressions)  # DuckDB leaves NULLs out
            return _parse_spark(f"array_intersect(filter({left}, x_ -> x_ IS NOT NULL), {right})")
        if isinstance(node, exp.ArrayContains):
            # DuckDB: false when absent, whatever NULLs the list holds; Spark: NULL if it holds any
            array, value = self.spark(node.this), self.spark(node.expression)
            return _parse_spark(f"array_contains(filter({array}, x_ -> x_ IS NOT NULL), {value})")
        return node


def _parse_spark(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="spark")


def to_spark_sql(sql: str, list_columns: set[str] = frozenset(), inline: bool = True) -> str:
    """One DuckDB condition (a comparison level or blocking rule) as Spark SQL.

    list_columns: the input columns that hold lists (their _l/_r forms are lists too).
    inline: write the DuckDB string distances out in full; otherwise call the session's
    duckdb_* SQL functions (spark_session creates them where Spark can)."""
    return _Translator(list_columns, inline)(sql)


def spark_model(splink_model: dict, list_columns: set[str] = frozenset(), inline: bool = True) -> dict:
    """The model dictionary with its SQL in the Spark dialect; its parameters untouched."""
    model = copy.deepcopy(splink_model)
    dialect = model.get("sql_dialect", "duckdb")
    if dialect == "spark":
        return model
    if dialect != "duckdb":
        raise ValueError(f"cannot translate a {dialect} model to Spark")
    translate = _Translator(list_columns, inline)
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level["sql_condition"].strip().upper() != "ELSE":
                level["sql_condition"] = translate(level["sql_condition"])
    for rule in model.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict):
            rule["blocking_rule"] = translate(rule["blocking_rule"])
            rule["sql_dialect"] = "spark"
    model["sql_dialect"] = "spark"
    return model


# ---------------------------------------------------------------------------------------------
# Arrow <-> Spark and the Splink runs


def _list_columns(schema: pa.Schema) -> set[str]:
    return {f.name for f in schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)}


def _plain(kind: pa.DataType) -> pa.DataType:
    """An Arrow type as Spark reads it: plain strings and lists, no null-typed columns."""
    if pa.types.is_null(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if (
        pa.types.is_list(kind)
        or pa.types.is_large_list(kind)
        or pa.types.is_list_view(kind)
        or pa.types.is_large_list_view(kind)
    ):
        return pa.list_(_plain(kind.value_type))
    if pa.types.is_dictionary(kind):
        return _plain(kind.value_type)
    return kind


def sparkable(table: pa.Table) -> pa.Table:
    return table.cast(pa.schema([pa.field(f.name, _plain(f.type)) for f in table.schema]))


def to_spark(session, table: pa.Table):
    """An Arrow table as a Spark DataFrame, every row of it: PySpark 4.3 stops reading a table at
    an empty record batch (a table concatenated from parts has them), so those are left out."""
    table = sparkable(table)
    return session.createDataFrame(pa.Table.from_batches([b for b in table.to_batches() if b.num_rows], table.schema))


class SparkRun:
    """One scoring (or another stage's work) on the shared session, its tables dropped at the end.

    On a cluster Splink materialises each stage (persist) and repartitions; they are unpersisted
    here afterwards. Locally the stages stay lazy and run as one plan: on small data planning and
    caching every step costs more than recomputing the (linear) record stages, and the pairwise
    stages run once either way. An iterative stage (connected components) checkpoints each round
    instead, wherever it runs: its plan would otherwise grow with every round (and persisting
    alone keeps the plan: at a thousand records Spark ran out of memory printing it)."""

    def __init__(self, master: str, iterative: bool = False):
        from splink.backends.spark import SparkAPI

        lazy = _is_local(master) and not iterative

        class RunSparkAPI(SparkAPI):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.cached: list = []
                self.tables: list[str] = []  # every view Splink makes (its cache forgets some)

            def _break_lineage_and_repartition(self, spark_df, templated_name, physical_name):
                self.tables.append(physical_name)
                if lazy:
                    return spark_df
                spark_df = super()._break_lineage_and_repartition(spark_df, templated_name, physical_name)
                if spark_df.is_cached:
                    self.cached.append(spark_df)
                return spark_df

        self.session = spark_session(master)
        if iterative:
            _ensure_checkpoint_dir(self.session)
        self.db_api = RunSparkAPI(
            spark_session=self.session,
            break_lineage_method="checkpoint" if iterative else "persist",
            register_udfs_automatically=False,
        )
        self.tag = uuid.uuid4().hex[:8]
        self.views: list[str] = []

    def register(self, dataframe, name: str):
        view = f"{name}_{self.tag}"
        self.views.append(view)
        return self.db_api.register(dataframe, table_name=view)

    def linker(self, frame, splink_model: dict, list_columns: set[str]):
        from splink import Linker

        settings = spark_model(splink_model, list_columns, inline=not _session_sql_functions)
        return Linker(frame, settings, log_level=logging.WARNING)

    def close(self) -> None:
        for dataframe in self.db_api.cached:
            try:
                dataframe.unpersist()
            except Exception:  # a stopped session has nothing left to free
                pass
        for view in self.views + self.db_api.tables:
            try:
                self.session.catalog.dropTempView(view)
            except Exception:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _pairs(*predictions) -> pa.Table:
    """Splink's predictions as PAIR_SCHEMA pairs, lower id first, fetched in one Spark job."""
    frames = [
        p.as_spark_dataframe().selectExpr(
            "CAST(least(record_id_l, record_id_r) AS BIGINT) AS record_id_l",
            "CAST(greatest(record_id_l, record_id_r) AS BIGINT) AS record_id_r",
            "CAST(match_probability AS DOUBLE) AS match_probability",
            "CAST(match_weight AS DOUBLE) AS match_weight",
            "'model' AS kind",
        )
        for p in predictions
    ]
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union.toArrow().cast(PAIR_SCHEMA).sort_by([("record_id_l", "ascending"), ("record_id_r", "ascending")])


def score_pairs_spark(records: pa.Table, splink_model: dict, threshold: float, master: str) -> pa.Table:
    """All candidate pairs at or above threshold, scored by the saved model on Spark."""
    if records.num_rows < 2:
        return PAIR_SCHEMA.empty_table()
    with SparkRun(master) as run:
        frame = run.register(to_spark(run.session, records), "records")
        linker = run.linker(frame, splink_model, _list_columns(records.schema))
        return _pairs(linker.inference.predict(threshold_match_probability=threshold, warning_mode="never"))


def score_new_pairs_spark(
    existing: pa.Table, new: pa.Table, splink_model: dict, threshold: float, master: str
) -> pa.Table:
    """Pairs that involve new records only: new x existing (predict_between) and new x new
    (predict_within), scored on Spark with term frequencies of all records."""
    if new.num_rows == 0:
        return PAIR_SCHEMA.empty_table()
    if existing.num_rows == 0:
        return score_pairs_spark(new, splink_model, threshold, master)
    with SparkRun(master) as run:
        existing_df = to_spark(run.session, existing)
        new_df = to_spark(run.session, new.select(existing.column_names).cast(sparkable(existing).schema))
        frame = run.register(existing_df.unionByName(new_df), "all_records")
        linker = run.linker(frame, splink_model, _list_columns(existing.schema))
        compute_term_frequencies(linker, splink_model)
        existing_sdf = run.register(existing_df, "existing_records")
        new_sdf = run.register(new_df, "new_records")
        predictions = [
            linker.inference.predict_between(
                existing_sdf, new_sdf, threshold_match_probability=threshold, warning_mode="never"
            )
        ]
        if new.num_rows > 1:
            predictions.append(
                linker.inference.predict_within(new_sdf, threshold_match_probability=threshold, warning_mode="never")
            )
        return _pairs(*predictions)
