"""demo/ (demo.generate and its modules): deterministic, truthful, messy demo sources in every source format."""

from __future__ import annotations

import collections
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from demo.files import XlsxWriter, write_xlsx
from demo.generate import generate_later_export, generate_sources, truth_path_for
from demo.people import build_people
from demo.render import GENERIC_PHONE

ROOT = Path(__file__).resolve().parents[2]

# Headers of the sample set (shared/samples/sources), copied here: tests never read shared/.
TMALL_HEADER = "订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,总金额,买家实际支付金额,订单状态,买家留言,收货人姓名,收货地址,运送方式,联系电话,联系手机,订单创建时间,订单付款时间,宝贝标题,宝贝总数量,物流单号,物流公司,订单备注,店铺名称"
SHOPIFY_HEADER = "Name,Email,Financial Status,Paid at,Fulfillment Status,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Created at,Lineitem quantity,Lineitem name,Lineitem price,Billing Name,Billing Address1,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Address1,Shipping City,Shipping Province,Shipping Country,Shipping Phone,Notes,Id,Phone"
CALL_HEADER = "工单号,创建时间,渠道,客户称呼,来电号码,关联订单号,类型,状态,满意度,问题描述"
SALES_HEADERS = {
    "姓名,联系电话,电子邮件,公司,所在城市,客户类型,下次跟进,备注",
    "联系人,电话,E-mail,微信号,收货地址,生日,成交金额,备注",
    "客户姓名,手机,微信,邮箱,地址,生日,最近联系日期,重要程度,营销许可,备注",
    "Name,Mobile,Email,Company,City,Birthday,Last contact,Do not contact,Notes",
}
HELPDESK_KEYS = [
    "ticket_id",
    "created_at",
    "channel",
    "requester",
    "order_no",
    "type",
    "status",
    "satisfaction",
    "unsubscribe",
    "subject",
]
HONORIFIC = re.compile(r"^[\u4e00-\u9fff]{1,2}(先生|女士|总|姐|老师|哥)$")
MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")
LANDLINE = re.compile(r"^0\d{2,3}-\d{7,8}$")


# ---------------------------------------------------------------------------------------------
# Reading a generated set back, the way a reader of the formats would.
# ---------------------------------------------------------------------------------------------


class Sources:
    """Every data row of a generated set, keyed like the truth: (file, sheet, row number)."""

    def __init__(self, out: Path):
        self.out = out
        self.headers: dict[tuple, list] = {}
        self.rows: dict[tuple, dict] = {}
        self.titles: list[str] = []
        for path in sorted(out.rglob("*")):
            if path.suffix in (".csv", ".xlsx", ".jsonl"):
                self._read(path)
        with open(truth_path_for(out), encoding="utf-8", newline="") as fh:
            self.truth_rows = list(csv.DictReader(fh))
        self.truth = {(t["source_file"], t["sheet"], int(t["row_number"])): t for t in self.truth_rows}

    def _read(self, path: Path) -> None:
        rel = path.relative_to(self.out).as_posix()
        if path.suffix == ".jsonl":
            lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
            for k, line in enumerate(lines, 1):
                self.rows[(rel, "", k)] = json.loads(line)
        elif path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            for ws in wb.worksheets:
                rows = [list(r) for r in ws.iter_rows(values_only=True)]
                h = next(k for k, r in enumerate(rows) if sum(v is not None for v in r) >= 3)
                self.titles += [r[0] for r in rows[:h]]
                self._add(rel, ws.title, rows[h], rows[h + 1 :])
            wb.close()
        else:
            encoding = "gbk" if rel.startswith("shop/tmall") else "utf-8-sig"
            with open(path, encoding=encoding, newline="") as fh:
                rows = list(csv.reader(fh))
            self._add(rel, "", rows[0], rows[1:])

    def _add(self, rel, sheet, header, rows):
        header = [h for h in header if h is not None]
        self.headers[(rel, sheet)] = header
        for k, row in enumerate(rows, 1):
            self.rows[(rel, sheet, k)] = dict(zip(header, row))

    def of(self, prefix: str):
        """(key, row, truth) for every row of the files whose path starts with prefix."""
        return [(k, r, self.truth[k]) for k, r in self.rows.items() if k[0].startswith(prefix)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Sources:
    out = tmp_path_factory.mktemp("demo") / "sources"
    assert generate_sources(out, customers=1500, seed=11) == truth_path_for(out)
    return Sources(out)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_sources(tmp_path / name / "sources", customers=300, seed=seed)
    a, b, c = (_digest(tmp_path / name) for name in "abc")
    assert a == b
    assert a["sources_truth.csv"] != c["sources_truth.csv"]


def test_output_does_not_depend_on_the_process_hash_seed(tmp_path):
    script = "import sys; from demo.generate import generate_sources; generate_sources(sys.argv[1], 150, seed=2)"
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / hash_seed / "sources")], cwd=ROOT, env=env, check=True
        )
    assert _digest(tmp_path / "1") == _digest(tmp_path / "2")


def test_workbooks_written_by_worker_processes_are_identical(tmp_path):
    sheets = [("客户", ["title", None], ["客户姓名", "手机"], [["王芳", "13812345678"], ["李强", 45626]])]
    write_xlsx(tmp_path / "serial.xlsx", sheets)
    with XlsxWriter(parallel=True) as writer:
        writer.write(tmp_path / "pool.xlsx", sheets)
    assert (tmp_path / "serial.xlsx").read_bytes() == (tmp_path / "pool.xlsx").read_bytes()


# ---------------------------------------------------------------------------------------------
# Truth and formats
# ---------------------------------------------------------------------------------------------


def test_every_truth_key_is_exactly_one_data_row(demo):
    keys = [(t["source_file"], t["sheet"], int(t["row_number"])) for t in demo.truth_rows]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(demo.rows)
    assert {t["opt_out_signal"] for t in demo.truth_rows} == {"0", "1"}


def test_files_and_headers_match_the_sample_formats(demo):
    out = demo.out
    assert {p.name for p in (out / "shop").iterdir()} == {"tmall_orders_2025.csv", "shopify_orders_export.csv"}
    assert {p.name for p in (out / "service").iterdir()} == {"call_center_tickets.csv", "helpdesk_tickets.jsonl"}
    tmall = (out / "shop/tmall_orders_2025.csv").read_bytes()
    assert tmall.decode("gbk").splitlines()[0] == TMALL_HEADER
    with pytest.raises(UnicodeDecodeError):
        tmall.decode("utf-8")  # really GBK, not UTF-8
    assert (out / "shop/shopify_orders_export.csv").read_bytes().startswith(SHOPIFY_HEADER.encode())
    assert (out / "service/call_center_tickets.csv").read_bytes().startswith(CALL_HEADER.encode())
    for key, header in demo.headers.items():
        if key[0].startswith("sales/"):
            assert ",".join(header) in SALES_HEADERS, key
    for path in (out / "sales").glob("*.csv"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path  # UTF-8 with BOM
    for key, row in demo.rows.items():
        if key[0].endswith(".jsonl"):
            assert list(row) == HELPDESK_KEYS
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", row["created_at"])


def test_sales_files_scale_with_customers_and_mix_formats_and_layouts(demo):
    sales = list((demo.out / "sales").iterdir())
    assert 15 <= len(sales) <= 30  # ~1 salesperson per 65 customers
    assert {p.suffix for p in sales} == {".xlsx", ".csv"}
    assert any(p.stem.isascii() for p in sales) and any(not p.stem.isascii() for p in sales)
    layouts = {",".join(h) for k, h in demo.headers.items() if k[0].startswith("sales/")}
    assert len(layouts) >= 3
    assert any(sheet == "客户" for _, sheet in demo.headers)


def test_proportions_look_like_the_sample(demo):
    total = len(demo.truth_rows)
    people = {t["person_id"] for t in demo.truth_rows}
    assert len(people) == 1500
    assert 3.0 <= total / len(people) <= 3.8
    share = collections.Counter()
    for t in demo.truth_rows:
        share[t["source_file"].split("/")[0] if t["source_file"].startswith("sales/") else t["source_file"]] += 1
    expected = {
        "shop/tmall_orders_2025.csv": 0.31,
        "shop/shopify_orders_export.csv": 0.17,
        "sales": 0.27,
        "service/call_center_tickets.csv": 0.15,
        "service/helpdesk_tickets.jsonl": 0.11,
    }
    for source, want in expected.items():
        assert abs(share[source] / total - want) < 0.05, source
    per_person = collections.Counter(t["person_id"] for t in demo.truth_rows)
    assert 1 in per_person.values()  # some people are in one source only


# ---------------------------------------------------------------------------------------------
# Links the truth must keep
# ---------------------------------------------------------------------------------------------


def test_ticket_order_numbers_are_real_tmall_orders_of_the_same_person(demo):
    order_person = {r["订单编号"]: t["person_id"] for _, r, t in demo.of("shop/tmall")}
    assert all(re.fullmatch(r"\d{19}", n) for n in order_person)
    cited = [(r["关联订单号"], t) for _, r, t in demo.of("service/call") if r["关联订单号"]]
    cited += [(r["order_no"], t) for _, r, t in demo.of("service/help") if r["order_no"]]
    assert len(cited) > 50
    assert all(order_person[number] == t["person_id"] for number, t in cited)


def test_multi_line_shopify_orders_belong_to_the_first_rows_person(demo):
    first: dict[str, str] = {}
    continuation = 0
    for _, row, t in demo.of("shop/shopify"):
        if row["Created at"]:
            first[row["Name"]] = t["person_id"]
        else:
            continuation += 1
            assert row["Email"] == row["Billing Name"] == row["Accepts Marketing"] == ""
            assert first[row["Name"]] == t["person_id"]  # rows of one order sit together
            assert t["opt_out_signal"] == "0"
    assert continuation > 20


def test_opt_out_signals_match_what_the_rows_say(demo):
    notes = ("不要再发广告", "退订", "不再接收营销")
    for key, row, t in demo.of(""):
        if key[0].endswith(".jsonl"):
            says = row["unsubscribe"]
        elif key[0].startswith("service/call"):
            says = any(n in row["问题描述"] for n in notes)
        elif key[0].startswith("shop/shopify"):
            says = row["Accepts Marketing"] == "no"
        elif key[0].startswith("sales/"):
            note = row.get("备注") or row.get("Notes") or ""
            says = any(n in note for n in notes) or row.get("营销许可") == "否" or row.get("Do not contact") == "Y"
        else:
            says = False
        assert t["opt_out_signal"] == ("1" if says else "0"), key


# ---------------------------------------------------------------------------------------------
# The messes
# ---------------------------------------------------------------------------------------------


def _names(demo):
    """Every person name shown anywhere, with its person id."""
    out = []
    for key, row, t in demo.of(""):
        if key[0].endswith(".jsonl"):
            name = row["requester"]["name"]
        else:
            name = next(
                (
                    row[h]
                    for h in ("收货人姓名", "Billing Name", "客户称呼", "客户姓名", "姓名", "联系人", "Name")
                    if h in row
                ),
                None,
            )
        if name:
            out.append((str(name), t["person_id"], key[0]))
    return out


def _phones(demo):
    out = []
    for key, row, t in demo.of(""):
        if key[0].endswith(".jsonl"):
            phone = row["requester"]["phone"]
        else:
            phone = next(
                (
                    row[h]
                    for h in ("联系手机", "Billing Phone", "来电号码", "联系电话", "电话", "手机", "Mobile")
                    if h in row and row[h]
                ),
                None,
            )
        if phone:
            out.append((str(phone), t["person_id"], key[0]))
    return out


def test_names_are_messy_in_the_documented_ways(demo):
    import opencc

    to_simplified = opencc.OpenCC("t2s")
    names = _names(demo)
    assert any(to_simplified.convert(n) != n for n, _, _ in names)  # 張偉
    honorifics = [f for n, _, f in names if HONORIFIC.match(n)]
    assert any(f.startswith("sales/") for f in honorifics)
    assert any(f.startswith("service/call") for f in honorifics)

    people = build_people(1500, 11)
    shown = collections.defaultdict(set)
    for n, pid, _ in names:
        shown[int(pid) - 1].add(n)
    given_first = family_first = False
    for i, seen in shown.items():
        if people.cn[i]:
            sur, given = people.sur_py[i].capitalize(), people.given_py[i].capitalize()
            given_first |= f"{given} {sur}" in seen
            family_first |= f"{sur} {given}" in seen
    assert given_first and family_first
    # typos: a shown Chinese name one character away from the true one
    assert any(
        len(n) == len(people.sur[i] + people.given[i])
        and n != people.sur[i] + people.given[i]
        and n[: len(people.sur[i])] == people.sur[i]
        and not HONORIFIC.match(n)
        and to_simplified.convert(n) == n
        for i, seen in shown.items()
        if people.cn[i]
        for n in seen
    )


def test_phones_are_messy_in_the_documented_ways(demo):
    phones = _phones(demo)
    texts = [p for p, _, _ in phones]
    assert any(MASKED.match(p) for p, _, f in phones if f.startswith("shop/tmall"))
    assert any(" / " in p for p in texts)
    for pattern in (
        r"^1\d{10}$",
        r"^1\d{2}-\d{4}-\d{4}$",
        r"^\+86 1\d{2} \d{4} \d{4}$",
        r"^861\d{10}$",
        r"^00861\d{10}$",
        r"^\+1 \(\d{3}\) \d{3}-\d{4}$",
    ):
        assert any(re.match(pattern, p) for p in texts), pattern
    # shared office lines: one number, several different people
    by_line = collections.defaultdict(set)
    for p, pid, _ in phones:
        if LANDLINE.match(p):
            by_line[p].add(pid)
    assert any(len(pids) >= 2 for pids in by_line.values())


def test_sales_sheets_carry_the_documented_messes(demo):
    sales = demo.of("sales/")
    values = [str(v) for _, row, _ in sales for v in row.values() if v is not None]
    assert "微信同号" in values
    assert any(re.fullmatch(r"\d{4}年\d\d月\d\d日", v) for v in values)
    assert any(isinstance(row.get("最近联系日期"), int) for _, row, _ in sales)  # Excel serials
    assert any(
        "1900" in v or v == "1" for _, row, _ in sales for v in [str(row.get("生日") or row.get("Birthday") or "")]
    )
    assert any(t for t in demo.titles)  # a title row above the header
    # DD/MM vs MM/DD: consistent per column and decidable from a day above 12
    for (rel, sheet), header in demo.headers.items():
        for col in ("Birthday", "Last contact"):
            if col not in header:
                continue
            dates = [r[col] for k, r in demo.rows.items() if k[:2] == (rel, sheet) and r[col]]
            parts = [tuple(int(x) for x in d.split("/")[:2]) for d in dates]
            assert not (any(a > 12 for a, _ in parts) and any(b > 12 for _, b in parts)), (rel, col)
            assert any(a > 12 or b > 12 for a, b in parts), (rel, col)


def test_tmall_receiver_is_sometimes_a_family_member_at_the_same_address(demo):
    people = build_people(1500, 11)
    others = 0
    for _, row, t in demo.of("shop/tmall"):
        i = int(t["person_id"]) - 1
        if people.cn[i] and people.sur[i] not in row["收货人姓名"] and people.given[i] not in row["收货人姓名"]:
            others += 1
            assert people.street[i] in row["收货地址"]
    assert others > 5


def test_common_names_are_shared_by_different_people_in_one_city(demo):
    people = build_people(1500, 11)
    seen = collections.defaultdict(set)
    for i in range(len(people)):
        if people.cn[i]:
            seen[(people.sur[i] + people.given[i], people.city[i])].add(i)
    assert any(len(v) >= 2 for v in seen.values())
    assert len(set(people.phone)) == len(people)  # …but never the same personal phone


def test_clean_mode_has_none_of_the_messes(tmp_path):
    out = tmp_path / "sources"
    generate_sources(out, customers=400, seed=5, messes=False)
    demo = Sources(out)
    assert set(demo.truth) == set(demo.rows)
    phones = [p for p, _, _ in _phones(demo)]
    assert not any(MASKED.match(p) or " / " in p or LANDLINE.match(p) for p in phones)
    assert not any(HONORIFIC.match(n) for n, _, _ in _names(demo))
    values = [str(v) for _, row, _ in demo.of("sales/") for v in row.values() if v is not None]
    assert "微信同号" not in values
    assert all(row["Created at"] for _, row, _ in demo.of("shop/shopify"))


def test_hard_profile_shares_placeholder_contacts_across_people_and_has_more_name_messes(tmp_path, demo):
    import opencc

    out = tmp_path / "sources"
    generate_sources(out, customers=1500, seed=11, profile="hard")
    hard = Sources(out)
    assert set(hard.truth) == set(hard.rows)
    by_phone = collections.defaultdict(set)
    for p, pid, _ in _phones(hard):
        by_phone[p].add(pid)
    assert all(len(by_phone[p]) >= 10 for p in ("13800138000", "12345678901", "400-123-4567"))
    shown = [v for _, row, _ in hard.of("") for v in (row.get("Email"), row.get("requester", {}).get("email"))]
    assert shown.count("test@test.com") >= 10
    to_simplified = opencc.OpenCC("t2s")

    def messes(sources) -> tuple[int, int]:
        """(honorific-only names, names in traditional script)"""
        names = [n for n, _, _ in _names(sources)]
        return sum(bool(HONORIFIC.match(n)) for n in names), sum(to_simplified.convert(n) != n for n in names)

    (honorific, traditional), (honorific_default, traditional_default) = messes(hard), messes(demo)
    assert honorific > 1.5 * honorific_default and traditional > 1.5 * traditional_default


def test_a_generic_phone_share_types_one_placeholder_in_that_share_of_phone_cells(tmp_path):
    from dataclasses import replace

    from demo.profiles import PROFILES

    out = tmp_path / "sources"
    generate_sources(out, customers=1500, seed=11, profile=replace(PROFILES["hard"], generic_phone=0.2))
    phones = [p for p, _, _ in _phones(Sources(out))]
    assert 0.17 < phones.count(GENERIC_PHONE) / len(phones) < 0.23


# ---------------------------------------------------------------------------------------------
# Later exports
# ---------------------------------------------------------------------------------------------


def test_later_export_reuses_people_adds_new_ones_and_appends_truth(tmp_path):
    out = tmp_path / "sources"
    truth = generate_sources(out, customers=600, seed=4)
    before = Sources(out)
    old_ids = {int(t["person_id"]) for t in before.truth_rows}
    old_orders = {r["订单编号"] for _, r, _ in before.of("shop/tmall")}

    assert generate_later_export(out, customers=600, seed=4, orders=400) == truth
    after = Sources(out)
    assert set(after.truth) == set(after.rows)
    later = [(r, t) for _, r, t in after.of("shop/tmall_orders_2026.csv")]
    assert len(later) == 400
    assert after.headers[("shop/tmall_orders_2026.csv", "")] == TMALL_HEADER.split(",")
    ids = [int(t["person_id"]) for _, t in later]
    returning = sum(i in old_ids for i in ids) / len(ids)
    assert 0.75 <= returning <= 0.95
    new_ids = {i for i in ids if i not in old_ids}
    assert len(new_ids) > 10 and min(new_ids) > max(old_ids)
    numbers = [r["订单编号"] for r, _ in later]
    assert all(re.fullmatch(r"\d{19}", n) for n in numbers)
    assert len(set(numbers)) == 400 and not set(numbers) & old_orders

    # Running it again replaces its rows; another export gets ids above all of these.
    generate_later_export(out, customers=600, seed=4, orders=400)
    assert len(Sources(out).truth_rows) == len(after.truth_rows)
    generate_later_export(out, customers=600, seed=4, orders=100, file_name="tmall_orders_2027.csv")
    third = Sources(out)
    newest = {int(t["person_id"]) for _, _, t in third.of("shop/tmall_orders_2027.csv")}
    assert {i for i in newest if i not in old_ids} and min(i for i in newest if i not in old_ids) > max(new_ids)


def test_regenerating_removes_its_own_old_files_only(tmp_path):
    out = tmp_path / "sources"
    generate_sources(out, customers=900, seed=1)
    generate_later_export(out, customers=900, seed=1, orders=50)
    (out / "sales" / "kept.txt").write_text("not ours")
    generate_sources(out, customers=200, seed=2)
    regenerated = Sources(out)
    assert set(regenerated.truth) == set(regenerated.rows)  # no stale sheets or exports
    assert (out / "sales" / "kept.txt").exists()


def test_truth_path_sits_beside_the_sources_folder(tmp_path):
    assert truth_path_for(tmp_path / "sources") == tmp_path / "sources_truth.csv"
    assert truth_path_for("data/demo/sources") == Path("data/demo/sources_truth.csv")
