"""Resolve on arrival: one record against the published records, scored as the batch scores it.

The record is standardised by the pipeline's own code (sources.canonical.standardise on a one-row
staged table, then linkage.features.link_records with the generic values found in the published
records). Its candidates are the published records that share a blocking key of the model
(linkage.model.prediction_blocks, and any of its phones), found in in-memory indexes: per block,
the sorted hashes (MD5, hashes_of) of the key values of every published record, so a lookup is a
binary search. Generic values never become keys: they are blanked in the link records first.

Each candidate pair is scored with the saved Splink model: its comparison vectors (the gamma of
every comparison) by the SQL Splink generates for the model, once per model, on one DuckDB
connection; the match weights from the same Splink objects that write the weight SQL (each
level's weight, each term-frequency adjustment: weight * (log2 u_exact - log2 max(tf_l, tf_r))),
added in Splink's order, and the probability by Splink's formula. Planning Splink's whole predict
query costs tens of milliseconds for every record; this costs the comparison vectors only. Every
model is checked at build on sample pairs against Splink's own full predict SQL (ScoringMismatch
when any probability differs by more than 1e-12), and tests compare with the batch's pairs.

Term frequencies are Splink's, computed over the published link records. The pairs that are one
customer by definition are applied as the batch applies them (linkage.pairs): the same valid phone
and email, the same shop order number. Reviewers' decisions, tickets naming an order and
identifiers the crosswalk does not publish (national ids, shop accounts) are not seen here.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI, SettingsCreator
from splink.internals.misc import prob_to_match_weight
from splink.internals.predict import predict_from_comparison_vectors_sqls_using_settings

from linkage.features import LINK_COLUMNS, few_link_records, link_records
from linkage.level_predicates import Undecided, Unsupported, compile_case
from linkage.model import new_linker, prediction_blocks
from linkage.profile import data_profile, generic_values, without_generic_values
from linkage.scoring.duckdb import compute_term_frequencies
from sources.canonical import standardise
from sources.schema import STAGED_SCHEMA
from sources.systems import ORDER_SYSTEMS

# what a caller may send -> the staged column it fills
RECORD_FIELDS = {
    "name": "full_name",
    "given_name": "given_name",
    "family_name": "family_name",
    "phone": "phone",
    "email": "email",
    "wechat": "wechat",
    "birth_date": "birth_date",
    "address": "address_line",
    "province": "province",
    "city": "city",
    "district": "district",
    "postcode": "postcode",
    "company": "company",
    "national_id": "national_id",
    "external_id": "external_id",  # platform:account, as the readers write it (tmall:<买家会员名>)
    "source_system": "source_system",
    "source_record_key": "source_record_key",
}
# fields that can say who a person is (the model compares them); company and the source do not
IDENTIFYING_FIELDS = (
    "name", "given_name", "family_name", "phone", "email", "wechat", "birth_date", "address",
    "province", "city", "district", "postcode", "national_id", "external_id",
)  # fmt: skip
NUMBER_FIELDS = frozenset({"phone", "postcode", "national_id", "source_record_key"})  # a JSON number is fine
MAX_FIELD_LENGTH = 1000
ARRIVING_SYSTEM = "arriving"  # source_system of a record sent without one
NEW_RECORD_ID = -1  # published records are numbered from 1
FILED_RECORD_ID = -1_000_000_000  # records filed on arrival are numbered from here down
# link columns the model compares: a record with none of them usable cannot be resolved
COMPARED_COLUMNS = (
    "name_tokens", "surname_py", "phone_e164", "email_std", "wechat_std", "birth_date_std",
    "city_std", "address_std", "postcode_std", "national_id", "external_id",
)  # fmt: skip
MAX_CANDIDATE_CUSTOMERS = 10  # the answer lists at most this many customers, most likely first
CHECK_PAIRS = 200  # published pairs scored both ways when a resolver is built
CHECK_TOLERANCE = 1e-12
_FIELD_NAME = re.compile(r"^[a-z][a-z_]{0,39}$")
SAME_PHONE_AND_EMAIL, SAME_ORDER = "same phone and email", "same order"


class RecordError(ValueError):
    """A record that cannot be resolved; the message names fields and rules, never a value."""


class ScoringMismatch(RuntimeError):
    """The fast scoring disagrees with Splink's own SQL for this model: never answer with it."""


@dataclass(frozen=True)
class Thresholds:
    match_threshold: float
    review_floor: float


# ---------------------------------------------------------------- the arriving record


def staged_row(record: dict, position: int = 0) -> dict:
    """The record as a staged row (STAGED_SCHEMA's columns); RecordError for unknown fields, wrong types, no identifying field.
    position: its place among records standardised together (its source_row, which orders them)."""
    if not isinstance(record, dict):
        raise RecordError("the body must be one JSON object (a record)")
    unknown = sorted(str(k) for k in record if k not in RECORD_FIELDS)
    if unknown:
        # a name is echoed only when it looks like one: a caller may have sent a value as a key
        named = [repr(k) for k in unknown if _FIELD_NAME.match(k)][:10]
        others = len(unknown) - len(named)
        shown = ", ".join(named) + (f" and {others} more" if named and others else str(others) if others else "")
        raise RecordError(f"unknown field(s): {shown}; known: {', '.join(RECORD_FIELDS)}")
    row = {name: None for name in STAGED_SCHEMA.names}
    for key, value in record.items():
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (str, int))
            or (isinstance(value, int) and key not in NUMBER_FIELDS)
        ):
            kind = "a string or a number" if key in NUMBER_FIELDS else "a string"
            raise RecordError(f"{key} must be {kind} or null")
        text = str(value).strip()
        if len(text) > MAX_FIELD_LENGTH:
            raise RecordError(f"{key} is longer than {MAX_FIELD_LENGTH} characters")
        row[RECORD_FIELDS[key]] = text or None
    if not any(row[RECORD_FIELDS[f]] for f in IDENTIFYING_FIELDS):
        raise RecordError(f"no identifying field: send at least one of {', '.join(IDENTIFYING_FIELDS)}")
    row["source_system"] = row["source_system"] or ARRIVING_SYSTEM
    row["source_file"], row["source_sheet"], row["source_row"] = "arriving", "", position
    return row


def arriving_links(record: dict, generic: dict[str, list[str]]) -> tuple[pa.Table, pa.Table]:
    """(canonical row, link row) of one arriving record, standardised as the pipeline standardises."""
    (error,), canonical, links = arriving_batch([record], generic)
    if error is not None:
        raise error
    return canonical, links


def arriving_batch(
    records: list[dict], generic: dict[str, list[str]], link=link_records
) -> tuple[list, pa.Table, pa.Table]:
    """(RecordError or None per record; canonical rows and link rows of the usable records, in order)
    of records standardised together as the pipeline standardises: each row as it would be alone
    (the standardisers and the link SQL work row by row), numbered up to NEW_RECORD_ID. link:
    link_records or its faster twin for a few records (Resolver._link)."""
    errors, staged = [], []
    for record in records:
        try:
            staged.append(staged_row(record, position=len(staged)))
            errors.append(None)
        except RecordError as exc:
            errors.append(exc)
    if not staged:
        return errors, None, None
    canonical = standardise(
        pa.Table.from_pylist(staged, schema=STAGED_SCHEMA), first_record_id=NEW_RECORD_ID - len(staged) + 1
    )
    links = link(canonical, generic)
    compared = [links.column(c).is_valid() for c in COMPARED_COLUMNS if c in links.column_names]
    usable = [any(column[i].as_py() for column in compared) for i in range(links.num_rows)]
    rows = iter(zip(usable, canonical.column("quality_flags").to_pylist()))
    for i, error in enumerate(errors):
        if error is None and not (row := next(rows))[0]:
            why = f" ({row[1].replace(';', ', ')})" if row[1] else ""
            errors[i] = RecordError(f"nothing in the record could be used after standardisation{why}")
    keep = pa.array(usable)
    return errors, canonical.filter(keep), links.filter(keep)


def published_links(canonical: pa.Table) -> tuple[pa.Table, dict[str, list[str]]]:
    """(link records, generic values) of the published records: link_records' result and the
    values it blanked, so an arriving record is blanked alike."""
    raw = link_records(canonical, generic={})
    generic = generic_values(raw)
    return without_generic_values(raw, generic), generic


# ---------------------------------------------------------------- blocking indexes


@dataclass(frozen=True)
class KeyIndex:
    """One blocking key (or one rule's key): the hash of its values for every published record
    (by DuckDB at build), sorted, with each hash's row in the published table. An arriving record's
    key values are worked out (key_values) and hashed alike in Python (hashes_of)."""

    name: str
    keys: tuple[str, ...]  # column names or SQL expressions of one column; PHONES or ORDER for those keys
    hashes: np.ndarray
    rows: np.ndarray

    @classmethod
    def build(cls, con, name: str, keys: tuple[str, ...]) -> KeyIndex:
        result = con.sql(_published_sql(keys)).to_arrow_table()
        hashes = result.column("h").to_numpy()
        order = np.argsort(hashes, kind="stable")
        return cls(name, keys, hashes[order], result.column("__row").to_numpy()[order].astype(np.int64))

    def find(self, h: int) -> np.ndarray:
        h = self.hashes.dtype.type(h)  # a Python int would have numpy convert the whole array for every search
        lo, hi = np.searchsorted(self.hashes, h, "left"), np.searchsorted(self.hashes, h, "right")
        return self.rows[lo:hi]

    def with_entries(self, hashes: list[int], rows: list[int]) -> KeyIndex:
        """This index with more rows' hashes merged in, still sorted (a copy: readers keep the old one)."""
        hashes, rows = np.array(hashes, self.hashes.dtype), np.array(rows, np.int64)
        order = np.argsort(hashes, kind="stable")
        hashes, rows = hashes[order], rows[order]
        at = np.searchsorted(self.hashes, hashes, "right")
        return KeyIndex(self.name, self.keys, np.insert(self.hashes, at, hashes), np.insert(self.rows, at, rows))

    def key_values(self, row: dict, con) -> list[tuple[str, ...]]:
        """The arriving record's values of this key (none when one is null), as in _published_sql."""
        if self.keys == PHONES:
            return [(p,) for p in row["phones"] or () if p is not None]
        if self.keys == ORDER:
            key = row["source_record_key"]
            return [(key,)] if key is not None and row["source_system"] in ORDER_SYSTEMS else []
        values = tuple(key_value(k, row, con) for k in self.keys)
        return [values] if all(v is not None for v in values) else []


PHONES, ORDER = ("phones",), ("source_record_key",)
# block_on("phones", arrays_to_explode=["phones"]): any phone of one equal to any phone of the other
_PHONES_SQL = (
    "select __row, md5_number_lower(concat(strlen(p), ':', p)) as h"
    " from (select __row, unnest(phones) as p from published) where p is not null"
)
_ORDER_SQL = (
    "select __row, md5_number_lower(concat(strlen(source_record_key), ':', source_record_key)) as h from published"
    f" where source_system in ({', '.join(repr(s) for s in ORDER_SYSTEMS)}) and source_record_key is not null"
)
_SUBSTR = re.compile(r"^substr\((\w+), (\d+|-\d+)(?:, (\d+))?\)$")
_RIGHT = re.compile(r"^right\((\w+), (\d+)\)$")


def _published_sql(keys: tuple[str, ...]) -> str:
    """The hash of a key's values per published record (Splink's block_on: every key not null and equal)."""
    if keys == PHONES:
        return _PHONES_SQL
    if keys == ORDER:
        return _ORDER_SQL
    not_null = " and ".join(f"({k}) is not null" for k in keys)
    encoded = ", ".join(f"strlen(({k})::varchar), ':', ({k})::varchar" for k in keys)
    return f"select __row, md5_number_lower(concat({encoded})) as h from published where {not_null}"


def key_value(expression: str, row: dict, con) -> str | None:
    """One key expression of the model's blocks on the arriving record's link row. A column is its
    value; substr and right of an ASCII value are sliced as DuckDB slices it; anything else (a value
    with other characters: DuckDB counts grapheme clusters) is asked of DuckDB itself."""
    if expression in row:
        return row[expression]
    match = _SUBSTR.match(expression) or _RIGHT.match(expression)
    value = row.get(match.group(1)) if match else None
    if match and value is None:
        return None
    if match and value.isascii():
        if match.re is _RIGHT:
            return value[-int(match.group(2)) :] if int(match.group(2)) else ""
        start, length = int(match.group(2)), match.group(3)
        begin = start - 1 if start > 0 else len(value) + start
        if start == 0 or begin < 0:  # outside what the blocks use: DuckDB decides
            return _sql_value(expression, row, con)
        return value[begin : begin + int(length)] if length is not None else value[begin:]
    return _sql_value(expression, row, con)


def _sql_value(expression: str, row: dict, con) -> str | None:
    columns = [c for c, v in row.items() if isinstance(v, str) or v is None]
    select = ", ".join(f"${i}::varchar as {c}" for i, c in enumerate(columns, start=1))
    ((value,),) = con.execute(
        f"select ({expression})::varchar from (select {select})", [row[c] for c in columns]
    ).fetchall()
    return value


def hashes_of(values: list[tuple[str, ...]]) -> list[int]:
    """The hash of each tuple of key values as _published_sql hashes the published columns: the low
    64 bits of the MD5 of each value prefixed by its length in bytes (no two tuples encode alike),
    computed here without a DuckDB statement (a statement's planning is what a few rows cost)."""
    hashes = []
    for value in values:
        encoded = "".join(f"{len(str(v).encode())}:{v}" for v in value).encode()
        hashes.append(int.from_bytes(hashlib.md5(encoded).digest()[8:], "little"))  # md5_number_lower's bits
    return hashes


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Comparison:
    name: str
    gamma: str  # its gamma column
    weights: dict[int, float]  # gamma -> the level's match weight
    labels: dict[int, str]  # gamma -> the level's label
    tf: dict[int, tuple[float, float, float, str]]  # gamma -> (tf weight, log2 u exact, min u, tf column)
    adds_tf: bool  # Splink sums a tf adjustment column for it


class Scoring:
    """Pairs scored with one Splink model: row i of a left table against row i of a right table, so
    one statement scores the candidates of several arriving records."""

    def __init__(self, splink_model: dict):
        settings = SettingsCreator.from_path_or_dict(splink_model).get_settings("duckdb")
        settings._retain_matching_columns = False
        settings._retain_intermediate_calculation_columns = True
        blocked = (
            f"select {', '.join(settings._columns_to_select_for_blocking)}, 0 as match_key"
            " from __resolve_left as l positional join __resolve_right as r"
        )
        vectors = f"select {', '.join(settings._columns_to_select_for_comparison_vector_values)} from __splink__compare_two_records_blocked"
        self.vectors_sql = f"with __splink__compare_two_records_blocked as ({blocked})\n{vectors}"
        predict = predict_from_comparison_vectors_sqls_using_settings(settings)
        ctes = [("__splink__compare_two_records_blocked", blocked), ("__splink__df_comparison_vectors", vectors)]
        ctes += [(s["output_table_name"], s["sql"]) for s in predict[:-1]]
        self.predict_sql = "with " + ",\n".join(f"{n} as ({s})" for n, s in ctes) + "\n" + predict[-1]["sql"]
        prior = settings.core_model_settings.probability_two_random_records_match
        self.prior_weight = prob_to_match_weight(prior)
        self.comparisons = [_comparison(c) for c in settings.core_model_settings.comparisons]
        self.tf_columns = sorted({t[3] for c in self.comparisons for t in c.tf.values()})
        self.cases = _compiled_cases(settings.core_model_settings.comparisons)

    def score(self, con, left: pa.Table, right: pa.Table) -> list[dict]:
        """[{record_id_l, record_id, match_probability, match_weight, why}] per pair of rows (tf_* columns included)."""
        vectors = self._vectors(con, left, right)
        return [self._weigh(vectors, i) for i in range(len(vectors["record_id_r"]))]

    def _vectors(self, con, left: pa.Table, right: pa.Table) -> dict[str, list]:
        """Column -> values of the comparison vectors (record ids, gammas, tf values) of the pairs: each
        level's condition in Python (linkage.level_predicates), the pairs it cannot decide by DuckDB
        with Splink's SQL; all of them by the SQL for a model with a condition it cannot compile."""
        if self.cases is None:
            return self._sql_vectors(con, left, right)
        lefts, rights = left.to_pylist(), right.to_pylist()
        vectors = {"record_id_l": [r["record_id"] for r in lefts], "record_id_r": [r["record_id"] for r in rights]}
        for column in self.tf_columns:
            vectors[f"tf_{column}_l"] = [r[f"tf_{column}"] for r in lefts]
            vectors[f"tf_{column}_r"] = [r[f"tf_{column}"] for r in rights]
        undecided = []
        for gamma, case in self.cases:
            values = vectors[gamma] = []
            for i, pair in enumerate(zip(lefts, rights)):
                try:
                    values.append(case(*pair))
                except Undecided:  # a similarity at its threshold: DuckDB's own arithmetic decides
                    values.append(None)
                    undecided.append(i)
        if undecided:
            at = sorted(set(undecided))
            exact = self._sql_vectors(con, left.take(at), right.take(at))
            for gamma, _ in self.cases:
                for i, value in zip(at, exact[gamma]):
                    vectors[gamma][i] = value
        return vectors

    def _sql_vectors(self, con, left: pa.Table, right: pa.Table) -> dict[str, list]:
        rows, names = _on_pairs(con, self.vectors_sql, left, right)
        return dict(zip(names, map(list, zip(*rows)))) if rows else {n: [] for n in names}

    def _weigh(self, v: dict, i: int) -> dict:
        total, why = self.prior_weight, []
        for c in self.comparisons:
            gamma = v[c.gamma][i]
            weight = c.weights[gamma]
            total += weight  # added one by one in Splink's order: the same sum to the last bit
            if c.adds_tf:
                adjustment = _tf_adjustment(c.tf.get(gamma), v, i)
                total += adjustment
                weight += adjustment
            if gamma != -1:
                why.append({"comparison": c.name, "level": c.labels[gamma], "match_weight": round(weight, 4)})
        return {
            "record_id_l": v["record_id_l"][i],
            "record_id": v["record_id_r"][i],
            "match_weight": total,
            "match_probability": _probability(total),
            "why": why,
        }

    def check(self, con, left: pa.Table, right: pa.Table) -> float:
        """The largest difference from Splink's full predict SQL on these pairs; ScoringMismatch beyond tolerance."""
        mine = {r["record_id"]: r["match_probability"] for r in self.score(con, left, right)}
        con = con.cursor()  # Splink's SQL as Splink runs it: DuckDB's default settings (the optimizer on)
        con.register("__resolve_left", left)
        con.register("__resolve_right", right)
        try:
            splink = con.sql(self.predict_sql).to_arrow_table().select(["record_id_r", "match_probability"])
        finally:
            con.unregister("__resolve_left")
            con.unregister("__resolve_right")
        worst = max(
            (
                abs(mine[r] - p)
                for r, p in zip(splink["record_id_r"].to_pylist(), splink["match_probability"].to_pylist())
            ),
            default=0.0,
        )
        if worst > CHECK_TOLERANCE:
            raise ScoringMismatch(f"resolve scoring differs from Splink's predict by {worst:.3g} on this model")
        return worst


def _on_pairs(con, sql: str, __resolve_left: pa.Table, __resolve_right: pa.Table) -> tuple[list[tuple], list[str]]:
    """(rows, column names) of sql over the two tables, which it reads as these Python variables
    (DuckDB's replacement scan): registering them would cost more than running it on a few rows.
    Executed, not a relation to Arrow: half the cost for a few rows."""
    rows = con.execute(sql).fetchall()
    return rows, [d[0] for d in con.description]


def _compiled_cases(comparisons) -> list[tuple[str, Callable]] | None:
    """(gamma column, its CASE as a Python function of a pair of rows) per comparison, in Splink's
    order of levels; None when a level's SQL has no Python twin (the model is scored by SQL)."""
    cases = []
    for comparison in comparisons:
        levels = comparison.comparison_levels
        conditions = [(lv.sql_condition, lv.comparison_vector_value) for lv in levels if not lv._is_else_level]
        otherwise = [lv.comparison_vector_value for lv in levels if lv._is_else_level]
        try:
            cases.append((comparison._gamma_column_name, compile_case(conditions, otherwise[0] if otherwise else None)))
        except Unsupported:
            return None
    return cases


def _comparison(comparison) -> _Comparison:
    levels = comparison.comparison_levels
    tf = {}
    for level in levels:
        if (
            level.comparison_vector_value != -1
            and level._has_tf_adjustments
            and level._tf_adjustment_weight != 0
            and not level._is_else_level
        ):
            u_exact = level._u_probability_corresponding_to_exact_match(levels)
            column = level._tf_adjustment_input_column.unquote().name
            tf[level.comparison_vector_value] = (
                level._tf_adjustment_weight,
                math.log2(u_exact),
                level._tf_minimum_u_value,
                column,
            )
    columns = comparison._match_weight_columns_to_sum
    return _Comparison(
        name=comparison.output_column_name,
        gamma=comparison._gamma_column_name,
        weights={lv.comparison_vector_value: lv._match_weight for lv in levels},
        labels={lv.comparison_vector_value: lv.label_for_charts for lv in levels},
        tf=tf,
        adds_tf=len(columns) > 1,
    )


def _tf_adjustment(tf: tuple | None, v: dict, i: int) -> float:
    """Splink's tf adjustment of one level: weight * (log2 u_exact - log2 greatest(tf_l, tf_r, min u))."""
    if tf is None:
        return 0.0
    weight, log2_u, min_u, column = tf
    left, right = v[f"tf_{column}_l"][i], v[f"tf_{column}_r"][i]
    if left is None and right is None:
        return 0.0
    left, right = (left if left is not None else right), (right if right is not None else left)
    return weight * (log2_u - math.log2(max(left, right, min_u)))


def _probability(weight: float) -> float:
    if weight >= 0:
        return 1.0 / (1.0 + 2.0 ** (-weight))
    return 2.0**weight / (1.0 + 2.0**weight)


# ---------------------------------------------------------------- the resolver


@dataclass
class Resolver:
    """Answers for arriving records against one published run, with its model and thresholds.

    Thread-safe: each call works on its own cursor of the resolver's DuckDB connection."""

    published: pa.Table  # link records with tf_* columns, __row, customer_id and source_record_key
    generic: dict[str, list[str]]  # the values blanked in the published link records
    tf: dict[str, dict[str, float]]  # column -> value -> Splink's term frequency
    scoring: Scoring
    blocks: list[KeyIndex]  # the model's blocking keys: candidates to score
    rules: list[KeyIndex]  # keys that make one customer by definition (linkage.pairs)
    thresholds: Thresholds
    run_id: str | None
    model_version: str | None
    con: duckdb.DuckDBPyConnection
    checked: float = 0.0  # the largest difference from Splink's SQL found at build
    _local: threading.local = field(default_factory=threading.local)
    # (source_system, source_record_key) of the records it holds that have both: the run's and those filed since
    known_keys: set = field(default_factory=set)
    _run_records: pa.Table | None = None  # the published table before any filing joined it
    _filing: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls,
        canonical: pa.Table,
        customer_ids: pa.Array | pa.ChunkedArray,
        splink_model: dict,
        fields,
        thresholds: Thresholds,
        run_id: str | None = None,
        model_version: str | None = None,
    ) -> Resolver:
        """A resolver over these published records (canonical shape) and the customer of each;
        fields: those the model was trained on (its data profile), None: profiled here."""
        links, generic = published_links(canonical)
        fields = frozenset(fields if fields is not None else data_profile(links)["fields"])
        linker = new_linker(links, splink_model, DuckDBAPI())
        compute_term_frequencies(linker, splink_model)
        scoring = Scoring(splink_model)
        tf = {}
        for column in scoring.tf_columns:
            table = linker.table_management.compute_tf_table(column).as_duckdbpyrelation().to_arrow_table()
            tf[column] = dict(zip(table.column(column).to_pylist(), table.column(f"tf_{column}").to_pylist()))
        published = _with_tf(links, tf).append_column("__row", pa.array(np.arange(links.num_rows), pa.int64()))
        published = published.append_column("customer_id", customer_ids)
        published = published.append_column("source_record_key", canonical.column("source_record_key"))
        published = published.combine_chunks()  # take() on a column of many chunks costs milliseconds at 1M rows
        con = duckdb.connect()
        con.register("published", published)
        keys = ([PHONES] if "phone_e164" in fields else []) + prediction_blocks(fields)
        blocks = [KeyIndex.build(con, " & ".join(k), k) for k in keys]
        rules = [
            KeyIndex.build(con, SAME_PHONE_AND_EMAIL, ("phone_e164", "email_std")),
            KeyIndex.build(con, SAME_ORDER, ORDER),
        ]
        con.unregister("published")
        resolver = cls(published, generic, tf, scoring, blocks, rules, thresholds, run_id, model_version, con)
        resolver.checked = resolver._check()
        return resolver

    @property
    def record_count(self) -> int:
        return self.published.num_rows

    def remember(self, records: list[dict], customer_ids: list[str]) -> int:
        """Records filed on arrival join the published ones, each under its customer, so that the
        next resolve finds them; a key filed here before, or a record that cannot be used, is
        passed over. How many joined. Rows are only appended, and the table is swapped before the
        indexes: a request in progress only ever looks up rows its table holds."""
        with self._filing:
            fresh = [(r, c) for r, c in zip(records, customer_ids) if filing_key(r) not in self.known_keys]
            errors, canonical, links = (
                arriving_batch([r for r, _ in fresh], self.generic) if fresh else ([], None, None)
            )
            usable = [(r, c) for (r, c), error in zip(fresh, errors) if error is None]
            if not usable:
                return 0
            if self._run_records is None:
                self._run_records = self.published
            joined = self._filed_rows(canonical, links, [c for _, c in usable])
            indexes = self._indexes_with(joined)
            filed_before = self.published.slice(self._run_records.num_rows)
            # two chunks at most: the run's records and the filings (take() slows with many chunks)
            self.published = pa.concat_tables(
                [self._run_records, pa.concat_tables([filed_before, joined]).combine_chunks()]
            )
            self.blocks, self.rules = indexes[: len(self.blocks)], indexes[len(self.blocks) :]
            self.known_keys |= {filing_key(r) for r, _ in usable}
            return len(usable)

    def _filed_rows(self, canonical: pa.Table, links: pa.Table, customer_ids: list[str]) -> pa.Table:
        """Filed records' link rows in the published table's shape, its rows and record ids numbered on."""
        first, before = self.published.num_rows, self.published.num_rows - self._run_records.num_rows
        count = links.num_rows
        joined = _with_tf(links, self.tf)
        record_ids = pa.array(FILED_RECORD_ID - before - np.arange(count), pa.int64())
        joined = joined.set_column(joined.column_names.index("record_id"), "record_id", record_ids)
        joined = joined.append_column("__row", pa.array(np.arange(first, first + count), pa.int64()))
        joined = joined.append_column("customer_id", pa.array(customer_ids, pa.string()))
        joined = joined.append_column("source_record_key", canonical.column("source_record_key"))
        return joined.cast(self.published.schema)

    def _indexes_with(self, joined: pa.Table) -> list[KeyIndex]:
        """The blocking and rule indexes with the joined rows' keys merged in."""
        con, indexes = self._cursor(), [*self.blocks, *self.rules]
        wanted = [
            (i, row["__row"], values)
            for row in joined.to_pylist()
            for i, index in enumerate(indexes)
            for values in index.key_values(row, con)
        ]
        hashes = hashes_of([values for _, _, values in wanted])
        merged = []
        for i, index in enumerate(indexes):
            mine = [(h, row) for (j, row, _), h in zip(wanted, hashes) if j == i]
            merged.append(index.with_entries([h for h, _ in mine], [r for _, r in mine]) if mine else index)
        return merged

    def resolve(self, record: dict, with_pairs: bool = False) -> dict:
        """The answer for one record (RecordError when it cannot be resolved); with_pairs: also
        `pairs`, the model's probability for every candidate record, by record_id (for tests)."""
        (answer,) = self.resolve_many([record], with_pairs)
        if isinstance(answer, RecordError):
            raise answer
        return answer

    def resolve_many(self, records: list[dict], with_pairs: bool = False) -> list[dict | RecordError]:
        """The answer for each record, in order (a RecordError for one that cannot be resolved): each
        the answer it gets alone, with one standardisation, one hash statement and one scoring
        statement for them all (what one record costs is mostly DuckDB planning those statements)."""
        con = self._cursor()
        errors, canonical, links = arriving_batch(records, self.generic, self._link)
        if links is None or links.num_rows == 0:
            return errors
        keys = canonical.column("source_record_key").to_pylist()
        rows = [{**link, "source_record_key": key} for link, key in zip(links.to_pylist(), keys)]
        indexes = [*self.blocks, *self.rules]
        wanted = [
            (j, i, v)
            for j, row in enumerate(rows)
            for i, index in enumerate(indexes)
            for v in index.key_values(row, con)
        ]
        found: list[dict[int, list[np.ndarray]]] = [{} for _ in rows]  # per record: index -> published rows
        for (j, i, _), h in zip(wanted, hashes_of([v for _, _, v in wanted])):
            found[j].setdefault(i, []).append(indexes[i].find(h))
        candidates = [_blocked(parts, len(self.blocks)) for parts in found]
        left = np.repeat(np.arange(len(rows)), [c.size for c in candidates])
        right = np.concatenate(candidates)
        scored = (
            self.scoring.score(con, _with_tf(links, self.tf).take(left), self.published.take(right))
            if right.size
            else []
        )
        by_pair = {(p["record_id_l"], p["record_id"]): p for p in scored}
        record_ids = links.column("record_id").to_pylist()
        pairs: list[list[dict]] = [[] for _ in rows]
        for j, r, customer in zip(
            left.tolist(),
            self.published.column("record_id").take(right).to_pylist(),
            self.published.column("customer_id").take(right).to_pylist(),
        ):
            pairs[j].append({**by_pair[(record_ids[j], r)], "customer_id": customer})
        for j, parts in enumerate(found):
            for i, rules in parts.items():
                if i >= len(self.blocks):
                    pairs[j] += [
                        _rule_pair(self.published, row, indexes[i].name) for part in rules for row in part.tolist()
                    ]
        answers = iter(self._answer_with(p, with_pairs) for p in pairs)
        return [error if error is not None else next(answers) for error in errors]

    def _answer_with(self, pairs: list[dict], with_pairs: bool) -> dict:
        answer = self.answer(pairs)
        if with_pairs:
            answer["pairs"] = {p["record_id"]: p["match_probability"] for p in pairs if p["match_weight"] is not None}
        return answer

    def answer(self, pairs: list[dict]) -> dict:
        """Customers by their best pair, the decision by the run's thresholds."""
        best: dict[str, dict] = {}
        for pair in pairs:
            current = best.get(pair["customer_id"])
            if current is None or pair["match_probability"] > current["match_probability"]:
                best[pair["customer_id"]] = pair
        ranked = sorted(best.values(), key=lambda p: (-p["match_probability"], p["customer_id"]))
        probability = ranked[0]["match_probability"] if ranked else 0.0
        if ranked and probability >= self.thresholds.match_threshold:
            decision = "match"
        elif ranked and probability >= self.thresholds.review_floor:
            decision = "review"
        else:
            decision = "new"
        return {
            "customer_id": ranked[0]["customer_id"] if decision != "new" else None,
            "match_probability": probability,
            "decision": decision,
            "candidates": [
                {"customer_id": p["customer_id"], "match_probability": p["match_probability"], "why": p["why"]}
                for p in ranked[:MAX_CANDIDATE_CUSTOMERS]
            ],
            "run_id": self.run_id,
        }

    def _cursor(self):
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self.con.cursor()
            # a few rows per statement: the optimizer's passes cost a quarter of its time and save nothing
            cursor.execute("pragma disable_optimizer")
        return cursor

    def _link(self, canonical: pa.Table, generic: dict[str, list[str]]) -> pa.Table:
        """link_records of a few arriving records: the same rows and schema."""
        schema = self.published.select(list(LINK_COLUMNS)).schema
        return without_generic_values(few_link_records(canonical, schema), generic)

    def _check(self) -> float:
        """Sample pairs of published records scored both ways: the fast weights against Splink's SQL."""
        n = self.published.num_rows
        if n < 2:
            return 0.0
        con, worst = self._cursor(), 0.0
        rng = np.random.default_rng(0)
        for left in rng.choice(n, size=min(n, CHECK_PAIRS // 20 + 1), replace=False).tolist():
            right = np.unique(rng.choice(n, size=min(n, 20), replace=False))
            pairs = (self.published.take(np.full(right.size, left)), self.published.take(right))
            worst = max(worst, self.scoring.check(con, *pairs))
        return worst


def _blocked(found: dict[int, list[np.ndarray]], blocks: int) -> np.ndarray:
    """The published rows a record shares a blocking key with (indexes below `blocks`), each once, in order."""
    parts = [rows for i, part in found.items() if i < blocks for rows in part]
    return np.unique(np.concatenate(parts)) if parts else np.array([], np.int64)


def filing_key(record: dict) -> tuple[str, str] | None:
    """(source_system, source_record_key) of a record as sent, the key it is filed under; None without both."""
    system, key = (
        str(v).strip() if v is not None else "" for v in map(record.get, ("source_system", "source_record_key"))
    )
    return (system, key) if system and key else None


def _rule_pair(published: pa.Table, row: int, rule: str) -> dict:
    return {
        "record_id": published.column("record_id")[row].as_py(),
        "customer_id": published.column("customer_id")[row].as_py(),
        "match_probability": 1.0,
        "match_weight": None,
        "why": [{"comparison": "rule", "level": rule, "match_weight": None}],
    }


def _with_tf(links: pa.Table, tf: dict[str, dict[str, float]]) -> pa.Table:
    for column, values in tf.items():
        looked_up = [values.get(v) for v in links.column(column).to_pylist()]
        links = links.append_column(f"tf_{column}", pa.array(looked_up, pa.float64()))
    return links
