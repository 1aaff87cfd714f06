"""Splink's public demo person data set ``fake_1000``, whole and in column subsets, as a mapped/
source with truth.

fake_1000 (evaluation/data/fake_1000.csv, from moj-analytical-services/splink_demos, MIT; see
evaluation/data/README.md) is 1,000 synthetic UK person records of 251 people: typos, first name
and surname swapped, birth dates off by days, months or years, blanks in every column. Its
columns are unique_id, first_name, surname, dob, city, email and group, the true person. The
pipeline was not designed around it; it is onboarded through a mapped/ YAML source, exactly as a
new customer table would be.

The subsets keep only some columns, the way real exports often come:

* ``names-dob``: first name, surname, date of birth;
* ``names-city-dob``: names, city, date of birth (no email).

`unique_id` is a row number: it stays in the written file (as FEBRL's rec_id does) but is mapped
to nothing; `group` is only in the truth file.
"""

from __future__ import annotations

import csv
from pathlib import Path

from evaluation import mapped_sets

DATA = Path(__file__).resolve().parent / "data"
FILES = {"fake1000": "fake_1000.csv"}
ID, PERSON = "unique_id", "group"
# fake_1000 column -> canonical field of a mapped source
FIELDS = {
    "first_name": "given_name",
    "surname": "family_name",
    "dob": "birth_date",
    "city": "city",
    "email": "email",
}
NAMES = ("first_name", "surname")
SUBSETS = {
    "": tuple(FIELDS),
    "names-dob": (*NAMES, "dob"),
    "names-city-dob": (*NAMES, "city", "dob"),
}


def dataset_names() -> list[str]:
    """fake1000 and every subset of it: fake1000, fake1000-names-dob, fake1000-names-city-dob."""
    return mapped_sets.dataset_names(FILES, SUBSETS)


def split_name(dataset: str) -> tuple[str, str]:
    """'fake1000-names-dob' -> ('fake1000', 'names-dob'); 'fake1000' -> ('fake1000', '')."""
    return mapped_sets.split_name(dataset, FILES, SUBSETS, "Splink demo")


def mapping_yaml(file: str, system: str, columns: tuple[str, ...]) -> str:
    """The mapped/ YAML of a fake_1000 file that has these columns (dob is ISO: YYYY-MM-DD)."""
    return mapped_sets.mapping_yaml(file, system, columns, FIELDS, {"dob": "%Y-%m-%d"})


def read_rows(file_name: str, folder: Path = DATA) -> list[dict[str, str]]:
    """Rows of one data file, as read (blank cells are empty strings)."""
    with open(Path(folder) / file_name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_set(dataset: str, root: Path, folder: Path = DATA) -> Path:
    """Write a data set (fake1000, fake1000-names-dob, ...) under root/mapped/; returns the truth
    file (source_file, sheet, row_number, person_id = group), beside root as FEBRL's is."""
    base, subset = split_name(dataset)
    columns = SUBSETS[subset]
    root = Path(root)
    mapped = root / "mapped"
    mapped.mkdir(parents=True, exist_ok=True)
    truth_rows = []
    with open(mapped / f"{base}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow((ID, *columns))
        for row_number, row in enumerate(read_rows(FILES[base], folder), start=1):
            writer.writerow((row[ID], *(row[c] for c in columns)))
            truth_rows.append((f"mapped/{base}.csv", "", row_number, row[PERSON]))
    (mapped / f"{base}.yaml").write_text(mapping_yaml(f"{base}.csv", base, columns), encoding="utf-8")
    truth = root.parent / f"{root.name}_truth.csv"
    return mapped_sets.write_truth(truth, truth_rows)
