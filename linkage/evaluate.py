"""Pairwise precision, recall and F1 of predicted customers against a truth table.

Counted without enumerating pairs: a group of n records holds n(n-1)/2 pairs, so true positives
are the pairs inside each (predicted, true) group, and precision/recall divide by the pairs
inside predicted and true groups respectively. A truth row missing from the prediction counts
as a customer of its own (a lost record is a missed match, never a free pass).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from sources.schema import LineageKey


@dataclass(frozen=True)
class PairwiseScores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    records: int
    missing_records: int

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"precision {self.precision:.4f}  recall {self.recall:.4f}  F1 {self.f1:.4f}  "
            f"({self.correct_pairs:,} of {self.predicted_pairs:,} predicted pairs correct, "
            f"{self.true_pairs:,} true pairs, {self.records:,} records, {self.missing_records} missing)"
        )


def _pairs(counts: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def pairwise_scores(predicted: dict[LineageKey, str], truth: dict[LineageKey, str]) -> PairwiseScores:
    missing = [k for k in truth if k not in predicted]
    label = {k: predicted.get(k, f"missing:{k}") for k in truth}
    correct = _pairs(Counter((label[k], truth[k]) for k in truth))
    predicted_pairs = _pairs(Counter(label.values()))
    true_pairs = _pairs(Counter(truth.values()))
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(precision, recall, f1, true_pairs, predicted_pairs, correct, len(truth), len(missing))


def assignment(rows: Iterable[tuple]) -> dict[LineageKey, str]:
    """Lineage key -> customer, from (source_file, source_sheet, source_row, customer) rows: the one
    way a crosswalk or a clustering becomes the prediction `pairwise_scores` reads. A file without
    sheets has sheet '' there, as in the truth."""
    return {(f, s or "", int(r)): str(c) for f, s, r, c in rows}


def read_truth(path: Path) -> dict[LineageKey, str]:
    """Truth CSV as in the sample set: source_file, sheet, row_number, person_id."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            (r["source_file"], r["sheet"] or "", int(r["row_number"])): r["person_id"] for r in csv.DictReader(handle)
        }
