"""Each mess of real exports, on a small file made for it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl

from sources.canonical import standardise
from sources.ingest import ingest


def _workbook(path: Path, sheets: dict[str, list[list]]) -> None:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def _records(root: Path) -> list[dict]:
    return ingest(root).staged.to_pylist()


def test_title_row_several_sheets_and_english_headers(tmp_path):
    _workbook(
        tmp_path / "sales" / "Kevin_Wu.xlsx",
        {
            "客户": [["Kevin的客户 2025"], ["客户姓名", "手机", "生日"], ["王总", "13812345678", 45626]],
            "Leads": [["Name", "Mobile", "E-mail"], ["Wei Zhang", "+86 139 1234 5678", "ZW@Example.com "]],
        },
    )
    rows = {r["source_sheet"]: r for r in _records(tmp_path)}
    assert [(s, r["source_row"], r["full_name"], r["salesperson"]) for s, r in sorted(rows.items())] == [
        ("Leads", 1, "Wei Zhang", "Kevin_Wu"),
        ("客户", 1, "王总", "Kevin_Wu"),  # the title row and the header are not counted
    ]
    assert rows["客户"]["birth_date"] == "2024-11-30"  # Excel serial 45626


def test_day_month_order_is_decided_per_column_and_ambiguity_is_flagged(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "dmy.csv").write_text(
        "Name,Phone,Birthday,Last contact\nA,13800000001,25/12/1980,03/04/2025\nB,13800000002,05/06/1990,13/01/2025\n",
        encoding="utf-8",
    )
    (tmp_path / "sales" / "unsure.csv").write_text("Name,Phone,Birthday\nC,13800000003,03/04/1985\n", encoding="utf-8")
    rows = {r["full_name"]: r for r in _records(tmp_path)}
    assert rows["A"]["birth_date"] == "1980-12-25" and rows["B"]["birth_date"] == "1990-06-05"  # DMY from 25/12
    assert rows["A"]["event_at"] == datetime(2025, 4, 3)  # the contact column is DMY too (13/01)
    assert rows["C"]["birth_date"] is None and "birth_date_ambiguous" in rows["C"]["quality_flags"]


def test_chinese_dates_and_consent_from_column_or_notes(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "王芳.csv").write_text(
        "姓名,电话,生日,营销许可,备注\n李女士,13800000001,1985年03月04日,否,\n张三,13800000002,,是,客户说不要再发广告\n赵四,13800000003,,是,要发票\n",
        encoding="utf-8-sig",
    )
    rows = {r["full_name"]: r for r in _records(tmp_path)}
    assert rows["李女士"]["birth_date"] == "1985-03-04"
    assert rows["李女士"]["marketing_opt_out"] is True  # 营销许可 否
    assert rows["张三"]["marketing_opt_out"] is True  # the note wins over the column's yes
    assert rows["赵四"]["marketing_opt_out"] is False


def test_gb18030_and_bom_encodings_are_detected(tmp_path):
    header = "订单编号,买家会员名,买家支付宝账号,总金额,买家实际支付金额,订单状态,收货人姓名,收货地址,联系电话,联系手机,订单创建时间,订单付款时间,宝贝标题\n"
    row = "3000000903143415475,wujie,,897.00,897.00,交易成功,陶洋,浙江省 杭州市 西湖区 天府大道525号,,138****5678,2023-02-23 12:53:50,2023-02-23 12:56:50,点读笔\n"
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "gbk.csv").write_bytes((header + row).encode("gb18030"))
    (tmp_path / "shop" / "bom.csv").write_bytes((header + row.replace("陶洋", "刘洋")).encode("utf-8-sig"))
    rows = {r["source_file"]: r for r in _records(tmp_path)}
    assert rows["shop/gbk.csv"]["full_name"] == "陶洋" and rows["shop/bom.csv"]["full_name"] == "刘洋"
    assert rows["shop/gbk.csv"]["source_record_key"] == "3000000903143415475"  # 19 digits, exact


def test_masked_phone_is_kept_for_display_but_never_an_identifier(tmp_path):
    test_gb18030_and_bom_encodings_are_detected(tmp_path)
    canonical = standardise(ingest(tmp_path).staged).to_pylist()
    assert all(r["phone_display"] == "138****5678" and r["phones"] == [] and r["phone_e164"] is None for r in canonical)


def test_shopify_line_items_carry_the_order_customer(tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "orders.csv").write_text(
        "Name,Email,Financial Status,Paid at,Accepts Marketing,Currency,Total,Created at,Lineitem quantity,Lineitem name,Billing Name,Billing Phone\n"
        "#1001,a@x.com,paid,2025-01-01 10:00:00 +0800,no,CNY,90.00,2025-01-01 10:00:00 +0800,1,Book,Ann Lee,+1 650 253 0000\n"
        "#1001,,,,,,,,2,Pen,,\n",
        encoding="utf-8",
    )
    first, second = _records(tmp_path)
    assert second["full_name"] == "Ann Lee" and second["email"] == "a@x.com" and second["source_record_key"] == "#1001"
    assert first["order_amount"] == 90.0 and second["order_amount"] is None  # the total is counted once
    assert first["marketing_opt_out"] is True  # Accepts Marketing: no


def test_two_phones_in_a_cell_and_wechat_same_as_phone(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "x.csv").write_text(
        "客户姓名,手机,微信\n陈姐,13812345678 / 139-1234-5678,微信同号\n", encoding="utf-8"
    )
    (row,) = standardise(ingest(tmp_path).staged).to_pylist()
    assert row["phones"] == ["+8613812345678", "+8613912345678"]
    assert row["wechat_std"] == "13812345678"
    assert (row["name_std"], row["name_is_partial"]) == ("陈", True)


def test_tickets_keep_their_order_numbers_and_opt_out_requests(tmp_path):
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "calls.csv").write_text(
        "工单号,创建时间,渠道,客户称呼,来电号码,关联订单号,类型,状态,满意度,问题描述\n"
        "GD1,2025/02/13 18:39,电话,李先生,13800000001,3000000903143415475,投诉,处理中,,客户要求不再接收营销短信\n",
        encoding="utf-8",
    )
    ticket = {
        "ticket_id": "W-1",
        "created_at": "2025-01-02T08:00:00+08:00",
        "requester": {"name": "Ann", "email": None, "phone": None},
        "order_no": "#1001",
        "type": "repair",
        "unsubscribe": True,
    }
    (tmp_path / "service" / "desk.jsonl").write_text(json.dumps(ticket) + "\n\n", encoding="utf-8")
    rows = {r["source_system"]: r for r in _records(tmp_path)}
    assert (
        rows["call_center"]["related_order_id"] == "3000000903143415475"
        and rows["call_center"]["ticket_type"] == "complaint"
    )
    assert rows["call_center"]["marketing_opt_out"] is True
    assert rows["helpdesk"]["related_order_id"] == "#1001" and rows["helpdesk"]["marketing_opt_out"] is True


def test_a_row_that_names_nobody_is_quarantined_with_its_raw_values(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "x.csv").write_text("姓名,电话,备注\n,,只写了备注\n张三,13800000001,\n", encoding="utf-8")
    result = ingest(tmp_path)
    (quarantined,) = result.quarantined.to_pylist()
    assert quarantined["source_row"] == 1 and "identify" in quarantined["reason"] and "只写了备注" in quarantined["raw"]
    assert result.staged.num_rows == 1 and result.files[0]["rows_read"] == 2


def test_unchanged_files_are_skipped_by_fingerprint(tmp_path):
    test_two_phones_in_a_cell_and_wechat_same_as_phone(tmp_path)
    first = ingest(tmp_path)
    known = {f["origin"]: f["fingerprint"] for f in first.files}
    assert ingest(tmp_path, known=known).unchanged == ["sales/x.csv"]
    (tmp_path / "sales" / "x.csv").write_text("客户姓名,手机\n陈姐,13812345678\n", encoding="utf-8")
    assert ingest(tmp_path, known=known).unchanged == []


def test_fields_that_fail_to_parse_become_null_with_a_flag(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "x.csv").write_text(
        "姓名,电话,邮箱,生日\n张三,138****5678,not-an-email,1900-01-01\n", encoding="utf-8"
    )
    (row,) = standardise(ingest(tmp_path).staged).to_pylist()
    assert (row["phone_e164"], row["email_std"], row["birth_date_std"]) == (None, None, None)
    assert set(row["quality_flags"].split(";")) == {"phone_unusable", "email_invalid", "birth_date_implausible"}


def test_standardisation_in_parallel_chunks_gives_the_same_records_and_numbers(sample_sources, monkeypatch):
    import sources.canonical as canonical

    staged = ingest(sample_sources).staged
    one_pass = canonical.standardise(staged, first_record_id=7)
    monkeypatch.setattr(canonical, "PARALLEL_MIN_ROWS", 200)
    monkeypatch.setattr(canonical, "CHUNK_ROWS", 150)  # 7 chunks over 3 workers
    monkeypatch.setattr(canonical.os, "cpu_count", lambda: 3)
    assert canonical.standardise(staged, first_record_id=7).equals(one_pass)


def test_standardisation_in_chunks_in_one_process_gives_the_same_records(sample_sources, monkeypatch):
    import sources.canonical as canonical

    staged = ingest(sample_sources).staged
    one_pass = canonical.standardise(staged)
    monkeypatch.setattr(canonical, "CHUNK_ROWS", 100)
    assert canonical.standardise(staged).equals(one_pass)
    assert canonical.standardise(staged.slice(0, 0)).num_rows == 0


def test_canonical_records_written_chunk_by_chunk_are_the_table_standardise_returns(
    sample_sources, monkeypatch, tmp_path
):
    """The canonical step writes each chunk to the work area as it comes (WorkArea.write_parts):
    the file holds the same table as standardising in one piece."""
    import sources.canonical as canonical
    from assets.resources import WorkArea
    from assets.work_tables import CANONICAL
    from sources.schema import CANONICAL_SCHEMA

    staged = ingest(sample_sources).staged
    monkeypatch.setattr(canonical, "CHUNK_ROWS", 100)
    work = WorkArea(path=str(tmp_path))
    work.write_parts(CANONICAL, CANONICAL_SCHEMA, canonical.standardised_chunks(staged))
    assert work.read(CANONICAL).equals(canonical.standardise(staged))
    work.write_parts(CANONICAL, CANONICAL_SCHEMA, canonical.standardised_chunks(staged.slice(0, 0)))
    assert work.read(CANONICAL).num_rows == 0 and work.has(CANONICAL)
