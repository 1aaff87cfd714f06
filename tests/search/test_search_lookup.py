"""Finding a customer from whatever the caller says, on the published sample warehouse."""

from __future__ import annotations

import re
from collections import Counter

import opencc
import pytest

from search.bench import spoken_phone
from search.snapshot import read_snapshot

HAN = re.compile(r"^[\u4e00-\u9fff]{3}$")


@pytest.fixture(scope="module")
def snapshot(published):
    return read_snapshot(published.url)


@pytest.fixture(scope="module")
def customer(snapshot) -> dict:
    """A customer with a unique three-character Chinese name, a CN mobile, an email, an order
    and a ticket: every way of finding someone applies to them."""
    golden = snapshot.golden.to_pylist()
    names = Counter(c["display_name"] for c in golden)
    for c in sorted(golden, key=lambda c: -c["source_record_count"]):
        systems = {r["source_system"]: r for r in snapshot.records.rows(c["customer_id"])}
        if (
            c["display_name"]
            and HAN.match(c["display_name"])
            and names[c["display_name"]] == 1
            and (c["phone"] or "").startswith("+861")
            and c["email"]
            and "tmall" in systems
            and "call_center" in systems
        ):
            return {
                **c,
                "order": systems["tmall"]["source_record_key"],
                "ticket": systems["call_center"]["source_record_key"],
            }
    raise AssertionError("the sample has no such customer")


def first_id(snapshot, query: str) -> str | None:
    results = snapshot.search(query)
    return results[0]["customer_id"] if results else None


def test_chinese_name_in_simplified_and_traditional(snapshot, customer):
    assert first_id(snapshot, customer["display_name"]) == customer["customer_id"]
    assert first_id(snapshot, opencc.OpenCC("s2t").convert(customer["display_name"])) == customer["customer_id"]


def test_pinyin_with_or_without_spaces_and_in_either_order(snapshot, customer):
    pinyin = customer["name_pinyin"]
    for query in (
        pinyin,
        pinyin.replace(" ", ""),
        " ".join(reversed(pinyin.split())),
        pinyin.title(),
        "".join(reversed(pinyin.split())),
    ):
        assert first_id(snapshot, query) == customer["customer_id"], query


def test_phone_in_any_format(snapshot, customer):
    national = customer["phone"][3:]
    for query in (
        customer["phone"],
        national,
        spoken_phone(customer["phone"]),
        f"+86-{national[:3]}-{national[3:7]}-{national[7:]}",
        "0086" + national,
    ):
        assert first_id(snapshot, query) == customer["customer_id"], query


def test_last_four_digits_with_the_surname(snapshot, customer):
    surname = customer["display_name"][0]
    ids = [r["customer_id"] for r in snapshot.search(f"{surname} {customer['phone'][-4:]}")]
    assert customer["customer_id"] in ids
    assert customer["customer_id"] in [
        r["customer_id"] for r in snapshot.search(f"{customer['name_pinyin'].split()[0]}{customer['phone'][-4:]}")
    ]


def test_email_order_and_ticket_numbers(snapshot, customer):
    assert first_id(snapshot, customer["email"].upper()) == customer["customer_id"]
    assert first_id(snapshot, customer["order"]) == customer["customer_id"]
    assert first_id(snapshot, customer["ticket"].lower()) == customer["customer_id"]


def test_shopify_order_number_and_wechat(snapshot):
    record = next(r for r in snapshot.records.table.to_pylist() if r["source_system"] == "shopify")
    assert record["customer_id"] in [r["customer_id"] for r in snapshot.search(record["source_record_key"])]
    wechat = next(r for r in snapshot.records.table.to_pylist() if r["wechat"] and not r["wechat"].isdigit())
    assert first_id(snapshot, wechat["wechat"]) == wechat["customer_id"]


def test_typo_in_the_pinyin_still_finds_the_customer(snapshot, customer):
    pinyin = customer["name_pinyin"].replace(" ", "")
    typo = pinyin[:-2] + pinyin[-1]  # one letter dropped
    results = snapshot.search(typo)
    assert customer["customer_id"] in [r["customer_id"] for r in results[:5]]
    match = next(r for r in results if r["customer_id"] == customer["customer_id"])
    assert match["matched"][0]["kind"] in {"fuzzy", "pinyin"}


def test_results_are_ranked_best_first_and_say_what_matched(snapshot, customer):
    results = snapshot.search(customer["display_name"])
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    top = results[0]
    assert {"name", "pinyin"} <= {m["kind"] for m in top["matched"]}
    assert all(m["field"] == "display_name" for m in top["matched"] if m["kind"] in {"name", "pinyin", "tokens"})
    assert all(r["matched"][0]["kind"] == "fuzzy" for r in results[1:] if r["score"] < 70)


def test_exact_identifiers_outrank_a_similar_name(snapshot, customer):
    [result] = snapshot.search(customer["phone"])
    assert result["matched"][0]["kind"] == "phone" and result["score"] >= 100


def test_nothing_found_for_nonsense(snapshot):
    assert snapshot.search("zzqqxxjjkk") == []
    assert snapshot.search("") == []


def _ranked_one_hit_at_a_time(snapshot, text: str, limit: int) -> list[tuple[int, float, list]]:
    """The ranking as the search made it before it scored in arrays: a Hit per customer, every
    match appended, then the best by (score, recency, customer_id). The oracle of the test below."""
    from search.index import FUZZY_SCORE, KIND_SCORE, Hit, Match
    from search.keys import key_hashes, query_keys, query_pinyin

    index, hits = snapshot.index, {}
    keys = query_keys(text)
    for (kind, value), h in zip(keys, key_hashes(keys)):
        for cidx in index._lookup(h):
            hits.setdefault(int(cidx), Hit(int(cidx))).matches.append(Match(kind, value, KIND_SCORE[kind]))
    pinyin = query_pinyin(text)
    if pinyin and len(hits) < limit:
        for cidx, name, similarity in index._fuzzy(pinyin):
            if cidx not in hits:
                hits[cidx] = Hit(cidx, [Match("fuzzy", name, FUZZY_SCORE * similarity)])
    ranked = sorted(hits.values(), key=lambda h: (-h.score, -snapshot.recency[h.cidx], snapshot.customer_ids[h.cidx]))
    return [(h.cidx, h.score, h.matches) for h in ranked[:limit]]


def test_the_ranking_in_arrays_is_the_ranking_hit_by_hit(snapshot):
    golden = snapshot.golden.to_pylist()
    queries = {"王", "李", "wang", "张伟", "13800138000"}
    for c in golden[:: max(1, len(golden) // 40)]:
        queries |= {q for q in (c["display_name"], c["name_pinyin"], c["email"]) if q}
        queries |= {spoken_phone(c["phone"])} if c["phone"] else set()
        if c["name_pinyin"]:
            queries.add(c["name_pinyin"][:-1])  # a typo: similar names
    for text in sorted(queries):
        for limit in (1, 5, 20):
            hits = snapshot.index.search(text, limit, None, snapshot.recency)
            assert [(h.cidx, h.score, h.matches) for h in hits] == _ranked_one_hit_at_a_time(snapshot, text, limit), (
                text
            )


def test_the_best_hits_are_those_of_a_full_sort_whatever_the_ties():
    """_best narrows by partitions before sorting; the full lexsort is the oracle, over scores and
    recencies drawn from few values so that ties are everywhere."""
    import numpy as np

    from search.index import _best

    rng = np.random.default_rng(5)
    for _ in range(500):
        n, limit = int(rng.integers(1, 300)), int(rng.integers(1, 30))
        customers = np.sort(rng.choice(10_000, n, replace=False)).astype(np.int32)
        scores = rng.choice([10.0, 8.0, 12.0, 4.5], n)
        recency = rng.integers(0, int(rng.integers(1, 6)), n)
        expected = customers[np.lexsort((customers, -recency, -scores))[:limit]]
        assert _best(customers, scores, recency, limit).tolist() == expected.tolist()
