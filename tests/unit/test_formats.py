"""Formats as merchants have them: .xls and .xlsx everywhere, CSV in any encoding and delimiter,
Excel's UTF-16 "Unicode text", and zip archives of exports read member by member."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from source_helpers import XLS, delimited, errors, folder, reconciled, staged

from sources.archives import MAX_MEMBERS, archive_problem
from sources.delimited import delimiter_of
from sources.formats import workbook_sheets
from sources.ingest import ingest

SHOPIFY_HEADER = ["Name", "Email", "Financial Status", "Billing Name", "Billing Phone", "Billing City"]
SHOPIFY_ROWS = [
    ["#1001", "ann@example.com", "paid", "Ann Lee", "+1 650 253 0000", "Mountain View, CA"],
    ["#1002", "bo@example.com", "pending", "吴波", "138 1234 5678", "上海"],
]
TMALL_HEADER = ["订单编号", "买家会员名", "收货人姓名", "联系手机", "收货地址", "订单状态"]
TMALL_ROW = ["3000000903143415475", "tb_ann", "陶洋", "13812345678", "浙江省 杭州市 西湖区 文三路 1 号", "交易成功"]


def xlsx_bytes(rows: list[list], title: str = "Sheet1") -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.title = title
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- delimited text


@pytest.mark.parametrize(("bom", "codec"), [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_excel_unicode_text_is_read_in_either_byte_order(tmp_path, bom, codec):
    """Excel's "Unicode text": UTF-16 with a BOM, tab-separated, whatever the file is called."""
    text = delimited([SHOPIFY_HEADER, *SHOPIFY_ROWS], "\t")
    (folder(tmp_path, "shop") / "orders.csv").write_bytes(bom + text.encode(codec))
    result = ingest(tmp_path)
    reconciled(result)
    assert result.files[0]["source_format"] == "shopify"
    assert staged(result, "source_file", "source_row", "full_name", "phone", "city") == [
        ("shop/orders.csv", 1, "Ann Lee", "+1 650 253 0000", "Mountain View, CA"),
        ("shop/orders.csv", 2, "吴波", "138 1234 5678", "上海"),
    ]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_in_any_encoding_and_delimiter_is_read(tmp_path, delimiter, encoding):
    rows = [
        ["王芳的客户"],
        ["姓名", "手机", "地址", "备注"],
        ["张伟", "13912345678", "北京市, 朝阳区; 建国路 1 号", "老客户"],
    ]
    (folder(tmp_path, "sales") / "王芳.csv").write_bytes(delimited(rows, delimiter).encode(encoding))
    result = ingest(tmp_path)
    reconciled(result)
    assert staged(result, "source_row", "salesperson", "full_name", "phone", "address_line") == [
        (1, "王芳", "张伟", "13912345678", "北京市, 朝阳区; 建国路 1 号")
    ]


def test_the_delimiter_comes_from_the_header_not_a_title_row_or_quoted_cells():
    assert delimiter_of('Report, March\nName\tPhone\tCity\n"Ann"\t1\t"a, b, c"\n') == "\t"
    assert delimiter_of('name;phone;"address, with, commas"\n') == ";"
    assert delimiter_of("name,phone\n") == ","
    assert delimiter_of("just one column\n") == ","


def test_a_back_office_xls_that_is_really_tab_separated_text_is_read_as_text(tmp_path):
    text = delimited([["客户姓名", "手机"], ["李娜", "13700000000"]], "\t")
    (folder(tmp_path, "sales") / "李雷.xls").write_bytes(text.encode("gbk"))
    result = ingest(tmp_path)
    reconciled(result)
    assert staged(result, "source_file", "salesperson", "full_name", "phone") == [
        ("sales/李雷.xls", "李雷", "李娜", "13700000000")
    ]


# ---------------------------------------------------------------- workbooks: .xls and .xlsx


def test_an_old_excel_workbook_is_read_sheet_by_sheet():
    sheets = workbook_sheets(XLS.read_bytes())
    assert sheets == [
        ("Inventory", [["Name", "Count"], ["Apples", 3], ["Pears", 7]]),
        ("Notes", [["Topic", "Value"], ["Legacy", "BIFF8"]]),
    ]


def test_xls_in_shop_is_read_and_its_header_judged(tmp_path):
    """The .xls is opened and its first sheet's header read; it is no shop export, and says so."""
    shutil.copy(XLS, folder(tmp_path, "shop") / "inventory.xls")
    result = ingest(tmp_path)
    reconciled(result)
    assert "unrecognised shop export: header ['Name', 'Count']" in errors(result)["shop/inventory.xls"]


def test_xls_in_mapped_is_onboarded_by_its_mapping(tmp_path):
    mapped = folder(tmp_path, "mapped")
    shutil.copy(XLS, mapped / "inventory.xls")
    (mapped / "inventory.yaml").write_text(
        "file: inventory.xls\ncolumns:\n  full_name: Name\n  external_id: Count\n", encoding="utf-8"
    )
    result = ingest(tmp_path)
    reconciled(result)
    assert staged(result, "source_file", "source_row", "full_name", "external_id") == [
        ("mapped/inventory.xls", 1, "Apples", "3"),
        ("mapped/inventory.xls", 2, "Pears", "7"),
    ]


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_a_shop_export_saved_as_a_workbook_reads_as_its_csv_does(tmp_path, suffix):
    """Platforms export spreadsheets too: the first sheet becomes the rows the CSV path reads; the
    name's suffix does not decide (an .xlsx saved as .xls still reads)."""
    (folder(tmp_path, "shop") / f"tmall.{suffix}").write_bytes(xlsx_bytes([TMALL_HEADER, TMALL_ROW, [None] * 6]))
    (folder(tmp_path, "shop") / "shopify.csv").write_text(
        delimited([SHOPIFY_HEADER, *SHOPIFY_ROWS], ","), encoding="utf-8"
    )
    result = ingest(tmp_path)
    reconciled(result)
    tmall = [r for r in result.staged.to_pylist() if r["source_system"] == "tmall"]
    assert [(r["source_file"], r["source_row"], r["source_record_key"], r["full_name"], r["phone"]) for r in tmall] == [
        (f"shop/tmall.{suffix}", 1, "3000000903143415475", "陶洋", "13812345678")
    ]


def test_a_call_centre_log_saved_as_xlsx_is_read(tmp_path):
    rows = [
        ["工单号", "来电号码", "客户称呼", "类型", "问题描述"],
        ["T-1", 13812345678, "王先生", "投诉", "客户要求不再接收营销短信"],
    ]
    (folder(tmp_path, "service") / "calls.xlsx").write_bytes(xlsx_bytes(rows))
    result = ingest(tmp_path)
    reconciled(result)
    assert result.files[0]["source_format"] == "call_center"
    assert staged(result, "source_record_key", "phone", "full_name", "ticket_type", "marketing_opt_out") == [
        ("T-1", "13812345678", "王先生", "complaint", True)
    ]


# ---------------------------------------------------------------- zip archives


def zip_of(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_members_are_read_by_their_folders_reader_with_the_member_in_lineage(tmp_path):
    shopify = delimited([SHOPIFY_HEADER, *SHOPIFY_ROWS], ",").encode("utf-8")
    tmall = delimited([TMALL_HEADER, TMALL_ROW], ",").encode("gbk")
    zip_of(
        folder(tmp_path, "shop") / "exports.zip",
        {"2025/03/shopify.csv": shopify, "tmall.csv": tmall, "__MACOSX/._tmall.csv": b"x"},
    )
    result = ingest(tmp_path)
    reconciled(result)
    assert {f["source_file"]: f["origin"] for f in result.files} == {
        "shop/exports.zip!2025/03/shopify.csv": "shop/exports.zip",
        "shop/exports.zip!tmall.csv": "shop/exports.zip",
    }
    assert staged(result, "source_file", "source_row", "full_name") == [
        ("shop/exports.zip!2025/03/shopify.csv", 1, "Ann Lee"),
        ("shop/exports.zip!2025/03/shopify.csv", 2, "吴波"),
        ("shop/exports.zip!tmall.csv", 1, "陶洋"),
    ]


def test_a_broken_member_costs_only_itself(tmp_path):
    good = delimited([["姓名", "手机"], ["张伟", "13912345678"]], ",").encode("utf-8")
    path = zip_of(
        folder(tmp_path, "sales") / "team.zip",
        {
            "王芳.csv": good,
            "corrupt.csv": b"A" * 64,
            "nested.zip": b"PK\x05\x06" + bytes(18),
            "notes.csv": "日期,金额\n2025-01-01,1\n".encode(),
        },
        zipfile.ZIP_STORED,
    )
    data = bytearray(path.read_bytes())
    data[data.index(b"A" * 64) + 10] ^= 0xFF  # the stored bytes no longer match their CRC
    path.write_bytes(bytes(data))
    result = ingest(tmp_path)
    reconciled(result)
    broken = errors(result)
    assert "could not be unpacked" in broken["sales/team.zip!corrupt.csv"]
    assert "zip archive inside a zip archive" in broken["sales/team.zip!nested.zip"]
    assert "header" in broken["sales/team.zip!notes.csv"]
    quarantined = {(q["source_file"], q["source_row"]) for q in result.quarantined.to_pylist()}
    assert quarantined == {
        ("sales/team.zip!corrupt.csv", 0),
        ("sales/team.zip!nested.zip", 0),
        ("sales/team.zip!notes.csv", 0),
    }
    assert staged(result, "source_file", "salesperson", "full_name") == [("sales/team.zip!王芳.csv", "王芳", "张伟")]


def test_member_names_written_by_chinese_windows_are_decoded(tmp_path):
    """Without the UTF-8 flag a member's name is in the maker's code page (GBK on Chinese Windows)."""
    sheet = xlsx_bytes([["客户姓名", "电话"], ["刘洋", "13600000000"]], title="客户")
    path = zip_of(folder(tmp_path, "sales") / "team.zip", {"abcd.xlsx": sheet})
    data = path.read_bytes().replace(b"abcd.xlsx", "王芳.xlsx".encode("gbk"))  # same length: 4 bytes each
    path.write_bytes(data)
    result = ingest(tmp_path)
    reconciled(result)
    assert staged(result, "source_file", "source_sheet", "source_row", "salesperson", "full_name") == [
        ("sales/team.zip!王芳.xlsx", "客户", 1, "王芳", "刘洋")
    ]


def test_a_zip_of_a_mapping_and_its_table_is_read_through_the_mapping(tmp_path):
    mapping = b"file: members.csv\nsource_system: loyalty\ncolumns:\n  full_name: name\n  email: email\n"
    zip_of(
        folder(tmp_path, "mapped") / "bundle.zip",
        {"members.yaml": mapping, "members.csv": b"name,email\nAnn Lee,ann@example.com\n"},
    )
    result = ingest(tmp_path)
    reconciled(result)
    assert [(f["origin"], f["source_file"]) for f in result.files] == [
        ("mapped/bundle.zip", "mapped/bundle.zip!members.csv")
    ]
    assert staged(result, "source_file", "source_row", "source_system", "full_name") == [
        ("mapped/bundle.zip!members.csv", 1, "loyalty", "Ann Lee")
    ]


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    """A member declaring 3 GB (a header that lies is how bombs start) refuses the archive whole."""
    path = zip_of(folder(tmp_path, "shop") / "bomb.zip", {"orders.csv": b"Name,Email\n"}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 3 * 1024**3)  # the central directory's uncompressed size
    path.write_bytes(bytes(data))
    (folder(tmp_path, "sales") / "王芳.csv").write_text("姓名,手机\n张伟,13912345678\n", encoding="utf-8")
    result = ingest(tmp_path)
    reconciled(result)
    assert "over the limit of 2 GB" in errors(result)["shop/bomb.zip"]
    assert result.staged.num_rows == 1  # the other files still load


def test_too_many_members_are_refused():
    members = [zipfile.ZipInfo(f"{i}.csv") for i in range(MAX_MEMBERS + 1)]
    assert "over the limit of 10,000" in archive_problem(members)
    assert archive_problem(members[:3]) is None


def test_an_unchanged_zip_is_not_read_again(tmp_path):
    zip_of(
        folder(tmp_path, "shop") / "exports.zip", {"a.csv": delimited([SHOPIFY_HEADER, SHOPIFY_ROWS[0]], ",").encode()}
    )
    first = ingest(tmp_path)
    again = ingest(tmp_path, known={f["origin"]: f["fingerprint"] for f in first.files})
    assert again.unchanged == ["shop/exports.zip"] and again.files == []


def test_semicolons_in_a_comma_separated_cell_do_not_make_it_semicolon_separated():
    assert delimiter_of("Name,Notes\nAnn,a;b;c;d\nBo,x\n") == ","
    assert delimiter_of("Name;City\nAnn;Paris, France\nBo;Lyon\n") == ";"
