from datetime import date, datetime

import pyarrow as pa
import pytest

from linkage.pairs import PAIR_SCHEMA
from linkage.survivorship import (
    FUTURE_EVENT_FLAG,
    build_crosswalk,
    build_golden,
    golden_parts,
    golden_passes,
    load_config,
)
from sources.schema import CANONICAL_SCHEMA

COLUMNS = {
    "customer_id": pa.string(),
    "source_system": pa.string(),
    "source_file": pa.string(),
    "source_sheet": pa.string(),
    "source_row": pa.int64(),
    "event_at": pa.timestamp("us"),
    "salesperson": pa.string(),
    "name": pa.string(),
    "name_pinyin": pa.string(),
    "name_is_partial": pa.bool_(),
    "phone": pa.string(),
    "email": pa.string(),
    "wechat": pa.string(),
    "birth_date": pa.date32(),
    "province": pa.string(),
    "city": pa.string(),
    "district": pa.string(),
    "address": pa.string(),
    "marketing_opt_out": pa.bool_(),
    "consent": pa.string(),
}


def crosswalk(*rows: dict) -> pa.Table:
    filled = []
    for i, row in enumerate(rows, start=1):
        base = dict.fromkeys(COLUMNS)
        base.update(
            customer_id="C1",
            source_system="tmall",
            source_file="shop/t.csv",
            source_sheet="",
            source_row=i,
            name_is_partial=False,
        )
        base.update(row)
        filled.append(base)
    return pa.Table.from_pylist(filled, schema=pa.schema(COLUMNS))


def golden_of(*rows: dict) -> tuple[dict, list[dict]]:
    golden, lineage = build_golden(crosswalk(*rows), today=date(2025, 6, 1))
    assert golden.num_rows == 1
    return golden.to_pylist()[0], lineage.to_pylist()


def test_full_chinese_name_beats_honorific_and_romanised_forms():
    g, _ = golden_of(
        {"name": "王", "name_pinyin": "wang", "name_is_partial": True, "event_at": datetime(2025, 5, 1)},
        {"name": "Wei Wang", "name_pinyin": "wei wang", "event_at": datetime(2025, 4, 1)},
        {"name": "王伟", "name_pinyin": "wang wei", "event_at": datetime(2023, 1, 1)},
    )
    assert (g["display_name"], g["name_pinyin"]) == ("王伟", "wang wei")


def test_most_recent_phone_and_address_most_frequent_email_with_lineage():
    g, lineage = golden_of(
        {
            "phone": "+8613800000001",
            "email": "a@x.com",
            "address": "杭州市西湖区1号",
            "city": "杭州市",
            "event_at": datetime(2023, 1, 1),
        },
        {"phone": "+8613800000002", "email": "a@x.com", "event_at": datetime(2025, 1, 1)},
        {
            "email": "typo@x.com",
            "address": "上海市浦东新区2号",
            "city": "上海市",
            "province": "上海市",
            "event_at": datetime(2024, 1, 1),
        },
    )
    assert g["phone"] == "+8613800000002" and g["email"] == "a@x.com"
    assert (g["address"], g["city"], g["province"]) == ("上海市浦东新区2号", "上海市", "上海市")  # from one record
    chosen = {r["field"]: r["source_row"] for r in lineage}
    assert chosen["phone"] == 2 and chosen["address"] == 3 and chosen["city"] == 3


def test_opted_out_of_every_channel_is_the_golden_opt_out():
    g, lineage = golden_of(
        {"source_system": "sales", "consent": "all:opt_out", "event_at": datetime(2023, 1, 1)},
        {
            "source_system": "shopify",
            "consent": "email:opt_in",
            "event_at": datetime(2022, 1, 1),
        },  # older: lifts nothing
    )
    assert g["marketing_opt_out"] is True
    assert g["marketing_opt_out_source"].startswith("sales:") and g["marketing_opt_out_at"] == datetime(2023, 1, 1)
    assert {"field": "marketing_opt_out", "rule": "least_permissive"}.items() <= next(
        r for r in lineage if r["field"] == "marketing_opt_out"
    ).items()


def test_an_opt_out_of_one_channel_is_no_golden_opt_out():
    g, _ = golden_of({"source_system": "call_center", "consent": "sms:opt_out", "event_at": datetime(2023, 1, 1)})
    assert g["marketing_opt_out"] is False


def test_a_later_opt_in_lifts_an_opt_out_in_its_channel():
    g, _ = golden_of(
        {"source_system": "sales", "consent": "all:opt_out", "event_at": datetime(2023, 1, 1)},
        {"source_system": "shopify", "consent": "email:opt_in", "event_at": datetime(2025, 1, 1)},
    )
    assert g["marketing_opt_out"] is False  # e-mail is allowed again: not opted out of every channel


def test_an_undated_opt_out_is_never_lifted():
    g, _ = golden_of(
        {"source_system": "sales", "consent": "all:opt_out"},
        {"source_system": "sales", "consent": "all:opt_in", "event_at": datetime(2025, 1, 1)},
    )
    assert g["marketing_opt_out"] is True


def test_no_consent_signal_means_not_opted_out_and_birth_date_by_majority():
    g, _ = golden_of(
        {"birth_date": date(1990, 1, 2)},
        {"birth_date": date(1990, 1, 2)},
        {"birth_date": date(1990, 2, 1), "event_at": datetime(2025, 1, 1)},
    )
    assert g["marketing_opt_out"] is False and g["birth_date"] == date(1990, 1, 2)


def test_unknown_rule_in_config_is_an_error(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("source_priority: []\nfields:\n  phone: {rule: newest}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="field phone: unknown rule 'newest'"):
        load_config(path)


def test_a_record_dated_after_the_runs_date_is_flagged_in_the_crosswalk():
    dated = [
        (datetime(2031, 6, 1), None),
        (datetime(2025, 6, 1), "phone_unusable"),
        (datetime(2031, 6, 1), "email_invalid"),
        (None, None),
    ]
    lineage = {"source_system": "sales", "source_file": "sales/a.csv", "source_sheet": ""}
    rows = [
        {**lineage, "record_id": i, "source_row": i, "event_at": at, "quality_flags": f}
        for i, (at, f) in enumerate(dated, 1)
    ]
    canonical = pa.Table.from_pylist(rows, schema=CANONICAL_SCHEMA)
    assignment = pa.table({"record_id": pa.array([1, 2, 3, 4], pa.int64()), "customer_id": ["C1", "C2", "C3", "C4"]})

    def flags_at(today: date) -> list:
        crosswalk = build_crosswalk(canonical, assignment, PAIR_SCHEMA.empty_table(), today)
        return crosswalk.column("quality_flags").to_pylist()

    future = FUTURE_EVENT_FLAG
    assert flags_at(date(2025, 6, 30)) == [future, "phone_unusable", f"email_invalid;{future}", None]
    assert flags_at(date(2031, 6, 1)) == [None, "phone_unusable", "email_invalid", None]


def rebuilt(*args, **kwargs) -> tuple[pa.Table, pa.Table]:
    """golden_parts' golden and lineage tables whole, as the work area reads them back."""
    parts = list(golden_parts(*args, **kwargs))
    return tuple(pa.concat_tables([part[i] for part in parts]) for i in (0, 1))


NO_CORRECTIONS = pa.table({c: pa.array([], pa.string()) for c in ("customer_id", "field", "value", "request_id")})


def test_rebuilding_changed_customers_builds_theirs_and_keeps_the_others_as_published():
    today = date(2025, 6, 1)
    before = crosswalk(
        {"customer_id": "C1", "name": "王伟", "event_at": datetime(2025, 1, 1)},
        {"customer_id": "C2", "name": "李娜", "event_at": datetime(2025, 1, 1)},
    )
    published_golden, published_lineage = build_golden(before, today=today)
    # C1 gains a record; C2's record changed in the crosswalk, but C2 is not among the changed
    now = crosswalk(
        {"customer_id": "C1", "name": "王伟", "event_at": datetime(2025, 1, 1)},
        {"customer_id": "C2", "name": "李小娜", "event_at": datetime(2025, 1, 1)},
        {"customer_id": "C1", "name": "王小伟", "event_at": datetime(2025, 5, 1)},
    )
    changed = pa.array(["C1"], pa.string())
    golden, lineage = rebuilt(now, changed, published_golden, published_lineage, NO_CORRECTIONS, today=today)
    by_customer = {g["customer_id"]: g for g in golden.to_pylist()}
    assert by_customer["C2"] == published_golden.to_pylist()[1]
    full_golden, full_lineage = build_golden(now, today=today)
    assert by_customer["C1"] == full_golden.to_pylist()[0]
    assert by_customer["C1"]["source_record_count"] == 2
    assert [r for r in lineage.to_pylist() if r["customer_id"] == "C2"] == [
        r for r in published_lineage.to_pylist() if r["customer_id"] == "C2"
    ]
    assert rebuilt(now, None, None, None, NO_CORRECTIONS, today=today)[0].to_pylist() == full_golden.to_pylist()


def test_golden_built_in_passes_is_the_golden_built_at_once():
    """Passes of whole customers in customer order (golden_passes) give the same rows in the same
    order; a customer is never split between two passes, whatever the pass size."""
    today = date(2025, 6, 1)
    rows = [
        {"customer_id": f"C{n % 7}", "name": name, "phone": f"1380000{n:04d}", "event_at": datetime(2025, 1, 1 + n)}
        for n, name in enumerate(["王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴芳"] * 3)
    ]
    records = crosswalk(*rows)
    at_once = build_golden(records, today=today)
    for per_pass in (1, 2, 3, 5, 8, 30, 100):
        passes = list(golden_passes(records, per_pass))
        customers = [set(p.column("customer_id").to_pylist()) for p in passes]
        assert sum(p.num_rows for p in passes) == records.num_rows
        assert all(not (a & b) for i, a in enumerate(customers) for b in customers[i + 1 :])
        assert len(passes) == 1 if per_pass >= records.num_rows else 1 < len(passes) <= -(-records.num_rows // per_pass)
        golden, lineage = rebuilt(records, None, None, None, NO_CORRECTIONS, today=today, records_per_pass=per_pass)
        assert golden.to_pylist() == at_once[0].to_pylist(), per_pass
        assert lineage.to_pylist() == at_once[1].to_pylist(), per_pass
