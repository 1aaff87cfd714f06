"""One file of every platform layout, holding the same planted people, through the whole `unify run`.

The planted people (invented: 陈思远 / Siyuan Chen, 林婉清 / Wanqing Lin, Olivia Brennan) are written
as each platform writes them: Chinese names and bare mobiles in the marketplace exports, first and
last names with +86 / (646) phones in the Western shops and CRMs, a name and an e-mail in the help
desks. Linkage needs enough records to train, so the files join a generated demo set. The test
reads customer_source_records: each planted person is one customer across all their files, and no
customer holds two planted people or anyone else's records."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate_sources
from pipelines.cli import main

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "layouts"
FOLDER = {
    "salesforce_contacts.csv": "sales",
    "zendesk_tickets_export.csv": "service",
    "zendesk_tickets_api.json": "service",
    "freshdesk_tickets_export.csv": "service",
}
CHEN, LIN, BRENNAN = "陈思远", "林婉清", "Olivia Brennan"
# (fixture, data row) -> planted person; rows not listed hold people who appear once (or nobody)
PLANTED = {
    ("tmall_qianniu_orders.csv", 1): CHEN,
    ("tmall_qianniu_orders.csv", 2): LIN,
    ("jd_pop_orders.csv", 1): CHEN,
    ("jd_pop_orders.csv", 2): LIN,
    ("pinduoduo_orders.csv", 1): CHEN,
    ("pinduoduo_orders.csv", 2): LIN,
    ("youzan_orders.csv", 1): CHEN,
    ("youzan_orders.csv", 2): LIN,
    ("douyin_orders.csv", 1): CHEN,
    ("douyin_orders.csv", 2): LIN,
    ("shopify_customers_export.csv", 1): CHEN,
    ("shopify_customers_export.csv", 2): BRENNAN,
    ("shopify_customers_export.csv", 3): LIN,
    ("woocommerce_orders.csv", 1): BRENNAN,
    ("woocommerce_orders.csv", 2): CHEN,
    ("woocommerce_customers.csv", 1): BRENNAN,
    ("woocommerce_customers.csv", 2): LIN,
    ("hubspot_contacts.csv", 1): CHEN,
    ("hubspot_contacts.csv", 2): BRENNAN,
    ("salesforce_contacts.csv", 1): LIN,
    ("salesforce_contacts.csv", 2): BRENNAN,
    ("salesforce_contacts.csv", 3): CHEN,
    ("zoho_contacts.csv", 1): CHEN,
    ("zoho_contacts.csv", 2): LIN,
    ("crm_contacts_generic.csv", 1): BRENNAN,
    ("crm_contacts_generic.csv", 2): LIN,
    ("zendesk_tickets_export.csv", 1): CHEN,
    ("zendesk_tickets_export.csv", 2): BRENNAN,
    ("zendesk_tickets_api.json", 1): BRENNAN,
    ("zendesk_tickets_api.json", 2): LIN,
    ("zendesk_tickets_api.json", 3): BRENNAN,
    ("freshdesk_tickets_export.csv", 1): LIN,
    ("freshdesk_tickets_export.csv", 2): CHEN,
}


def _source_file(fixture: str) -> str:
    return f"{FOLDER.get(fixture, 'shop')}/{fixture}"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layouts_e2e")
    sources = tmp / "sources"
    generate_sources(sources, customers=800, seed=11)  # enough people to train on
    for fixture in sorted(p.name for p in LAYOUTS.iterdir()):
        shutil.copy(LAYOUTS / fixture, sources / _source_file(fixture))
    warehouse = tmp / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.setenv("DAGSTER_HOME", str(tmp / "dagster_home"))
        mp.setenv("UNIFY_WORK_DIR", str(tmp / "work"))
        mp.setenv("UNIFY_REPORTS_DIR", str(tmp / "reports"))
        for name in ("UNIFY_SOURCES", "UNIFY_WAREHOUSE", "UNIFY_MODEL"):  # no model file: this warehouse trains its own
            mp.delenv(name, raising=False)
        (tmp / "dagster_home").mkdir()
        assert main(["run", "--sources", str(sources), "--warehouse", f"duckdb:///{warehouse}"]) == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        records = con.execute("select source_file, source_row, customer_id from customer_source_records").fetchall()
        consent = {
            (c, ch): status
            for c, ch, status in con.execute("select customer_id, channel, status from customer_consent").fetchall()
        }
    return records, consent


@pytest.fixture(scope="module")
def records(published):
    return published[0]


def test_every_planted_record_is_published(records):
    seen = {(f, r) for f, r, _ in records}
    assert {(_source_file(f), r) for f, r in PLANTED} <= seen


def test_each_planted_person_is_found_across_all_their_files(records):
    customer = {(f, r): c for f, r, c in records}
    ids = defaultdict(set)
    for (fixture, row), person in PLANTED.items():
        ids[person].add(customer[(_source_file(fixture), row)])
    assert {person: len(found) for person, found in ids.items()} == {CHEN: 1, LIN: 1, BRENNAN: 1}
    assert len({next(iter(found)) for found in ids.values()}) == 3  # three people, three customers


def test_no_planted_customer_holds_anyone_else(records):
    planted_files = {_source_file(f) for f in {f for f, _ in PLANTED}}
    planted = {(_source_file(f), r) for f, r in PLANTED}
    customer = {(f, r): c for f, r, c in records}
    theirs = {customer[key] for key in planted}
    strangers = [(f, r) for f, r, c in records if c in theirs and (f, r) not in planted]
    assert strangers == []
    # the people who appear once in the planted files stay on their own too
    once = [c for f, r, c in records if f in planted_files and (f, r) not in planted]
    assert once and not set(once) & theirs


def test_an_opt_out_in_one_export_outweighs_an_opt_in_in_another(published):
    records, consent = published
    customer = {(f, r): c for f, r, c in records}
    brennan = customer[("shop/shopify_customers_export.csv", 2)]
    # Shopify: 'Accepts Email Marketing' yes (undated); HubSpot: 'Unsubscribed from all email' true
    assert consent[(brennan, "email")] == "opted_out"
    assert consent[(brennan, "sms")] == "opted_out"  # Shopify: 'Accepts SMS Marketing' no
    assert (brennan, "phone") not in consent  # nobody said anything about calls
