"""Bad input loses nothing without a word: every row read is staged or quarantined with its reason,
and what used to be dropped silently (a second phone column, a stray NUL byte, a formula nobody
computed, an unknown column) is now in the staged record, its flags, or the quarantine."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from reports.figures import public_reason
from sources.canonical import standardise
from sources.formulas import formula_literal, has_uncached_formulas
from sources.incremental import read_folder
from sources.ingest import FILE_REPORT_SCHEMA, NoSourceFiles, ingest, require_source_files
from sources.reading import HOLDS_BAD_BYTE, NAMES_NOBODY, meaningful

TMALL_HEADER = (
    "订单编号,买家会员名,买家支付宝账号,总金额,买家实际支付金额,订单状态,收货人姓名,收货地址,联系电话,联系手机"
)
CALL_HEADER = "工单号,创建时间,渠道,客户称呼,来电号码,关联订单号,类型,状态,满意度,问题描述"


def _write(root: Path, name: str, data: bytes | str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _report(result, source_file: str) -> dict:
    (report,) = [f for f in result.files if f["source_file"] == source_file]
    return report


def _quarantined(result, source_file: str) -> list[dict]:
    return [q for q in result.quarantined.to_pylist() if q["source_file"] == source_file]


def _staged(result, source_file: str) -> list[dict]:
    return [r for r in result.staged.to_pylist() if r["source_file"] == source_file]


def _assert_accounted(result) -> None:
    staged = Counter(result.staged.column("source_file").to_pylist())
    quarantined = Counter(result.quarantined.column("source_file").to_pylist())
    for f in result.files:
        counted = staged[f["source_file"]] + quarantined[f["source_file"]]
        assert f["rows_read"] == f["staged"] + f["quarantined"] == counted


# --- 1. rows of junk under a good header ------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "  ",
        "-",
        "/",
        "无",
        "暂无",
        "未知",
        "不详",
        "N/A",
        "n/a",
        "Ｎ／Ａ",
        "?",
        "？",
        "***",
        "0",
        "00000000000",
        "@",
        "@@@",
        ";;;;",
        "%%%%",
        "——",
        "xxx",
        "null",
    ],
)
def test_placeholders_and_punctuation_identify_nobody(value):
    assert not meaningful(value)


@pytest.mark.parametrize(
    "value", ["张三", "王总", "Ann", "138****5678", "13800000001", "a@b.com", "a@", "wx_zs88", "10"]
)
def test_real_values_and_masked_phones_still_count(value):
    assert meaningful(value)


def test_a_junk_row_under_a_correct_header_is_quarantined_not_published(tmp_path):
    # (no more semicolons in a row than the header has commas: the delimiter is sniffed from the widest line)
    _write(
        tmp_path,
        "sales/junk.csv",
        "姓名,电话,邮箱\n"
        ";;,%%%%,@@@\n"
        "-,?,@\n"
        "无,00000000000,N/A\n"
        "暂无,0,***\n"
        "张三,13800000001,\n"
        ",138****5678,\n",  # a masked phone is still somebody's: staged, never an identifier
    )
    tmall_junk = "1,?,,1.00,1.00,交易成功,未知,,,/\n"
    tmall_good = "2,wujie,,2.00,2.00,交易成功,陶洋,,,13800000002\n"
    _write(tmp_path, "shop/tmall.csv", TMALL_HEADER + "\n" + tmall_junk + tmall_good)
    result = ingest(tmp_path)
    _assert_accounted(result)
    junk = _report(result, "sales/junk.csv")
    assert (junk["rows_read"], junk["staged"], junk["quarantined"]) == (6, 2, 4)
    quarantined = _quarantined(result, "sales/junk.csv")
    assert [q["source_row"] for q in quarantined] == [1, 2, 3, 4]
    assert {q["reason"] for q in quarantined} == {NAMES_NOBODY}
    assert json.loads(quarantined[0]["raw"]) == {"姓名": ";;", "电话": "%%%%", "邮箱": "@@@"}  # the junk is kept, raw
    assert [(r["source_row"], r["full_name"], r["phone"]) for r in _staged(result, "sales/junk.csv")] == [
        (5, "张三", "13800000001"),
        (6, None, "138****5678"),
    ]
    # a Tmall row whose nick is "?" is no id: tmall:? would have made it look like one
    shop = _report(result, "shop/tmall.csv")
    assert (shop["rows_read"], shop["staged"], shop["quarantined"]) == (2, 1, 1)
    (q,) = _quarantined(result, "shop/tmall.csv")
    assert (q["source_row"], q["reason"]) == (1, NAMES_NOBODY) and json.loads(q["raw"])["买家会员名"] == "?"


def test_a_workbook_of_junk_rows_publishes_nobody(tmp_path):
    workbook = openpyxl.Workbook()
    for row in (
        ["姓名", "手机", "邮箱"],
        [";;;;", "%%%%", "@@@"],
        ["未知", "00000000000", "N/A"],
        ["王芳", "13812345678", None],
    ):
        workbook.active.append(row)
    (tmp_path / "sales").mkdir()
    workbook.save(tmp_path / "sales" / "junk.xlsx")
    result = ingest(tmp_path)
    report = _report(result, "sales/junk.xlsx")
    assert (report["rows_read"], report["staged"], report["quarantined"]) == (3, 1, 2)
    assert [(q["source_row"], q["reason"]) for q in _quarantined(result, "sales/junk.xlsx")] == [
        (1, NAMES_NOBODY),
        (2, NAMES_NOBODY),
    ]
    assert [r["full_name"] for r in result.staged.to_pylist()] == ["王芳"]


# --- 2. a header with the same column twice, and columns no synonym knows --------------------------


def test_repeated_columns_and_unknown_columns_keep_every_value(tmp_path):
    _write(
        tmp_path,
        "sales/王芳.csv",
        "姓名,联系电话,联系电话,电子邮件,姓名,邮箱,QQ\n"
        "张三,13812345678,13987654321,zs@x.com,张叁,zhang@y.com,12345\n"
        "李四,13700000003,13700000003,LS@x.com,李四,ls@x.com,\n"
        "无,-,?,,,,\n",
    )
    result = ingest(tmp_path)
    _assert_accounted(result)
    report = _report(result, "sales/王芳.csv")
    assert (report["rows_read"], report["staged"], report["quarantined"]) == (3, 2, 1)
    assert report["unmapped_columns"] == ["QQ"]
    first, second = _staged(result, "sales/王芳.csv")
    assert first["phone"] == "13812345678 / 13987654321"  # a second phone is a second phone
    assert (first["full_name"], first["email"]) == ("张三", "zs@x.com")  # one-value fields: the first column wins
    assert first["quality_flags"].split(";") == ["full_name_conflict", "email_conflict"]
    assert first["notes"] == "姓名 (2): 张叁; 邮箱: zhang@y.com; QQ: 12345"  # the other values, with their headers
    # the same value twice (case aside) is one value, not a conflict
    assert (second["phone"], second["email"]) == ("13700000003", "LS@x.com")
    assert (second["quality_flags"], second["notes"]) == (None, None)
    (canonical_first, _) = standardise(result.staged).to_pylist()
    assert canonical_first["phones"] == ["+8613812345678", "+8613987654321"]
    (q,) = _quarantined(result, "sales/王芳.csv")
    assert q["source_row"] == 3 and q["reason"] == NAMES_NOBODY
    assert json.loads(q["raw"])["联系电话 (2)"] == "?"  # the raw row keeps both phone columns too


def test_two_consent_columns_that_disagree_keep_the_no(tmp_path):
    _write(tmp_path, "sales/x.csv", "姓名,电话,营销许可,营销许可\n张三,13800000001,是,否\n")
    result = ingest(tmp_path)
    (row,) = result.staged.to_pylist()
    assert row["marketing_opt_out"] is True
    assert row["quality_flags"] == "marketing_consent_conflict" and row["notes"] == "营销许可: 是"
    assert _report(result, "sales/x.csv")["rows_read"] == 1


# --- 3. a NUL or undecodable byte costs its row, not its file --------------------------------------


def test_a_bad_byte_costs_only_its_row_in_every_csv_reader(tmp_path):
    tmall = (TMALL_HEADER + "\n1,nick1,,1.00,1.00,交易成功,陶洋,,,13800000001\n").encode("gb18030")
    tmall += "2,nick2,,2.00,2.00,交易成功,刘".encode("gb18030") + b"\xff" + ",,,13800000002\n".encode("gb18030")
    tmall += "3,nick3,,3.00,3.00,交易成功,王芳,,,13800000003\n".encode("gb18030")
    _write(tmp_path, "shop/gbk.csv", tmall)  # GB18030 with one byte that is not: only row 2 goes
    sales = (
        "姓名,电话\n张三,13800000001\n".encode()
        + "李".encode()
        + b"\xfe\xff"
        + ",13800000002\n王五,13800000003\n".encode()
    )
    _write(tmp_path, "sales/utf8.csv", sales)
    calls = (CALL_HEADER + "\nGD1,2025/02/13 18:39,电话,李先生,13800000001,,投诉,处理中,,\n").encode()
    calls += "GD2,2025/02/13 18:40,电话,王\x00女士,13800000002,,投诉,处理中,,\n".encode()
    _write(tmp_path, "service/calls.csv", calls)
    result = ingest(tmp_path)
    _assert_accounted(result)
    for name in ("shop/gbk.csv", "sales/utf8.csv", "service/calls.csv"):
        report = _report(result, name)
        assert report["error"] is None
        expected = (2, 1, 1) if name == "service/calls.csv" else (3, 2, 1)
        assert (report["rows_read"], report["staged"], report["quarantined"]) == expected
        (q,) = _quarantined(result, name)
        assert q["source_row"] == 2 and q["reason"] == HOLDS_BAD_BYTE
        assert "\ufffd" in q["raw"] and "\x00" not in q["raw"]  # visible, and storable in any database
    assert [r["full_name"] for r in _staged(result, "shop/gbk.csv")] == ["陶洋", "王芳"]  # decoded as GB18030
    assert [r["full_name"] for r in _staged(result, "sales/utf8.csv")] == ["张三", "王五"]  # decoded as UTF-8
    assert "李" in json.loads(_quarantined(result, "sales/utf8.csv")[0]["raw"])["姓名"]


def test_a_bad_json_line_costs_only_its_line_in_helpdesk_and_mapped_files(tmp_path):
    good = json.dumps({"ticket_id": "W-1", "requester": {"name": "Ann", "email": "ann@x.com"}})
    nul = '{"ticket_id": "W-2", "requester": {"name": "B\x00b"}}'
    undecodable = b'{"ticket_id": "W-3", "requester": {"name": "C\xffc"}}'
    truncated = b'{"ticket_id": "W-5"'
    lines = [good.encode(), nul.encode(), undecodable, b"[1, 2]", truncated, good.replace("W-1", "W-6").encode()]
    _write(tmp_path, "service/desk.jsonl", b"\n".join(lines) + b"\n")
    members = [b'{"name": "Ann Lee", "mobile": "13800000001"}', b"{broken", b'{"name": "Bo"}']
    _write(tmp_path, "mapped/members.jsonl", b"\n".join(members))
    _write(tmp_path, "mapped/members.yaml", "file: members.jsonl\ncolumns:\n  full_name: name\n  phone: mobile\n")
    result = ingest(tmp_path)
    _assert_accounted(result)
    desk = _report(result, "service/desk.jsonl")
    assert (desk["rows_read"], desk["staged"], desk["quarantined"], desk["error"]) == (6, 2, 4, None)
    reasons = {q["source_row"]: q["reason"] for q in _quarantined(result, "service/desk.jsonl")}
    assert reasons[2] == reasons[3] == HOLDS_BAD_BYTE
    assert reasons[4] == "JSON line is not an object" and reasons[5].startswith("not valid JSON")
    # a broken line used to reject the whole mapped file; now it costs its line
    members = _report(result, "mapped/members.jsonl")
    assert (members["rows_read"], members["staged"], members["quarantined"], members["error"]) == (3, 2, 1, None)
    (q,) = _quarantined(result, "mapped/members.jsonl")
    assert (q["source_row"], q["raw"]) == (2, "{broken") and q["reason"].startswith("not valid JSON")


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def _pdf() -> bytes:
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(128, 256))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("shop/x.csv", _png()),
        ("sales/x.csv", _pdf()),  # (a zip is an archive: sources/archives.py reads its members)
        ("service/x.jsonl", _png()),
        ("service/x.csv", "姓名,电话\n".encode("utf-16-le")),  # UTF-16 without its byte-order mark: half NUL bytes
    ],
)
def test_a_genuinely_binary_file_is_still_rejected_whole(tmp_path, name, data):
    _write(tmp_path, name, data)
    _write(tmp_path, "sales/good.csv", "Name,Phone\nAnn Lee,13800000001\n")
    result = ingest(tmp_path)
    report = _report(result, name)
    assert "binary" in report["error"] and report["rows_read"] == 1 == report["quarantined"]
    assert [(q["source_row"], q["reason"]) for q in _quarantined(result, name)] == [(0, report["error"])]
    assert _report(result, "sales/good.csv")["staged"] == 1


# --- 4. formulas nobody computed --------------------------------------------------------------------


def _formula_workbook(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet["B1"] = "2025 客户"  # a title row, and a table that starts in column B
    rows = [
        ["姓名", "手机", "备注"],
        ["张三", "=13200132000", None],
        ["李四", '="138 0013 8000"', None],
        ["王五", "=C3&B3", "老客户"],
        ["赵六", 13900000001, None],
        ['=CONCAT("a","b")', None, None],
    ]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=2):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def test_a_formula_without_a_cached_value_reads_as_its_literal_or_is_flagged(tmp_path):
    _formula_workbook(tmp_path / "sales" / "王芳.xlsx")
    result = ingest(tmp_path)
    _assert_accounted(result)
    report = _report(result, "sales/王芳.xlsx")
    assert (report["rows_read"], report["staged"], report["quarantined"]) == (5, 4, 1)
    rows = {r["source_row"]: r for r in _staged(result, "sales/王芳.xlsx")}
    assert (rows[1]["phone"], rows[1]["quality_flags"]) == ("13200132000", None)  # used to read as empty
    assert (rows[2]["phone"], rows[2]["quality_flags"]) == ("138 0013 8000", None)
    assert (rows[3]["phone"], rows[3]["quality_flags"]) == (None, "formula_not_evaluated")  # not silently empty
    assert rows[3]["notes"] == "老客户; 手机: =C3&B3"
    assert rows[4]["phone"] == "13900000001"  # a plain number cell, as before
    (q,) = _quarantined(result, "sales/王芳.xlsx")
    assert (q["source_row"], q["reason"]) == (5, NAMES_NOBODY) and json.loads(q["raw"])["姓名"] == '=CONCAT("a","b")'


def test_workbooks_without_uncached_formulas_keep_the_fast_path(tmp_path):
    plain = tmp_path / "plain.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "手机"])
    workbook.active.append(["张三", 13200132000])
    workbook.save(plain)
    _formula_workbook(tmp_path / "formulas.xlsx")
    assert (has_uncached_formulas(plain), has_uncached_formulas(tmp_path / "formulas.xlsx")) == (False, True)


@pytest.mark.parametrize(
    ("formula", "literal"),
    [
        ("=13200132000", "13200132000"),
        ('="138 0013 8000"', "138 0013 8000"),
        ('="say ""hi"""', 'say "hi"'),
        ("=+8613800138000", "+8613800138000"),
        ("=A2&B2", None),
        ("=SUM(1,2)", None),
        ("=", None),
    ],
)
def test_formula_literal(formula, literal):
    assert formula_literal(formula) == literal


# --- 5. an empty or missing sources folder --------------------------------------------------------


def test_an_empty_folder_reads_as_empty_tables_with_their_columns(tmp_path):
    (tmp_path / "sales").mkdir()
    result, staged, quarantined, reports = read_folder(tmp_path, None)
    assert (staged.num_rows, quarantined.num_rows, reports.num_rows, result.files) == (0, 0, 0, [])
    assert "source_file" in staged.schema.names and "reason" in quarantined.schema.names
    assert reports.schema == FILE_REPORT_SCHEMA
    assert reports.select(["source_file", "rows_read"]).num_rows == 0  # what the row-count check selects


def test_no_source_files_is_a_clear_error(tmp_path):
    (tmp_path / "other").mkdir()
    _write(tmp_path, "other/x.csv", "Name,Phone\nAnn,13800000001\n")  # not in a kind folder: not read
    with pytest.raises(NoSourceFiles) as empty:
        require_source_files(tmp_path)
    expected = f"no source files in {tmp_path} (expected shop/, sales/, service/ or mapped/ sub-folders)"
    assert str(empty.value) == expected
    with pytest.raises(NoSourceFiles, match="sources folder not found"):
        require_source_files(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):  # what callers of ingest caught before still catches it
        ingest(tmp_path / "missing")
    _write(tmp_path, "sales/x.csv", "Name,Phone\nAnn,13800000001\n")
    require_source_files(tmp_path)


def test_a_repeated_column_in_shop_service_and_mapped_files_keeps_both_values(tmp_path):
    calls = CALL_HEADER.replace("来电号码", "来电号码,来电号码", 1)
    _write(
        tmp_path,
        "service/calls.csv",
        calls + "\nGD1,2025/02/13 18:39,电话,李先生,13812345678,13987654321,,投诉,处理中,,\n",
    )
    _write(
        tmp_path,
        "mapped/members.yaml",
        "file: members.csv\nsource_system: loyalty\ncolumns:\n  full_name: name\n  phone: mobile\n",
    )
    _write(
        tmp_path,
        "mapped/members.csv",
        "name,mobile,mobile\n王芳,13712345670,13687654329\n张伟,13512345675,13512345675\n",
    )
    result = ingest(tmp_path)
    _assert_accounted(result)
    assert [r["phone"] for r in _staged(result, "service/calls.csv")] == ["13812345678 / 13987654321"]
    # a repeated column holding the same value twice is one value
    assert [r["phone"] for r in _staged(result, "mapped/members.csv")] == ["13712345670 / 13687654329", "13512345675"]
    phones = standardise(result.staged).column("phones").to_pylist()
    assert ["+8613812345678", "+8613987654321"] in phones  # a second phone is a second phone


def test_a_file_in_no_kind_folder_is_reported_not_passed_over(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "王芳.csv").write_text("姓名,手机\n张伟,13912345678\n", encoding="utf-8")
    (tmp_path / "people.csv").write_text("name,phone\nWei Zhang,13912345678\n", encoding="utf-8")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "orders.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref\n", encoding="utf-8")  # hidden: not someone's source
    result = ingest(tmp_path)
    assert result.staged.num_rows == 1
    reasons = {q["source_file"]: (q["source_row"], q["reason"]) for q in result.quarantined.to_pylist()}
    assert set(reasons) == {"people.csv", "exports/orders.csv"}
    assert all(row == 0 and reason.startswith("not read: a file in no kind folder") for row, reason in reasons.values())
    assert public_reason(reasons["people.csv"][1]).startswith("not read: a file in no kind folder")


def test_files_in_no_kind_folder_alone_are_no_sources(tmp_path):
    (tmp_path / "people.csv").write_text("name,phone\nWei Zhang,13912345678\n", encoding="utf-8")
    with pytest.raises(NoSourceFiles):
        require_source_files(tmp_path)
