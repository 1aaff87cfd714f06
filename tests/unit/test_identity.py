from collections import Counter, defaultdict

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.evaluate import assignment, pairwise_scores
from linkage.identity import ConstrainedForest, assign_ids, cluster, cluster_roots, format_id, retired
from linkage.pairs import PAIR_SCHEMA


def _pairs(*edges):
    return pa.Table.from_pylist(
        [
            {"record_id_l": a, "record_id_r": b, "match_probability": p, "match_weight": None, "kind": "model"}
            for a, b, p in edges
        ],
        schema=PAIR_SCHEMA,
    )


def test_cluster_joins_only_pairs_above_threshold():
    clusters = cluster([1, 2, 3, 4], _pairs((1, 2, 0.99), (3, 4, 0.5), (2, 3, 0.89)), threshold=0.9)
    assert clusters == {1: 1, 2: 1, 3: 3, 4: 4}


def _assign(clusters: dict[int, int], previous: dict[int, str], next_number: int):
    return assign_ids(list(clusters), list(clusters.values()), previous, next_number)


def test_new_warehouse_mints_ids_in_order():
    a = _assign({1: 1, 2: 1, 3: 3}, previous={}, next_number=1)
    assert sorted(set(a.customer_of_record.values())) == [format_id(1), format_id(2)]
    assert a.customer_of_record[1] == a.customer_of_record[2]
    assert [h["event"] for h in a.history] == ["minted", "minted"]


def test_same_clusters_keep_their_ids_and_log_nothing():
    previous = {1: "C00000007", 2: "C00000007", 3: "C00000009"}
    a = _assign({1: 1, 2: 1, 3: 3}, previous, next_number=10)
    assert a.customer_of_record == previous
    assert a.history == []


def test_merge_keeps_the_larger_id_and_records_the_other_as_merged():
    previous = {1: "C00000001", 2: "C00000001", 3: "C00000002"}
    a = _assign({1: 1, 2: 1, 3: 1}, previous, next_number=3)
    assert set(a.customer_of_record.values()) == {"C00000001"}
    assert {
        "customer_id": "C00000002",
        "event": "merged",
        "related_customer_id": "C00000001",
        "record_count": 0,
    } in a.history


def test_split_keeps_the_id_on_the_larger_part():
    previous = {1: "C00000001", 2: "C00000001", 3: "C00000001"}
    a = _assign({1: 1, 2: 1, 3: 3}, previous, next_number=2)
    assert a.customer_of_record[1] == a.customer_of_record[2] == "C00000001"
    assert a.customer_of_record[3] == "C00000002"
    assert {
        "customer_id": "C00000002",
        "event": "split",
        "related_customer_id": "C00000001",
        "record_count": 1,
    } in a.history


def test_new_records_join_existing_customer_without_changing_its_id():
    a = _assign({1: 1, 2: 1, 9: 1}, {1: "C00000001", 2: "C00000001"}, next_number=2)
    assert set(a.customer_of_record.values()) == {"C00000001"}


def test_customers_whose_records_all_vanished_are_retired_and_merged_ones_are_not():
    # C1's export was removed; C2 merged into C3 this run; C3 lives on
    previous = {5: "C00000002", 6: "C00000003"}
    a = _assign({5: 5, 6: 5}, previous, next_number=4)
    live_now = set(a.customer_of_record.values())
    events = retired(a.history, live_before={"C00000001", "C00000002", "C00000003"}, live_now=live_now)
    assert events == [{"customer_id": "C00000001", "event": "retired", "related_customer_id": None, "record_count": 0}]
    assert retired(a.history, live_before=live_now, live_now=live_now) == []


def test_pairwise_scores_count_pairs_inside_groups():
    truth = {("f", "", 1): "p1", ("f", "", 2): "p1", ("f", "", 3): "p1", ("f", "", 4): "p2"}
    perfect = pairwise_scores({k: v for k, v in truth.items()}, truth)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    over = pairwise_scores({k: "x" for k in truth}, truth)  # everyone merged: 6 pairs, 3 right
    assert over.precision == 0.5 and over.recall == 1.0
    lost = pairwise_scores({("f", "", 1): "a", ("f", "", 2): "a"}, truth)  # two rows missing
    assert lost.missing_records == 2 and lost.recall == 1 / 3


def test_assignment_keys_rows_as_the_truth_does():
    """A missing sheet is '' and a row number an int, as read_truth keys them; a cluster id a string."""
    rows = [("a.csv", None, "1", 7), ("b.xlsx", "S1", 2, "C-1")]
    assert assignment(rows) == {("a.csv", "", 1): "7", ("b.xlsx", "S1", 2): "C-1"}


def test_cannot_link_splits_a_cluster_even_when_other_edges_connect_it():
    pairs = _pairs((1, 2, 0.99), (2, 3, 0.98), (1, 3, 0.95))
    clusters = cluster([1, 2, 3], pairs, threshold=0.9, cannot_link=[(1, 3)])
    assert clusters[1] != clusters[3]
    assert clusters[2] == clusters[1]  # 2 goes with its strongest partner


def test_must_link_joins_records_the_model_kept_apart():
    clusters = cluster([1, 2, 3], _pairs((1, 2, 0.3)), threshold=0.9, must_link=[(1, 2)])
    assert clusters == {1: 1, 2: 1, 3: 3}


def test_cannot_link_wins_over_must_link():
    clusters = cluster([1, 2], _pairs(), threshold=0.9, must_link=[(1, 2)], cannot_link=[(1, 2)])
    assert clusters[1] != clusters[2]


def _clustered_in_order(record_ids, pairs, threshold, must_link, cannot_link) -> dict[int, int]:
    """How records were clustered before cluster_roots (a union-find over dicts of every record,
    taking every edge in order): the behaviour the arrays must keep, decision for decision."""
    forest = ConstrainedForest(record_ids, cannot_link)
    for a, b in must_link:
        if a in forest.parent and b in forest.parent:
            forest.union(a, b)
    rows = sorted(
        (r for r in pairs.to_pylist() if r["match_probability"] >= threshold),
        key=lambda r: (-r["match_probability"], r["record_id_l"], r["record_id_r"]),
    )
    for r in rows:
        forest.union(r["record_id_l"], r["record_id_r"])
    return {r: forest.find(r) for r in record_ids}


@st.composite
def _graphs(draw):
    """Records with gaps in their ids, pairs with tied probabilities, and both kinds of decision."""
    ids = draw(st.lists(st.integers(0, 400), min_size=1, max_size=40, unique=True))
    edge = st.tuples(st.sampled_from(ids), st.sampled_from(ids))
    pairs = [
        (a, b, p)
        for a, b, p in draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids), st.sampled_from(PS))))
        if a != b
    ]
    return ids, pairs, draw(st.lists(edge, max_size=6)), draw(st.lists(edge, max_size=6))


PS = (0.5, 0.89, 0.9, 0.95, 0.99, 1.0)


@settings(max_examples=400, deadline=None)
@given(_graphs())
def test_clusters_are_those_of_the_union_in_order_on_any_graph(graph):
    ids, edges, must, cannot = graph
    pairs = _pairs(*edges)
    expected = _clustered_in_order(ids, pairs, 0.9, must, cannot)
    assert cluster(ids, pairs, 0.9, must, cannot) == expected
    assert cluster_roots(ids[::-1], pairs, 0.9, must, cannot).tolist() == [expected[r] for r in ids[::-1]]


def test_decisions_and_pairs_of_records_not_clustered_are_left_out():
    pairs = _pairs((1, 2, 0.99), (2, 7, 0.99))
    assert cluster([1, 2, 3], pairs, 0.9, must_link=[(3, 8)], cannot_link=[(1, 9)]) == {1: 1, 2: 1, 3: 3}
    assert cluster([], pairs, 0.9) == {}


def test_a_long_chain_is_one_cluster_rooted_at_its_smallest_record():
    ids = list(range(10_000, 0, -1))
    chain = _pairs(*((i, i + 1, 0.95) for i in range(1, 10_000)))
    assert set(cluster_roots(ids, chain, 0.9).tolist()) == {1}


def _assigned_in_order(clusters: dict[int, int], previous: dict[int, str], next_number: int):
    """How IDs were assigned before the arrays (dicts and Counters of every record): the
    behaviour assign_ids must keep, event for event."""
    members = defaultdict(list)
    for record, root in clusters.items():
        members[root].append(record)
    counts = {root: Counter(previous[r] for r in recs if r in previous) for root, recs in members.items()}
    order = sorted(members, key=lambda root: (-sum(counts[root].values()), -len(members[root]), root))
    records_of_old = defaultdict(list)
    for record, old_id in previous.items():
        records_of_old[old_id].append(record)
    claimed, id_of_cluster, history = {}, {}, []
    for root in order:
        for candidate, _ in sorted(counts[root].items(), key=lambda kv: (-kv[1], kv[0])):
            if candidate not in claimed:
                claimed[candidate] = root
                id_of_cluster[root] = candidate
                if len(members[root]) != len(records_of_old[candidate]):
                    history.append(("kept", candidate, None, len(members[root])))
                break
        else:
            id_of_cluster[root] = format_id(next_number)
            next_number += 1
            parents = counts[root]
            source = max(parents, key=lambda c: (parents[c], c)) if parents else None
            history.append(("split" if source else "minted", id_of_cluster[root], source, len(members[root])))
    for old_id in sorted(set(records_of_old) - set(claimed)):
        holders = Counter(id_of_cluster[clusters[r]] for r in records_of_old[old_id] if r in clusters)
        went = holders.most_common(1)[0][0] if holders else None
        history.append(("merged" if holders else "retired", old_id, went, 0))
    return {record: id_of_cluster[root] for record, root in clusters.items()}, history


@st.composite
def _earlier_runs(draw):
    """Clusters of this run and an earlier run's IDs for some of its records (and records gone)."""
    records = draw(st.lists(st.integers(0, 60), min_size=1, max_size=30, unique=True))
    clusters = {r: draw(st.sampled_from(records)) for r in records}
    seen = draw(st.lists(st.integers(0, 70), max_size=30, unique=True))
    previous = {r: format_id(draw(st.integers(1, 8))) for r in seen}
    return clusters, previous


@settings(max_examples=400, deadline=None)
@given(_earlier_runs())
def test_ids_are_those_the_dicts_assigned_on_any_clusters(run):
    clusters, previous = run
    expected, events = _assigned_in_order(clusters, previous, next_number=9)
    assigned = _assign(clusters, previous, next_number=9)
    assert assigned.customer_of_record == expected
    assert [
        (h["event"], h["customer_id"], h["related_customer_id"], h["record_count"]) for h in assigned.history
    ] == events
