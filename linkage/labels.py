"""Reviewers teach the model: decided pairs are labels, for the m probabilities and the thresholds.

Every decision kept in `review_decisions` (a review, a merge, a split) names two records by
lineage key; while both records are present it is a labelled pair of this run's record ids, the
same person or not. When a model is trained with at least MIN_LABELS such pairs present, some the
same person and some not (enough_labels):

* m from labels: after the unsupervised training, Splink's labelled-pairs training
  (`linker.training.estimate_m_from_pairwise_labels`) counts the comparison levels of the "same"
  pairs. Splink keeps every estimate of a level and uses their median, so the labels are one
  estimate beside each EM session's, not a replacement: reviewed pairs are the borderline ones,
  not a sample of all matches. regularise() runs after it (no m is 0 or NaN).
* thresholds: the labelled pairs are scored by the new model and the match threshold is placed
  where F1 on them is highest while precision on them stays at or above MIN_PRECISION
  (choose_thresholds); the review floor where reviews stop finding the same person. Both are kept
  with the model version (`linkage_models.labels`) and replace the configured LinkageSettings
  values in the runs that score with it.

Both or neither: m moved by labels is always followed by thresholds placed on the new scores
(on the hard demo data, m from 100 borderline "same" pairs alone, with the configured threshold,
once cost 1.4 points of F1; evaluation/review_gain.py measures it). Labels are a sample of the queue, so they
place thresholds within the range they cover; below LOWEST_THRESHOLD no pair is ever scored, so
no threshold goes lower.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from config.settings import SCORE_FLOOR
from linkage import model
from linkage.review import decision_links

MIN_LABELS = 20  # labelled pairs (both records present, some same, some different) before labels teach
MIN_PRECISION = 0.99  # precision on the labelled pairs a placed threshold keeps
REVIEW_YIELD = 0.5  # the review band reaches down while at least this share of its labelled pairs are the same person
LOWEST_THRESHOLD = SCORE_FLOOR  # pairs below are never scored: no threshold lower

LABEL_SCHEMA = pa.schema([("record_id_l", pa.int64()), ("record_id_r", pa.int64()), ("same", pa.bool_())])


@dataclass(frozen=True)
class Thresholds:
    """The decision thresholds a run resolves with: pairs at or above match_threshold join one
    customer, pairs from review_floor up to it go to the review queue."""

    match_threshold: float
    review_floor: float


def labelled_pairs(decisions: list[dict], canonical: pa.Table) -> pa.Table:
    """record_id_l < record_id_r and same (True: the same person), one row per pair, for the
    decisions whose two records are both among these canonical records."""
    must, cannot = decision_links(decisions, canonical)
    found: dict[tuple[int, int], bool] = {}
    for pairs, same in ((must, True), (cannot, False)):
        for a, b in pairs:
            if a != b:
                found[(min(a, b), max(a, b))] = same
    rows = sorted(found.items())
    return pa.table(
        {
            "record_id_l": [a for (a, _), _ in rows],
            "record_id_r": [b for (_, b), _ in rows],
            "same": [same for _, same in rows],
        },
        schema=LABEL_SCHEMA,
    )


def label_counts(labels: pa.Table) -> dict:
    """How many labelled pairs there are, and how many say the same person or different people."""
    same = sum(labels.column("same").to_pylist())
    return {"pairs": labels.num_rows, "same": same, "different": labels.num_rows - same}


def enough_labels(counts: dict) -> bool:
    """Whether labels with these counts teach the model: MIN_LABELS pairs, both kinds among them."""
    return counts["pairs"] >= MIN_LABELS and counts["same"] > 0 and counts["different"] > 0


def estimate_m(linker, labels: pa.Table) -> int:
    """Splink's labelled-pairs m estimate from the "same" pairs, added to the linker's trained
    values (each level's m is then the median of its estimates); the number of pairs it used."""
    same = labels.filter(labels.column("same")).select(["record_id_l", "record_id_r"])
    if same.num_rows == 0:
        return 0
    table = linker.table_management.register_table(same, "__splink__labelled_same_pairs", overwrite=True)
    model._guarded(lambda: linker.training.estimate_m_from_pairwise_labels(table))
    return same.num_rows


def score_labels(records: pa.Table, splink_model: dict, labels: pa.Table) -> list[tuple[float, bool]]:
    """(match probability, same) of every labelled pair, scored by the model: exactly these pairs,
    registered as Splink's blocked pairs, whatever the blocking rules would find."""
    if labels.num_rows == 0:
        return []
    db_api = model.duckdb_api()
    linker = model.new_linker(records, splink_model, db_api)
    blocked = pa.table(
        {
            "match_key": pa.array(["0"] * labels.num_rows),
            "join_key_l": labels.column("record_id_l"),
            "join_key_r": labels.column("record_id_r"),
        }
    )
    linker.table_management.register_blocked_pairs_for_predict(
        db_api.register(blocked, table_name="__splink__labelled_pairs")
    )
    scored = linker.inference.predict(warning_mode="never").as_duckdbpyrelation()
    rows = scored.project("least(record_id_l, record_id_r), greatest(record_id_l, record_id_r), match_probability")
    probability = {(a, b): p for a, b, p in rows.fetchall()}
    same = labels.column("same").to_pylist()
    keys = zip(labels.column("record_id_l").to_pylist(), labels.column("record_id_r").to_pylist())
    return [(_probability(probability.get(key)), s) for key, s in zip(keys, same)]


def _probability(value) -> float:
    return value if isinstance(value, float) and math.isfinite(value) else 0.0


def choose_thresholds(scored: Iterable[tuple[float, bool]]) -> dict | None:
    """The match threshold and review floor these scored labels support, with the precision,
    recall and F1 on them at that threshold; None when no threshold keeps MIN_PRECISION.

    The match threshold is the probability of a labelled pair (pairs at or above it are called the
    same person) where F1 on the labels is highest among those with precision >= MIN_PRECISION
    (the higher threshold on a tie), at or above LOWEST_THRESHOLD. The review floor is the lowest
    probability below it down to which at least REVIEW_YIELD of the labelled pairs between it and
    the threshold are the same person (None when no labelled pair lies below the threshold)."""
    ranked = sorted(scored, key=lambda s: -s[0])
    positives = sum(same for _, same in ranked)
    best, true_pos, false_pos = None, 0, 0
    for i, (probability, same) in enumerate(ranked):
        true_pos, false_pos = true_pos + same, false_pos + (not same)
        if probability < LOWEST_THRESHOLD or (i + 1 < len(ranked) and ranked[i + 1][0] == probability):
            continue  # never below the lowest; a threshold takes every pair of its probability
        precision, recall = true_pos / (true_pos + false_pos), true_pos / positives if positives else 0.0
        f1 = 2 * precision * recall / (precision + recall) if true_pos else 0.0
        if precision >= MIN_PRECISION and true_pos and (best is None or f1 > best["f1"]):
            best = {"match_threshold": probability, "precision": precision, "recall": recall, "f1": f1}
    if best is None:
        return None
    below = [(p, same) for p, same in ranked if p < best["match_threshold"]]
    floor, same_below = None, 0
    for i, (probability, same) in enumerate(below):
        same_below += same
        if same_below >= REVIEW_YIELD * (i + 1):
            floor = probability
    best["review_floor"] = max(floor, LOWEST_THRESHOLD) if floor is not None else None
    return {k: round(v, 6) if v is not None else None for k, v in best.items()}


def run_thresholds(taught: dict | None, match_threshold: float, review_floor: float) -> Thresholds:
    """The thresholds a run resolves with: those placed on labels with its model (taught: the
    model's `labels`, as train returns them), else the configured ones; the review floor never
    above the threshold."""
    placed = (taught or {}).get("thresholds") or {}
    match = placed.get("match_threshold") or match_threshold
    floor = placed.get("review_floor") or review_floor
    return Thresholds(match_threshold=match, review_floor=min(floor, match))


def train(records: pa.Table, fields, labels: pa.Table | None) -> tuple[dict, dict]:
    """(Splink model, what the labels taught it): model.train_model, with the m estimate from the
    labels and thresholds placed on them when they are enough. The figures: pairs, same,
    different, m_from_labels (the "same" pairs m was estimated from, 0: none) and thresholds
    (choose_thresholds' result; None: the runs keep the configured ones)."""
    labels = labels if labels is not None else pa.Table.from_pylist([], schema=LABEL_SCHEMA)
    counts = label_counts(labels)
    if not enough_labels(counts):
        return model.train_model(records, fields), {**counts, "m_from_labels": 0, "thresholds": None}
    used = []
    splink_model = model.train_model(records, fields, refine=lambda linker: used.append(estimate_m(linker, labels)))
    placed = choose_thresholds(score_labels(records, splink_model, labels))
    return splink_model, {**counts, "m_from_labels": sum(used), "thresholds": placed}
