"""What the public data sets of `make eval` share: a data set is a base file in column subsets
(febrl3, febrl3-names-dob, ...), onboarded as a mapped/ YAML source with a truth file beside it."""

from __future__ import annotations

import csv
from pathlib import Path

TRUTH_HEADER = ("source_file", "sheet", "row_number", "person_id")


def dataset_names(bases, subsets) -> list[str]:
    """Every base with every subset: 'febrl3' for the whole file, 'febrl3-names-dob' for a subset."""
    return [f"{base}-{subset}" if subset else base for base in bases for subset in subsets]


def split_name(dataset: str, bases, subsets, family: str) -> tuple[str, str]:
    """'febrl3-names-dob' -> ('febrl3', 'names-dob'); 'febrl4' -> ('febrl4', '')."""
    base, _, subset = dataset.partition("-")
    if base not in bases or subset not in subsets:
        raise ValueError(f"unknown {family} data set {dataset!r}")
    return base, subset


def mapping_yaml(file: str, system: str, columns: tuple[str, ...], fields: dict, dates: dict[str, str]) -> str:
    """The mapped/ YAML of a file with these columns; fields: column -> canonical field; dates:
    the date column -> its format, said when the column is there."""
    lines = [f"file: {file}", f"source_system: {system}", "encoding: utf-8", "columns:"]
    lines += [f"  {fields[c]}: {c}" for c in columns]
    lines += [f'date_format: "{fmt}"' for column, fmt in dates.items() if column in columns]
    return "\n".join(lines) + "\n"


def write_truth(path: Path, rows: list[tuple]) -> Path:
    """The truth file: (source_file, sheet, row_number, person_id) per record."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRUTH_HEADER)
        writer.writerows(rows)
    return path
