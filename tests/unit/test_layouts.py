"""Platform export layouts (sources/layouts/): each fixture is laid out as the platform exports it
(docs/sources.md says where each layout comes from) and holds invented people.

Every file is copied under a neutral name, so the layout can only be known by its header."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sources.ingest import ingest
from sources.layouts.shop_cn import receiver_parts

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"

# fixture, kind folder, detected format, data rows, staged, then fields of some staged rows as the file writes them
CASES = [
    (
        "tmall_qianniu_orders.csv",
        "shop",
        "tmall_qianniu",
        3,
        3,
        {
            1: {
                "source_system": "tmall",
                "full_name": "陈思远",
                "phone": "13761234587",
                "source_record_key": "4109873365021887402",
                "address_line": "上海市 浦东新区 张江镇 碧波路690号3栋1202室",
                "order_amount": 268.0,
            },
            2: {
                "full_name": "林婉清",
                "phone": "18675539021",
                "address_line": "广东省 深圳市 南山区 粤海街道 科苑南路2666号A座1801",
            },
        },
    ),
    (
        "jd_pop_orders.csv",
        "shop",
        "jd",
        3,
        3,
        {
            1: {
                "source_system": "jd",
                "full_name": "陈思远",
                "phone": "13761234587",
                "order_amount": 379.0,
                "address_line": "上海浦东新区张江镇碧波路690号3栋1202室",
                "source_record_key": "301298877561",
            },
            3: {"full_name": "阮嘉禾", "phone": "1******9993"},
        },
    ),
    (
        "pinduoduo_orders.csv",
        "shop",
        "pinduoduo",
        3,
        3,
        {
            1: {
                "source_system": "pinduoduo",
                "full_name": "陈思远",
                "phone": "13761234587",
                "order_amount": 29.9,
                "address_line": "上海市 浦东新区 张江镇碧波路690号3栋1202室",
                "district": "浦东新区",
            },
            3: {"full_name": "覃书语", "phone": None, "address_line": None, "quality_flags": "phone_virtual"},
        },
    ),
    (
        "youzan_orders.csv",
        "shop",
        "youzan",
        3,
        3,
        {
            1: {
                "source_system": "youzan",
                "full_name": "陈思远",
                "phone": "13761234587",
                "address_line": "上海市浦东新区张江镇碧波路690号3栋1202室",
            },
            2: {"full_name": "林婉清", "address_line": "广东省 深圳市 南山区 粤海街道科苑南路2666号A座1801"},
            3: {"full_name": None, "phone": "13688821904"},
        },
    ),
    (
        "douyin_orders.csv",
        "shop",
        "douyin",
        3,
        2,
        {
            1: {
                "source_system": "douyin",
                "full_name": "陈思远",
                "phone": "13761234587",
                "source_record_key": "6921837465019283746",
                "address_line": "上海市 浦东新区 张江镇 碧波路690号3栋1202室",
                "order_amount": 299.0,
            },
            2: {"full_name": "林婉清", "items": "单词卡 x2"},
        },
    ),
    (
        "shopify_customers_export.csv",
        "shop",
        "shopify_customers",
        3,
        3,
        {
            1: {
                "source_system": "shopify",
                "given_name": "Siyuan",
                "family_name": "Chen",
                "email": "siyuan.chen@163.com",
                "phone": "+8613761234587",
                "external_id": "shopify_customer:7482946371801",
                "consent": "email:opt_out;sms:opt_out",
            },
            2: {
                "given_name": "Olivia",
                "family_name": "Brennan",
                "company": "Larch & Co",
                "address_line": "418 Larch Street, Apt 5",
                "city": "Portland",
                "province": "OR",
                "postcode": "97205",
                "country": "US",
                "consent": "email:opt_in;sms:opt_out",  # each channel its own: yes to e-mail, no to SMS
                "marketing_opt_out": True,  # the row refuses some channel
            },
            3: {"given_name": "Wanqing", "consent": None, "marketing_opt_out": None},  # blank cells say nothing
        },
    ),
    (
        "woocommerce_orders.csv",
        "shop",
        "woocommerce_orders",
        2,
        2,
        {
            1: {
                "source_system": "woocommerce",
                "given_name": "Olivia",
                "family_name": "Brennan",
                "email": "olivia.brennan@outlook.com",
                "phone": "(646) 738-2291",
                "external_id": "woocommerce:87",
                "order_amount": 45.0,
                "currency": "USD",
            },
            2: {"given_name": "Siyuan", "family_name": "Chen", "external_id": None, "notes": "gift wrap please"},
        },
    ),
    (
        "woocommerce_customers.csv",
        "shop",
        "woocommerce_customers",
        2,
        2,
        {
            2: {
                "given_name": "Wanqing",
                "family_name": "Lin",
                "email": "wanqing.lin@qq.com",
                "phone": "+86 186 7553 9021",
                "external_id": "woocommerce:91",
            }
        },
    ),
    (
        "hubspot_contacts.csv",
        "shop",
        "hubspot_contacts",
        3,
        3,
        {
            1: {
                "source_system": "hubspot",
                "given_name": "Siyuan",
                "family_name": "Chen",
                "phone": "+86 137 6123 4587",
                "salesperson": "Kevin Wu",
                "external_id": "hubspot:51209334871",
                "marketing_opt_out": None,
            },
            2: {"given_name": "Olivia", "company": "Larch & Co", "province": "Oregon", "marketing_opt_out": True},
        },
    ),
    (
        "salesforce_contacts.csv",
        "shop",
        "salesforce_contacts",
        3,
        3,
        {
            1: {
                "source_system": "salesforce",
                "given_name": "Wanqing",
                "family_name": "Lin",
                "company": "Nanshan Learning Co",
                "address_line": "Keyuan South Rd 2666, Tower A 1801",
                "salesperson": "王芳",
                "marketing_opt_out": None,
            },
            2: {"phone": "(646) 738-2291", "marketing_opt_out": True},
            3: {"salesperson": None, "phone": "13761234587"},
        },
    ),
    (
        "zoho_contacts.csv",
        "shop",
        "zoho_contacts",
        2,
        2,
        {
            1: {
                "source_system": "zoho",
                "given_name": "Siyuan",
                "family_name": "Chen",
                "phone": "+86-137-6123-4587",
                "salesperson": "Zhao Min",
                "postcode": "201203",
            },
            2: {"marketing_opt_out": True},
        },
    ),
    (
        "crm_contacts_generic.csv",
        "shop",
        "crm_contacts",
        2,
        2,
        {
            1: {
                "source_system": "crm",
                "given_name": "Olivia",
                "family_name": "Brennan",
                "phone": "646.738.2291",
                "address_line": "418 Larch Street, Portland, OR 97205",
            }
        },
    ),
    (
        "zendesk_tickets_export.csv",
        "service",
        "zendesk_csv",
        2,
        2,
        {
            1: {
                "source_system": "zendesk",
                "full_name": "Siyuan Chen",
                "email": "siyuan.chen@163.com",
                "external_id": "zendesk:398120044711",
                "ticket_type": "problem",
                "ticket_status": "Solved",
                "source_record_key": "35410",
            },
            2: {"marketing_opt_out": True},
        },
    ),
    (
        "zendesk_tickets_api.json",
        "service",
        "zendesk_json",
        3,
        3,
        {
            1: {
                "source_system": "zendesk",
                "full_name": "Olivia Brennan",
                "email": "olivia.brennan@outlook.com",
                "external_id": "zendesk:398120044802",
                "channel": "email",
                "ticket_status": "solved",
                "satisfaction": "good",
            },
            # a web-form ticket names no sender: the requester's other ticket in the file does
            3: {
                "full_name": "Olivia Brennan",
                "email": "olivia.brennan@outlook.com",
                "external_id": "zendesk:398120044802",
            },
        },
    ),
    (
        "freshdesk_tickets_export.csv",
        "service",
        "freshdesk_csv",
        2,
        2,
        {
            1: {
                "source_system": "freshdesk",
                "full_name": "Wanqing Lin",
                "email": "wanqing.lin@qq.com",
                "phone": "+86 186 7553 9021",
                "external_id": "freshdesk:61000384710",
                "ticket_type": "question",
            },
            2: {"full_name": "陈思远", "phone": "13761234587", "marketing_opt_out": True},
        },
    ),
]


def _read(tmp_path: Path, fixture: str, kind: str, name: str = "export"):
    folder = tmp_path / kind
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(LAYOUTS / fixture, folder / (name + Path(fixture).suffix))
    return ingest(tmp_path)


@pytest.mark.parametrize(("fixture", "kind", "fmt", "rows", "staged", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_layout_is_read_by_its_header_and_every_row_is_accounted_for(
    tmp_path, fixture, kind, fmt, rows, staged, expected
):
    result = _read(tmp_path, fixture, kind)
    (report,) = result.files
    assert (report["source_format"], report["error"]) == (fmt, None)
    assert report["rows_read"] == rows == report["staged"] + report["quarantined"]
    assert report["staged"] == staged == result.staged.num_rows
    by_row = {r["source_row"]: r for r in result.staged.to_pylist()}
    for row, fields in expected.items():
        assert {k: by_row[row][k] for k in fields} == fields


def test_a_row_the_platform_encrypted_is_quarantined_not_staged(tmp_path):
    result = _read(tmp_path, "douyin_orders.csv", "shop")
    (quarantined,) = result.quarantined.to_pylist()
    assert quarantined["source_row"] == 3 and "identify" in quarantined["reason"]
    assert "$Qn/ZHaMby1MzBq3Rw2t7fw==$1$" in quarantined["raw"]


def test_a_crm_export_in_sales_keeps_its_names_and_its_owner_as_salesperson(tmp_path):
    result = _read(tmp_path, "salesforce_contacts.csv", "sales", name="客户导出")
    assert result.files[0]["source_format"] == "salesforce_contacts"
    rows = result.staged.to_pylist()
    assert [(r["given_name"], r["family_name"]) for r in rows] == [
        ("Wanqing", "Lin"),
        ("Olivia", "Brennan"),
        ("Siyuan", "Chen"),
    ]
    # the owner column names the salesperson; a contact without one keeps the file's stem
    assert [r["salesperson"] for r in rows] == ["王芳", "王芳", "客户导出"]
    assert {r["company"] for r in rows} == {"Nanshan Learning Co", "Larch & Co", "Zhangjiang Tutors"}


def test_a_platform_export_in_sales_is_still_that_platform(tmp_path):
    result = _read(tmp_path, "hubspot_contacts.csv", "sales", name="kevin")
    assert result.files[0]["source_format"] == "hubspot_contacts"
    assert [r["salesperson"] for r in result.staged.to_pylist()] == ["Kevin Wu", "Kevin Wu", "kevin"]


def test_a_salesperson_sheet_maps_first_and_last_names(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "李强.csv").write_text(
        "First Name,Last Name,Mobile,Birthday\nWei,Zhang,13811113333,1990-01-02\n", encoding="utf-8"
    )
    (row,) = ingest(tmp_path).staged.to_pylist()
    assert (row["given_name"], row["family_name"], row["salesperson"], row["quality_flags"]) == (
        "Wei",
        "Zhang",
        "李强",
        None,
    )


def test_a_salesperson_sheet_whose_only_name_columns_are_unknown_is_refused_not_staged_nameless(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "x.csv").write_text(
        "Client Name,Mobile,Email\nAnn Lee,13811112222,ann@qq.com\n", encoding="utf-8"
    )
    result = ingest(tmp_path)
    assert result.staged.num_rows == 0
    assert "Client Name" in result.files[0]["error"] and "synonym" in result.files[0]["error"]


def test_an_unknown_name_like_column_beside_a_known_name_is_flagged(tmp_path):
    (tmp_path / "sales").mkdir()
    (tmp_path / "sales" / "x.csv").write_text("Name,English Name,Mobile\n张伟,David,13811112222\n", encoding="utf-8")
    (row,) = ingest(tmp_path).staged.to_pylist()
    assert row["full_name"] == "张伟" and "name_column_unmapped" in row["quality_flags"]


def test_zendesk_tickets_one_per_line_and_as_a_list_are_read_too(tmp_path):
    tickets = json.loads((LAYOUTS / "zendesk_tickets_api.json").read_text(encoding="utf-8"))["tickets"]
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "incremental.jsonl").write_text(
        "\n".join(json.dumps(t) for t in tickets) + "\n", encoding="utf-8"
    )
    (tmp_path / "service" / "list.json").write_text(json.dumps(tickets), encoding="utf-8")
    result = ingest(tmp_path)
    assert [f["source_format"] for f in result.files] == ["zendesk_json", "zendesk_json"]
    assert result.staged.num_rows == 6 and result.quarantined.num_rows == 0


def test_zendesk_side_loaded_users_name_a_web_form_requester(tmp_path):
    document = json.loads((LAYOUTS / "zendesk_tickets_api.json").read_text(encoding="utf-8"))
    document["users"] = [
        {"id": 398120044802, "name": "Olivia Brennan", "email": "olivia.brennan@outlook.com", "phone": "+16467382291"}
    ]
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "page.json").write_text(json.dumps(document), encoding="utf-8")
    third = ingest(tmp_path).staged.to_pylist()[2]
    assert (third["full_name"], third["email"], third["phone"]) == (
        "Olivia Brennan",
        "olivia.brennan@outlook.com",
        "+16467382291",
    )


def test_an_unknown_header_is_refused_with_the_known_layouts(tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "x.csv").write_text("单号,顾客,金额\n1,张三,10\n", encoding="utf-8")
    (tmp_path / "service").mkdir()
    (tmp_path / "service" / "y.csv").write_text("case,who\n1,Ann\n", encoding="utf-8")
    errors = {f["source_file"]: f["error"] for f in ingest(tmp_path).files}
    assert errors["shop/x.csv"].startswith("unrecognised shop export")
    for name in (
        "tmall",
        "shopify",
        "jd",
        "pinduoduo",
        "youzan",
        "douyin",
        "shopify_customers",
        "woocommerce_orders",
        "hubspot_contacts",
    ):
        assert f"{name} (" in errors["shop/x.csv"]
    assert errors["service/y.csv"].startswith("unrecognised service log")
    assert "call_center (" in errors["service/y.csv"] and "zendesk_csv (" in errors["service/y.csv"]


def test_a_misaligned_row_is_quarantined_with_its_reason(tmp_path):
    text = (LAYOUTS / "crm_contacts_generic.csv").read_text(encoding="utf-8") + "Ann,Lee,ann@qq.com,1,Co,Addr,extra\n"
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "x.csv").write_text(text, encoding="utf-8")
    result = ingest(tmp_path)
    (q,) = result.quarantined.to_pylist()
    assert (q["source_row"], q["reason"]) == (3, "row has 7 fields, header has 6")
    assert result.files[0]["rows_read"] == 3


@pytest.mark.parametrize(
    ("cell", "parts"),
    [
        (
            "周强，86-13900000004，江苏省 扬州市 广陵区 示例地址 ",
            ("周强", "13900000004", "江苏省 扬州市 广陵区 示例地址"),
        ),
        (
            "孙强,+86-13900000003,广东省 韶关市 乐昌市 示例地址 ，",
            ("孙强", "13900000003", "广东省 韶关市 乐昌市 示例地址"),
        ),
        ("王明，138****8000，北京市 朝阳区 某街道某号", ("王明", "138****8000", "北京市 朝阳区 某街道某号")),
        ("北京市 朝阳区 某街道某号", (None, None, "北京市 朝阳区 某街道某号")),
    ],
)
def test_the_qianniu_receiver_cell_splits_into_name_phone_and_address(cell, parts):
    assert receiver_parts(cell) == parts
