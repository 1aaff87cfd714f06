"""Why records were merged: the linkage model's match weights for a pair, comparison by comparison.

The warehouse's current Splink model (or the model file the search is given) scores the pair
again from the published standardised fields (the same link columns the pipeline builds, via
linkage.features.link_records), with term frequencies taken
from the whole published crosswalk. Identifiers the crosswalk does not publish (a national ID)
are missing here, so a weight can differ slightly from the run's own.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from linkage.features import link_records
from linkage.model import new_linker
from linkage.model_store import read_model_file
from search.retry import WarehouseUnavailable
from search.snapshot import read_current_model
from sources.canonical import distinct_map
from sources.schema import CANONICAL_SCHEMA
from sources.standardise.names import name_tokens
from sources.standardise.phones import usable_phones

logger = logging.getLogger("unify.search")

MAX_RECORDS = 60  # a bigger customer is explained by its first records (every pair is scored)
# link column with term-frequency adjustment -> crosswalk column it comes from
TF_COLUMNS = {"name_full": "name", "phone_e164": "phone", "email_std": "email"}
COMPARISON_LABELS = {
    "name": "姓名 name",
    "phone": "电话 phone",
    "email": "邮箱 email",
    "wechat_std": "微信 WeChat",
    "birth_date_std": "生日 birth date",
    "place": "地址 place",
    "postcode_std": "邮编 postcode",
    "national_id": "证件号 ID number",
    "external_id": "平台账号 shop account",
}
# crosswalk column -> canonical column, where the names differ (survivorship renamed them)
CROSSWALK_TO_CANONICAL = {
    "name": "name_std",
    "phone": "phone_e164",
    "email": "email_std",
    "wechat": "wechat_std",
    "birth_date": "birth_date_std",
    "province": "province_std",
    "city": "city_std",
    "district": "district_std",
    "address": "address_std",
    "postcode": "postcode_std",
}


class Explainer:
    """Scores record pairs with the warehouse's model, or a model file when given one; loaded
    lazily and again after each publish (a run may have trained a new one), one scoring at a time."""

    def __init__(self, model_path: Path | str | None, url: str | None = None):
        self.model_path = Path(model_path) if model_path else None
        self.url = url
        self._lock = threading.Lock()
        self._linker = None
        self._model: dict | None = None
        self._version: str | None = None
        self._model_run: str | None = None
        self._tf: dict[str, dict] = {}
        self._tf_run: str | None = None

    @property
    def available(self) -> bool:
        return self.model_path.is_file() if self.model_path is not None else self.url is not None

    def explain(self, records: list[dict], crosswalk: pa.Table, run_id: str | None) -> list[dict]:
        """For each record, its strongest link to another record of the same customer, with weights."""
        records = records[:MAX_RECORDS]
        if len(records) < 2 or not self.available:
            return []
        with self._lock:
            linker = self._load(run_id)
            if linker is None:
                return []
            self._term_frequencies(crosswalk, run_id)
            links = self._links(records)
            scored = linker.inference.score_pairs(links, links).as_duckdbpyrelation().to_arrow_table().to_pylist()
        by_id = {r["record_id"]: r for r in records}
        return _strongest_links([s for s in scored if s["record_id_l"] != s["record_id_r"]], by_id, self._model)

    def explain_pairs(
        self, pairs: list[tuple[dict, dict]], crosswalk: pa.Table, run_id: str | None
    ) -> list[dict | None]:
        """Each given pair of records with its weights (a page of review pairs), scored in one call:
        the left records against the right ones (Splink's fixed cost per call outweighs the extra pairs)."""
        if not pairs or not self.available:
            return [None] * len(pairs)
        with self._lock:
            linker = self._load(run_id)
            if linker is None:
                return [None] * len(pairs)
            self._term_frequencies(crosswalk, run_id)
            lefts, rights = self._links([a for a, _ in pairs]), self._links([b for _, b in pairs])
            scored = linker.inference.score_pairs(lefts, rights).as_duckdbpyrelation().to_arrow_table().to_pylist()
        by_ids = {frozenset((s["record_id_l"], s["record_id_r"])): s for s in scored}
        found = [(by_ids.get(frozenset((a["record_id"], b["record_id"]))), a, b) for a, b in pairs]
        return [_link(s, a, b, self._model) if s else None for s, a, b in found]

    def _links(self, records: list[dict]) -> list[dict]:
        """The records' link columns (as the pipeline builds them) with term frequencies."""
        return [
            self._with_tf(row)
            for row in link_records(crosswalk_as_canonical(pa.Table.from_pylist(records))).to_pylist()
        ]

    def _load(self, run_id: str | None):
        if self._linker is not None and self._model_run == run_id:
            return self._linker
        try:
            document = read_model_file(self.model_path) if self.model_path is not None else read_current_model(self.url)
        except (OSError, ValueError, WarehouseUnavailable) as exc:
            logger.warning("cannot read the linkage model %s: %s", self.model_path or "of the warehouse", exc)
            return None
        if document is None:
            return None
        if document["version"] != self._version:
            self._model, self._version = document["splink"], document["version"]
            self._linker = new_linker(link_records(crosswalk_as_canonical(pa.table({}))), self._model)
        self._model_run = run_id
        return self._linker

    def _term_frequencies(self, crosswalk: pa.Table, run_id: str | None) -> None:
        """How common each name, phone and email is in the published crosswalk (once per run)."""
        if self._tf_run == run_id and self._tf:
            return
        self._tf = {}
        for link_column, column in TF_COLUMNS.items():
            values = crosswalk[column]
            if column == "name":  # linkage compares full names only
                values = values.filter(pc.invert(pc.fill_null(crosswalk["name_is_partial"], False)))
            counts = pc.value_counts(values.drop_null())
            total = max(1, len(values.drop_null()))
            self._tf[link_column] = {
                v.as_py(): c.as_py() / total for v, c in zip(counts.field("values"), counts.field("counts"))
            }
        self._tf_run = run_id

    def _with_tf(self, link: dict) -> dict:
        return {**link, **{f"tf_{c}": self._tf[c].get(link[c]) for c in TF_COLUMNS}}


def crosswalk_as_canonical(crosswalk: pa.Table) -> pa.Table:
    """Published crosswalk rows in the canonical shape linkage.features.link_records reads, each
    distinct phone and name standardised once (the resolver passes the whole crosswalk)."""
    n = crosswalk.num_rows

    def values(name: str) -> list:
        return crosswalk.column(name).to_pylist() if name in crosswalk.column_names else [None] * n

    columns = {CROSSWALK_TO_CANONICAL.get(c, c): crosswalk.column(c) for c in crosswalk.column_names}
    phones = distinct_map(values("phone_display"), lambda v: list(usable_phones(v)) if v else [])
    columns["phones"] = pa.array(
        [p or ([m] if m else []) for p, m in zip(phones, values("phone"))], pa.list_(pa.string())
    )
    columns["name_tokens"] = pa.array(distinct_map(values("name_pinyin"), name_tokens), pa.string())
    return pa.table(
        {f.name: columns[f.name].cast(f.type) if f.name in columns else pa.nulls(n, f.type) for f in CANONICAL_SCHEMA},
        schema=CANONICAL_SCHEMA,
    )


def _strongest_links(scored: list[dict], records: dict[int, dict], model: dict) -> list[dict]:
    best: dict[int, dict] = {}
    for pair in scored:
        current = best.get(pair["record_id_l"])
        if current is None or pair["match_weight"] > current["match_weight"]:
            best[pair["record_id_l"]] = pair
    seen, links = set(), []
    for pair in sorted(best.values(), key=lambda p: -p["match_weight"]):
        key = frozenset((pair["record_id_l"], pair["record_id_r"]))
        if key in seen:
            continue
        seen.add(key)
        links.append(_link(pair, records[pair["record_id_l"]], records[pair["record_id_r"]], model))
    return links


def _link(pair: dict, left: dict, right: dict, model: dict) -> dict:
    """A scored pair as explained: both records' lineage, probability, weights per comparison."""
    if pair["record_id_l"] != left["record_id"]:  # scored the other way round: the same weights
        left, right = right, left
    return {
        "left": _lineage(left),
        "right": _lineage(right),
        "match_probability": pair["match_probability"],
        "match_weight": pair["match_weight"],
        "prior_weight": _prior_weight(model),
        "comparisons": _comparisons(pair, model),
    }


def _comparisons(pair: dict, model: dict) -> list[dict]:
    rows = []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        gamma = pair.get(f"gamma_{name}")
        label = "missing" if gamma is None or gamma < 0 else levels[len(levels) - 1 - gamma]["label_for_charts"]
        weight = (pair.get(f"mw_{name}") or 0.0) + (pair.get(f"mw_tf_adj_{name}") or 0.0)
        rows.append(
            {
                "comparison": name,
                "label": COMPARISON_LABELS.get(name, name),
                "level": label,
                "weight": weight,
                "missing": label == "missing",
            }
        )
    return rows


def _prior_weight(model: dict) -> float:
    p = model["probability_two_random_records_match"]
    return math.log2(p / (1 - p))


def _lineage(record: dict) -> dict:
    return {k: record[k] for k in ("source_system", "source_file", "source_sheet", "source_row", "name")}
