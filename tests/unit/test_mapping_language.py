"""The mapping language: nested JSON paths, joined columns, value maps and consent meaning,
constants, split cells, per-field date formats, and `match` blocks that take over files by header."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from source_helpers import XLS, delimited, errors, folder, reconciled, staged

from sources.ingest import ingest

SHOPIFY_CUSTOMERS = ["Customer ID", "First Name", "Last Name", "Email", "Accepts Email Marketing", "Phone", "Tags"]
CUSTOMERS = [
    ["7001", "Ann", "Lee", "ann@example.com", "yes", "+1 650 253 0000;+1 650 253 0001", "vip; wholesale"],
    ["7002", "Bo", "", "bo@example.com", "no", "13812345678", ""],
    ["7003", "Cy", "Wu", "cy@example.com", "", "", "retail"],
]


def mapping(root: Path, name: str, text: str) -> Path:
    path = folder(root, "mapped") / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- JSON paths and records


TICKETS = {
    "count": 3,
    "tickets": [
        {
            "id": 381,
            "requester": {"email": "ann@example.com", "phone": None},
            "via": {"source": {"from": {"name": "Ann Lee"}}},
            "tags": ["vip", "refund"],
        },
        {"id": 382, "requester": {"email": "bo@example.com"}, "via": {"source": {"from": {}}}, "tags": []},
        "not a ticket",
    ],
}
TICKET_MAPPING = """file: tickets.json
source_system: zendesk
records: tickets
columns:
  source_record_key: id
  email: requester.email
  phone: requester.phone
  full_name: via.source.from.name
  notes: tags[0]
"""


def test_nested_json_paths_read_the_records_a_document_holds(tmp_path):
    (folder(tmp_path, "mapped") / "tickets.json").write_text(json.dumps(TICKETS), encoding="utf-8")
    mapping(tmp_path, "tickets", TICKET_MAPPING)
    result = ingest(tmp_path)
    reconciled(result)
    assert staged(
        result,
        "source_file",
        "source_row",
        "source_system",
        "source_record_key",
        "email",
        "phone",
        "full_name",
        "notes",
    ) == [
        ("mapped/tickets.json", 1, "zendesk", "381", "ann@example.com", None, "Ann Lee", "vip"),
        ("mapped/tickets.json", 2, "zendesk", "382", "bo@example.com", None, None, None),
    ]
    (bad,) = result.quarantined.to_pylist()
    assert (bad["source_row"], bad["reason"]) == (3, "JSON record is not an object")


def test_json_lines_take_paths_too(tmp_path):
    lines = [{"requester": {"name": "王芳", "phones": ["13900000001", "13900000002"]}}, {"requester": {"name": "李娜"}}]
    (folder(tmp_path, "mapped") / "crm.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in lines), encoding="utf-8"
    )
    mapping(tmp_path, "crm", "file: crm.jsonl\ncolumns:\n  full_name: requester.name\n  phone: requester.phones[-1]\n")
    result = ingest(tmp_path)
    reconciled(result)
    assert staged(result, "source_row", "source_system", "full_name", "phone") == [
        (1, "crm", "王芳", "13900000002"),
        (2, "crm", "李娜", None),
    ]


def test_a_path_no_record_has_is_an_error_naming_the_field_and_the_file(tmp_path):
    (folder(tmp_path, "mapped") / "tickets.json").write_text(json.dumps(TICKETS), encoding="utf-8")
    mapping(tmp_path, "tickets", TICKET_MAPPING.replace("requester.email", "requester.mail"))
    result = ingest(tmp_path)
    reconciled(result)
    (report,) = result.files
    assert (report["origin"], report["source_file"]) == ("mapped/tickets.yaml", "mapped/tickets.json")
    assert report["error"] == "mapping tickets.yaml: column(s) not in tickets.json: email -> 'requester.mail'"


# ---------------------------------------------------------------- join, maps and consent, constants, split, formats


CUSTOMER_MAPPING = """file: customers.csv
source_system: shopify_customers
columns:
  external_id: Customer ID
  full_name: {join: [First Name, Last Name], sep: " "}
  given_name: First Name
  family_name: Last Name
  email: Email
  marketing_opt_out: {column: Accepts Email Marketing, opt_in: true}
  phone: {column: Phone, split: ";"}
  notes: {column: Tags, split: ";", index: 0}
  salesperson: {const: 王芳}
"""


def test_join_opt_in_split_and_const_give_the_values_the_file_gives(tmp_path):
    (folder(tmp_path, "mapped") / "customers.csv").write_text(
        delimited([SHOPIFY_CUSTOMERS, *CUSTOMERS], ","), encoding="utf-8"
    )
    mapping(tmp_path, "customers", CUSTOMER_MAPPING)
    result = ingest(tmp_path)
    reconciled(result)
    columns = (
        "external_id",
        "full_name",
        "given_name",
        "family_name",
        "marketing_opt_out",
        "phone",
        "notes",
        "salesperson",
    )
    assert staged(result, *columns) == [
        ("7001", "Ann Lee", "Ann", "Lee", False, "+1 650 253 0000 / +1 650 253 0001", "vip", "王芳"),
        ("7002", "Bo", "Bo", None, True, "13812345678", None, "王芳"),
        ("7003", "Cy Wu", "Cy", "Wu", None, None, "retail", "王芳"),
    ]


def test_a_value_map_reads_yes_no_keys_in_any_spelling_and_flags_what_it_does_not_list(tmp_path):
    rows = [["姓名", "性别", "退订"], ["张伟", "男", "是"], ["李娜", "女", "否"], ["王芳", "未知", "N"]]
    (folder(tmp_path, "mapped") / "members.csv").write_text(delimited(rows, ","), encoding="utf-8")
    text = "file: members.csv\ncolumns:\n  full_name: 姓名\n  gender: {column: 性别, map: {男: male, 女: female}}\n"
    text += "  marketing_opt_out: {column: 退订, map: {yes: true, no: false}}\n"
    mapping(tmp_path, "members", text)
    result = ingest(tmp_path)
    reconciled(result)
    assert staged(result, "full_name", "gender", "marketing_opt_out", "quality_flags") == [
        ("张伟", "male", True, None),
        ("李娜", "female", False, None),
        ("王芳", None, False, "gender_unmapped"),
    ]


def test_each_date_field_may_have_its_own_format(tmp_path):
    rows = [["name", "dob", "joined"], ["Ann", "02/01/1980", "20250304"], ["Bo", "1990-03-04", "20250305"]]
    (folder(tmp_path, "mapped") / "members.csv").write_text(delimited(rows, ","), encoding="utf-8")
    text = 'file: members.csv\ndate_format: "%Y%m%d"\ncolumns:\n  full_name: name\n'
    text += '  birth_date: {column: dob, format: "%d/%m/%Y"}\n  event_at: joined\n'
    mapping(tmp_path, "members", text)
    result = ingest(tmp_path)
    reconciled(result)
    assert [(r["birth_date"], r["event_at"].isoformat(), r["quality_flags"]) for r in result.staged.to_pylist()] == [
        ("1980-01-02", "2025-03-04T00:00:00", None),
        (None, "2025-03-05T00:00:00", "birth_date_unparsed"),
    ]


# ---------------------------------------------------------------- match: a mapping takes over files by header


MATCH_MAPPING = """source_system: shopify_customers
match: {header: [Customer ID, First Name, Last Name, Email]}
columns:
  external_id: Customer ID
  full_name: {join: [First Name, Last Name]}
  email: Email
"""


def test_a_match_block_takes_over_files_of_its_header_anywhere(tmp_path):
    table = delimited([SHOPIFY_CUSTOMERS, *CUSTOMERS], ",")
    (folder(tmp_path, "shop") / "customers_export.csv").write_text(table, encoding="utf-8")
    (folder(tmp_path, "sales") / "王芳.csv").write_text(table, encoding="utf-8")
    (folder(tmp_path, "sales") / "李雷.csv").write_text("姓名,手机\n张伟,13912345678\n", encoding="utf-8")
    mapping(tmp_path, "shopify_customers", MATCH_MAPPING)
    result = ingest(tmp_path)
    reconciled(result)
    formats = {f["source_file"]: f["source_format"] for f in result.files}
    assert formats == {
        "mapped/shopify_customers.yaml": "mapping",
        "sales/李雷.csv": "sales",
        "sales/王芳.csv": "mapped:shopify_customers",
        "shop/customers_export.csv": "mapped:shopify_customers",
    }
    rows = staged(result, "source_file", "source_row", "source_system", "salesperson", "full_name", "email")
    assert ("shop/customers_export.csv", 2, "shopify_customers", None, "Bo", "bo@example.com") in rows
    assert (
        "sales/王芳.csv",
        1,
        "shopify_customers",
        "王芳",
        "Ann Lee",
        "ann@example.com",
    ) in rows  # its salesperson stays
    assert ("sales/李雷.csv", 1, "sales", "李雷", "张伟", None) in rows
    assert len(rows) == 7


def test_match_scope_by_folder_and_glob_and_never_by_name_alone(tmp_path):
    table = delimited([SHOPIFY_CUSTOMERS, *CUSTOMERS[:1]], ",")
    for name in ("shop/customers_export.csv", "shop/other.csv", "sales/王芳.csv"):
        (folder(tmp_path, name.split("/")[0]) / name.split("/")[1]).write_text(table, encoding="utf-8")
    (folder(tmp_path, "shop") / "customers_orders.csv").write_text("Name,Email\n#1,a@b.c\n", encoding="utf-8")
    text = MATCH_MAPPING.replace("Email]}", 'Email], folder: shop, glob: "shop/customers*"}')
    mapping(tmp_path, "shopify_customers", text)
    result = ingest(tmp_path)
    reconciled(result)
    formats = {f["source_file"]: f["source_format"] for f in result.files}
    assert formats["shop/customers_export.csv"] == "mapped:shopify_customers"
    assert formats["shop/other.csv"] != "mapped:shopify_customers"  # outside the glob
    assert formats["sales/王芳.csv"] != "mapped:shopify_customers"  # outside the folder
    assert formats["shop/customers_orders.csv"] != "mapped:shopify_customers"  # in the glob, not of the header


def test_match_takes_over_an_old_excel_file_and_a_zip_member(tmp_path):
    shutil.copy(XLS, folder(tmp_path, "sales") / "王芳.xls")
    shutil.copyfile(XLS, tmp_path / "inventory.xls")
    shutil.make_archive(str(folder(tmp_path, "shop") / "exports"), "zip", tmp_path, "inventory.xls")
    mapping(
        tmp_path, "inventory", "match: {header: [Name, Count]}\ncolumns:\n  full_name: Name\n  external_id: Count\n"
    )
    result = ingest(tmp_path)
    reconciled(result)
    assert staged(result, "source_file", "source_row", "salesperson", "full_name", "external_id") == [
        ("shop/exports.zip!inventory.xls", 1, None, "Apples", "3"),
        ("shop/exports.zip!inventory.xls", 2, None, "Pears", "7"),
        ("sales/王芳.xls", 1, "王芳", "Apples", "3"),
        ("sales/王芳.xls", 2, "王芳", "Pears", "7"),
    ]


def test_a_wrong_matching_mapping_rejects_the_files_it_claims_and_nothing_else(tmp_path):
    (folder(tmp_path, "shop") / "customers_export.csv").write_text(
        delimited([SHOPIFY_CUSTOMERS, *CUSTOMERS], ","), encoding="utf-8"
    )
    (folder(tmp_path, "sales") / "李雷.csv").write_text("姓名,手机\n张伟,13912345678\n", encoding="utf-8")
    mapping(tmp_path, "shopify_customers", MATCH_MAPPING.replace("email: Email", "e_mail: Email"))
    result = ingest(tmp_path)
    reconciled(result)
    reason = "mapping shopify_customers.yaml: unknown canonical field(s) e_mail"
    assert errors(result) == {"mapped/shopify_customers.yaml": reason, "shop/customers_export.csv": reason}
    assert [(q["source_file"], q["source_row"]) for q in result.quarantined.to_pylist()] == [
        ("shop/customers_export.csv", 0),
        ("mapped/shopify_customers.yaml", 0),
    ]
    assert staged(result, "source_file", "full_name") == [("sales/李雷.csv", "张伟")]


def test_a_changed_matching_mapping_reads_the_files_it_claims_again(tmp_path):
    (folder(tmp_path, "shop") / "customers_export.csv").write_text(
        delimited([SHOPIFY_CUSTOMERS, *CUSTOMERS], ","), encoding="utf-8"
    )
    path = mapping(tmp_path, "shopify_customers", MATCH_MAPPING)
    first = ingest(tmp_path)
    path.write_text(
        MATCH_MAPPING.replace("source_system: shopify_customers", "source_system: shopify"), encoding="utf-8"
    )
    again = ingest(tmp_path, known={f["origin"]: f["fingerprint"] for f in first.files})
    assert again.unchanged == []
    assert set(again.staged.column("source_system").to_pylist()) == {"shopify"}


# ---------------------------------------------------------------- validation up front


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("file: m.csv\ncolumns: {full_name: name}\nheader_row: 2\n", "unknown key(s) header_row"),
        ("file: m.csv\ncolumns: {mobile_phone: phone}\n", "unknown canonical field(s) mobile_phone"),
        ("file: m.csv\ncolumns: {phone: {col: phone}}\n", "field 'phone': unknown key(s) col"),
        (
            "file: m.csv\ncolumns: {phone: {column: phone, const: x}}\n",
            "field 'phone': needs exactly one of 'column', 'join' or 'const'",
        ),
        ("file: m.csv\ncolumns: {full_name: {join: name}}\n", "field 'full_name': 'join' must be a list"),
        ("file: m.csv\ncolumns: {email: {column: email, split: ';'}}\n", "field 'email': 'split' without 'index'"),
        (
            "file: m.csv\ncolumns: {email: {column: email, opt_in: true}}\n",
            "field 'email': 'opt_in' (true or false) belongs to marketing_opt_out",
        ),
        ("file: m.csv\ncolumns: {email: {column: email, format: '%Y'}}\n", "field 'email': 'format' is a date format"),
        (
            "file: m.csv\ncolumns: {marketing_opt_out: {column: c, map: {yes: maybe}}}\n",
            "field 'marketing_opt_out': 'map' must give yes/no",
        ),
        (
            "file: m.csv\ncolumns: {salesperson: {const: 王芳, map: {a: b}}}\n",
            "field 'salesperson': 'const' stands alone",
        ),
        (
            "match: {header: [Name], folder: shops}\ncolumns: {full_name: Name}\n",
            "match: 'folder' must be one or more of shop, sales, service",
        ),
        ("match: {headers: [Name]}\ncolumns: {full_name: Name}\n", "match: unknown key(s) headers"),
        ("columns: {full_name: Name}\n", "needs 'file' (or a 'match' block) and a 'columns' table"),
    ],
)
def test_a_wrong_mapping_is_refused_up_front_naming_the_field_and_the_file(tmp_path, yaml_text, message):
    (folder(tmp_path, "mapped") / "m.csv").write_text("name,phone,email,c\nAnn,1,a@b.c,yes\n", encoding="utf-8")
    mapping(tmp_path, "members", yaml_text)
    (folder(tmp_path, "sales") / "李雷.csv").write_text("姓名,手机\n张伟,13912345678\n", encoding="utf-8")
    result = ingest(tmp_path)
    reconciled(result)
    error = errors(result)["mapped/members.yaml"]
    assert message in error and "members.yaml" in error
    assert staged(result, "source_file") == [("sales/李雷.csv",)]  # the run goes on
