"""Readers on the sample set and on broken files: every row staged or quarantined, with reasons."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from sources.ingest import ingest


@pytest.fixture(scope="module")
def sample_result(sample_sources):
    return ingest(sample_sources)


def test_every_truth_row_is_staged(sample_result, sample_truth):
    staged = {
        (r["source_file"], r["source_sheet"], r["source_row"])
        for r in sample_result.staged.select(["source_file", "source_sheet", "source_row"]).to_pylist()
    }
    with open(sample_truth, encoding="utf-8") as handle:
        truth = {(r["source_file"], r["sheet"], int(r["row_number"])) for r in csv.DictReader(handle)}
    assert truth - staged == set()
    assert sample_result.quarantined.num_rows == 0


def test_each_format_is_detected_from_its_header(sample_result):
    formats = {f["source_file"]: f["source_format"] for f in sample_result.files}
    assert formats["shop/tmall_orders_2025.csv"] == "tmall"
    assert formats["shop/shopify_orders_export.csv"] == "shopify"
    assert formats["service/call_center_tickets.csv"] == "call_center"
    assert formats["service/helpdesk_tickets.jsonl"] == "helpdesk"


def test_gbk_tmall_export_is_decoded_and_order_numbers_stay_exact(sample_result):
    tmall = [r for r in sample_result.staged.to_pylist() if r["source_system"] == "tmall"]
    first = tmall[0]
    assert first["full_name"] == "陶洋"
    assert first["source_record_key"] == "3000000903143415475"
    assert first["address_line"].startswith("浙江省")


def test_sales_sheet_below_a_title_row_is_read_with_salesperson(sample_result):
    rows = [r for r in sample_result.staged.to_pylist() if r["source_file"] == "sales/zhao_min.xlsx"]
    assert rows[0]["source_row"] == 1 and rows[0]["full_name"] == "陈总"
    assert {r["salesperson"] for r in rows} == {"zhao_min"}


def test_consent_signals_are_read(sample_result, sample_truth):
    with open(sample_truth, encoding="utf-8") as handle:
        signals = {
            (r["source_file"], r["sheet"], int(r["row_number"]))
            for r in csv.DictReader(handle)
            if r["opt_out_signal"] == "1"
        }
    opted = {
        (r["source_file"], r["source_sheet"], r["source_row"])
        for r in sample_result.staged.to_pylist()
        if r["marketing_opt_out"]
    }
    assert signals <= opted


def test_per_file_counts_reconcile(sample_result):
    staged = Counter(sample_result.staged.column("source_file").to_pylist())
    quarantined = Counter(sample_result.quarantined.column("source_file").to_pylist())
    for f in sample_result.files:
        assert (
            f["rows_read"] == staged[f["source_file"]] + quarantined[f["source_file"]] == f["staged"] + f["quarantined"]
        )


@pytest.fixture()
def broken_sources(tmp_path, sample_sources) -> Path:
    root = tmp_path / "sources"
    shutil.copytree(sample_sources, root)
    good_xlsx = (root / "sales" / "王芳.xlsx").read_bytes()
    (root / "sales" / "truncated.xlsx").write_bytes(good_xlsx[: len(good_xlsx) // 2])
    (root / "shop" / "random.csv").write_bytes(bytes(range(256)) * 8)
    (root / "shop" / "unknown_platform.csv").write_text("订单ID,客户,金额\n1,张三,10\n", encoding="utf-8")
    lines = (root / "service" / "helpdesk_tickets.jsonl").read_text(encoding="utf-8").splitlines()
    (root / "service" / "helpdesk_tickets.jsonl").write_text(
        "\n".join(lines[:3] + [lines[3][:40]] + lines[4:]) + "\n", encoding="utf-8"
    )
    (root / "sales" / "no_columns.csv").write_text("日期,金额\n2025-01-01,100\n", encoding="utf-8")
    return root


def test_broken_files_are_reported_and_never_stop_the_others(broken_sources, sample_result):
    result = ingest(broken_sources)
    errors = {f["source_file"]: f["error"] for f in result.files if f["error"]}
    assert "truncated.xlsx" in " ".join(errors) and "xlsx" in errors["sales/truncated.xlsx"]
    assert "binary" in errors["shop/random.csv"]
    assert "unrecognised shop export" in errors["shop/unknown_platform.csv"]
    assert "header" in errors["sales/no_columns.csv"]
    half_line = [q for q in result.quarantined.to_pylist() if q["source_file"] == "service/helpdesk_tickets.jsonl"]
    assert [q["source_row"] for q in half_line] == [4] and "JSON" in half_line[0]["reason"]
    # the good files are all still there
    assert result.staged.num_rows == sample_result.staged.num_rows - 1


def test_a_person_list_in_plain_english_headers_is_read_whole(tmp_path):
    # a register's export (FEBRL's columns): the place, the id and the street in parts all reach
    # their fields, not the notes
    sales = tmp_path / "sources" / "sales"
    sales.mkdir(parents=True)
    (sales / "register.csv").write_text(
        "rec_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id\n"
        "rec-1-org,lachlan,berry,69,giblin street,killarney,bittern,4814,qld,19990219,7364009\n",
        encoding="utf-8",
    )
    (row,) = ingest(tmp_path / "sources").staged.to_pylist()
    assert (row["given_name"], row["family_name"], row["birth_date"]) == ("lachlan", "berry", "1999-02-19")
    assert row["address_line"] == "69 giblin street killarney"
    assert (row["city"], row["postcode"], row["province"], row["national_id"]) == ("bittern", "4814", "qld", "7364009")
    assert row["notes"] == "rec_id: rec-1-org"


def test_records_staged_in_small_batches_are_the_same_table(sample_sources, sample_result, monkeypatch):
    """A file of millions of rows is staged batch by batch (sources.reading.STAGE_BATCH_ROWS): the
    sample read two records a batch gives the same rows in the same order, each file reconciled."""
    from sources import reading
    from tests.unit.source_helpers import reconciled

    monkeypatch.setattr(reading, "STAGE_BATCH_ROWS", 2)
    batched = ingest(sample_sources)
    assert batched.staged.equals(sample_result.staged)
    assert batched.files == sample_result.files
    reconciled(batched)


def test_a_rejected_file_keeps_none_of_its_staged_batches(tmp_path, monkeypatch):
    from sources import reading

    monkeypatch.setattr(reading, "STAGE_BATCH_ROWS", 2)
    result = reading.FileResult(source_file="f.csv", origin="f.csv", source_format="tmall", fingerprint="x")
    for row in range(1, 6):
        result.stage("", row, {"full_name": f"Name {row}"}, {"name": f"Name {row}"})
    assert (result.staged_rows, len(result.staged_batches)) == (5, 2)
    result.reject_file("broken")
    assert (result.staged_rows, result.rows_read, result.staged_table().num_rows) == (0, 1, 0)
