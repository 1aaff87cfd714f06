"""mapped/: a YAML mapping onboards a CSV, XLSX, Parquet or JSON-lines table without code."""

from __future__ import annotations

import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sources.ingest import ingest

MEMBERS = [
    {"first_name": "Ann", "surname": "Lee", "dob": "19800102", "mobile": "+1 650 253 0000", "email": "ann@example.com"},
    {"first_name": "伟", "surname": "张", "dob": "19900304", "mobile": "13812345678", "email": None},
]
MAPPING = """file: {file}
source_system: loyalty
encoding: {encoding}
columns:
  given_name: first_name
  family_name: surname
  birth_date: dob
  phone: mobile
  email: email
date_format: "%Y%m%d"
"""


def _write(folder, suffix: str) -> None:
    folder.mkdir(parents=True)
    path = folder / f"members.{suffix}"
    if suffix == "csv":
        lines = ["first_name,surname,dob,mobile,email"] + [",".join(r[k] or "" for k in MEMBERS[0]) for r in MEMBERS]
        path.write_bytes("\n".join(lines).encode("gb18030"))
    elif suffix == "jsonl":
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in MEMBERS), encoding="utf-8")
    elif suffix == "parquet":
        pq.write_table(pa.Table.from_pylist(MEMBERS), path)
    else:
        workbook = openpyxl.Workbook()
        workbook.active.append(list(MEMBERS[0]))
        for r in MEMBERS:
            workbook.active.append(list(r.values()))
        workbook.save(path)
    encoding = "gb18030" if suffix == "csv" else "auto"
    (folder / "members.yaml").write_text(MAPPING.format(file=path.name, encoding=encoding), encoding="utf-8")


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "parquet", "jsonl"])
def test_each_table_format_is_onboarded_by_mapping(tmp_path, suffix):
    _write(tmp_path / "mapped", suffix)
    result = ingest(tmp_path)
    rows = result.staged.to_pylist()
    assert [(r["source_file"], r["source_row"], r["source_system"]) for r in rows] == [
        (f"mapped/members.{suffix}", 1, "loyalty"),
        (f"mapped/members.{suffix}", 2, "loyalty"),
    ]
    assert (rows[0]["given_name"], rows[0]["family_name"], rows[0]["birth_date"]) == ("Ann", "Lee", "1980-01-02")
    assert rows[1]["family_name"] == "张"
    assert result.files[0]["origin"] == "mapped/members.yaml"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("  phone: mobile", "  mobile_phone: mobile"), "unknown canonical field(s) mobile_phone"),
        (("  email: email", "  email: e_mail"), "column(s) not in members.csv: email -> 'e_mail'"),
        (("encoding: gb18030", "encoding: klingon"), "unknown encoding 'klingon'"),
        (("file: members.csv", "file: missing.csv"), "data file 'missing.csv' not found"),
    ],
)
def test_a_wrong_mapping_names_the_field_and_the_file_and_stops_nothing_else(tmp_path, change, message):
    _write(tmp_path / "mapped", "csv")
    yaml_path = tmp_path / "mapped" / "members.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "x.csv").write_text("Name,Phone\nAnn,13800000001\n", encoding="utf-8")
    result = ingest(tmp_path)
    (report,) = [f for f in result.files if f["origin"] == "mapped/members.yaml"]
    assert message in report["error"] and "members.yaml" in report["error"]
    assert result.staged.num_rows == 1  # the salesperson's sheet still loads
