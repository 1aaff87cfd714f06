"""Who is who: clusters of records from scored pairs, and stable customer IDs for them.

Splink's cluster ids are the minimum record id of each component, which changes whenever records
are added; a customer_id is ours: minted once, kept by the cluster that holds most of its
records, recorded as merged when its records join another customer, split when they part.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.review import decision_links, lineage_index

ID_PREFIX = "C"
ID_DIGITS = 8
# arrival_reassigned: a record filed on arrival under one customer that a run, staging it from a
# source file, put in another (the run's evidence wins; related_customer_id is where it went)
EVENTS = ("minted", "kept", "merged", "split", "retired", "arrival_reassigned")

HISTORY_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("event", pa.string()),
        ("related_customer_id", pa.string()),
        ("record_count", pa.int64()),
    ]
)


class ConstrainedForest:
    """Union-find that refuses any union joining two records a person said are different."""

    def __init__(self, items, cannot_link: list[tuple[int, int]] = ()):
        self.parent = {i: i for i in items}
        # for each component root: records that must never join it (few: reviewers' decisions)
        self.forbidden: dict[int, set[int]] = defaultdict(set)
        for a, b in cannot_link:
            if a in self.parent and b in self.parent:
                self.forbidden[a].add(b)
                self.forbidden[b].add(a)

    def find(self, item):
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression keeps later finds flat
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a, b) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if any(self.find(x) == rb for x in self.forbidden.get(ra, ())) or any(
            self.find(x) == ra for x in self.forbidden.get(rb, ())
        ):
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        if gone in self.forbidden:
            self.forbidden[keep] |= self.forbidden.pop(gone)
        return True


def cluster(
    record_ids: list[int],
    pairs: pa.Table,
    threshold: float,
    must_link: list[tuple[int, int]] = (),
    cannot_link: list[tuple[int, int]] = (),
) -> dict[int, int]:
    """record_id -> cluster root, as cluster_roots finds them: for callers that look records up."""
    return dict(zip(record_ids, cluster_roots(record_ids, pairs, threshold, must_link, cannot_link).tolist()))


def cluster_roots(
    record_ids,
    pairs: pa.Table,
    threshold: float,
    must_link: list[tuple[int, int]] = (),
    cannot_link: list[tuple[int, int]] = (),
) -> np.ndarray:
    """The cluster root (its smallest record id) of each of record_ids (distinct), in their order.

    People's decisions come first (must-link, then the model's pairs from the strongest down),
    and a cannot-link is never crossed, even when other edges would connect the two records.
    Pairs and decisions naming a record not among record_ids are left out.

    In int arrays, not dicts of every record: records become positions 0..n-1 and the
    connected components of must-links and strong pairs are found vectorised. Only a component
    holding both records of a cannot-link (few: reviewers' decisions) is clustered again in
    order, by ConstrainedForest; there the order decides which edges are refused."""
    ids = np.asarray(record_ids, dtype=np.int64)
    known = np.sort(ids)
    strong = pairs.filter(pc.greater_equal(pairs.column("match_probability"), threshold))
    must = np.asarray(must_link, dtype=np.int64).reshape(-1, 2)
    left, right = (
        _positions(known, np.concatenate([must[:, i], _ints(strong.column(end))])) for i, end in enumerate(_ENDS)
    )
    inside = (left >= 0) & (right >= 0)
    roots = _components(len(known), left[inside], right[inside])
    cannot = np.asarray(cannot_link, dtype=np.int64).reshape(-1, 2)
    a, b = _positions(known, cannot[:, 0]), _positions(known, cannot[:, 1])
    crossed = (a >= 0) & (b >= 0)
    crossed[crossed] &= roots[a[crossed]] == roots[b[crossed]]
    if crossed.any():
        roots = _reclustered(known, roots, np.unique(roots[a[crossed]]), must_link, strong, cannot_link)
    return known[roots[_positions(known, ids)]]


_ENDS = ("record_id_l", "record_id_r")


def _ints(column) -> np.ndarray:
    return column.to_numpy().astype(np.int64, copy=False) if len(column) else np.empty(0, np.int64)


def _positions(known: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's position among the sorted known ids; -1 for a value not among them."""
    if not len(known):
        return np.full(len(values), -1, dtype=np.int64)
    low, span = int(known[0]), int(known[-1] - known[0]) + 1
    if span <= 4 * len(known):  # record ids are numbered, nearly without gaps: a lookup table is 10x a search
        table = np.full(span, -1, dtype=np.int64)
        table[known - low] = np.arange(len(known))
        offset = values - low
        inside = (offset >= 0) & (offset < span)
        return np.where(inside, table[np.where(inside, offset, 0)], -1)
    at = np.minimum(np.searchsorted(known, values), len(known) - 1)
    return np.where(known[at] == values, at, -1)


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Each position's smallest connected position (union-find by pointer jumping over arrays):
    each round hooks every root an edge still crosses to the smaller root across it, then points
    every position straight at its root; an edge inside one tree is never looked at again."""
    parent = np.arange(n, dtype=np.int64)
    while True:
        ru, rv = parent[left], parent[right]
        apart = ru != rv
        if not apart.any():
            return parent
        left, right, ru, rv = left[apart], right[apart], ru[apart], rv[apart]
        np.minimum.at(parent, np.maximum(ru, rv), np.minimum(ru, rv))
        while not np.array_equal(grand := parent[parent], parent):
            parent = grand


def _reclustered(known, roots, tangled, must_link, strong: pa.Table, cannot_link) -> np.ndarray:
    """roots with the tangled components (those holding a cannot-link) clustered again in order."""
    members = np.flatnonzero(np.isin(roots, tangled))
    records = set(known[members].tolist())
    forest = ConstrainedForest(records, cannot_link)
    for a, b in must_link:
        if a in records and b in records:
            forest.union(a, b)
    strong = strong.filter(pc.is_in(strong.column("record_id_l"), pa.array(sorted(records), pa.int64())))
    order = pc.sort_indices(
        strong,
        sort_keys=[("match_probability", "descending"), ("record_id_l", "ascending"), ("record_id_r", "ascending")],
    )
    strong = strong.take(order)
    for a, b in zip(strong.column("record_id_l").to_pylist(), strong.column("record_id_r").to_pylist()):
        if b in records:
            forest.union(a, b)
    roots = roots.copy()
    roots[members] = np.searchsorted(known, [forest.find(r) for r in known[members].tolist()])
    return roots


def format_id(number: int) -> str:
    return f"{ID_PREFIX}{number:0{ID_DIGITS}d}"


def parse_id_number(customer_id: str) -> int:
    return int(customer_id[len(ID_PREFIX) :])


@dataclass
class Assignment:
    customer_of_record: dict[int, str]  # record_id -> customer_id
    history: list[dict]  # identity events of this run

    def table(self) -> pa.Table:
        """record_id, customer_id as a table."""
        return pa.table(
            {
                "record_id": pa.array(list(self.customer_of_record), pa.int64()),
                "customer_id": pa.array(list(self.customer_of_record.values()), pa.string()),
            }
        )


def assign_ids(clusters: dict[int, int], previous: dict[int, str], next_number: int) -> Assignment:
    """Stable customer IDs for this run's clusters.

    clusters: record_id -> cluster root; previous: record_id -> customer_id from the registry
    (records seen before); next_number: the next unused ID number.
    """
    members: dict[int, list[int]] = defaultdict(list)
    for record, root in clusters.items():
        members[root].append(record)
    previous_counts = {root: Counter(previous[r] for r in recs if r in previous) for root, recs in members.items()}
    # the biggest clusters choose first, so a split keeps the ID on the larger part
    order = sorted(members, key=lambda root: (-sum(previous_counts[root].values()), -len(members[root]), root))
    records_of_old: dict[str, list[int]] = defaultdict(list)
    for record, old_id in previous.items():
        records_of_old[old_id].append(record)
    claimed: dict[str, int] = {}
    id_of_cluster: dict[int, str] = {}
    history: list[dict] = []
    for root in order:
        for candidate, _ in sorted(previous_counts[root].items(), key=lambda kv: (-kv[1], kv[0])):
            if candidate not in claimed:
                claimed[candidate] = root
                id_of_cluster[root] = candidate
                if len(members[root]) != len(records_of_old[candidate]):  # unchanged customers log nothing
                    history.append(_event(candidate, "kept", None, len(members[root])))
                break
        else:
            id_of_cluster[root] = format_id(next_number)
            next_number += 1
            parents = previous_counts[root]
            source = max(parents, key=lambda c: (parents[c], c)) if parents else None
            event = "split" if source else "minted"
            history.append(_event(id_of_cluster[root], event, source, len(members[root])))
    # IDs that lost all their records to another customer were merged into it
    for old_id in sorted(set(records_of_old) - set(claimed)):
        holders = Counter(id_of_cluster[clusters[r]] for r in records_of_old[old_id] if r in clusters)
        if holders:
            history.append(_event(old_id, "merged", holders.most_common(1)[0][0], 0))
        else:
            history.append(_event(old_id, "retired", None, 0))
    record_ids = {record: id_of_cluster[root] for record, root in clusters.items()}
    return Assignment(customer_of_record=record_ids, history=history)


def retired(history: list[dict], live_before: set[str], live_now: set[str]) -> list[dict]:
    """'retired' events for the customers live in the last publish that this run no longer has
    and did not merge into another (their records are gone: an export removed or cut short).

    assign_ids sees only the records of this run, so a customer none of whose records came back
    is invisible to it; the run's history is then missing the customer's end."""
    logged = {h["customer_id"] for h in history if h["event"] in ("merged", "retired")}
    return [_event(customer_id, "retired", None, 0) for customer_id in sorted(live_before - live_now - logged)]


def _event(customer_id: str, event: str, related: str | None, count: int) -> dict:
    return {"customer_id": customer_id, "event": event, "related_customer_id": related, "record_count": count}


def resolve_identities(
    canonical: pa.Table,
    pairs: pa.Table,
    registry: dict[tuple[str, str, int], str],
    decisions: list[dict],
    highest_id: str | None,
    threshold: float,
    filed: dict[tuple[str, str], str] | None = None,
) -> Assignment:
    """This run's customers: cluster with people's decisions, then keep the registry's IDs.
    filed: (source_system, source_record_key) -> customer_id of records filed on arrival; a record
    the registry does not know yet keeps its filing's ID like a registry record, unless its cluster
    goes to another ID (then an arrival_reassigned event says where it went)."""
    index = lineage_index(canonical)
    must, cannot = decision_links(decisions, index)
    clusters = cluster(list(index.values()), pairs, threshold, must_link=must, cannot_link=cannot)
    previous = {rid: registry[key] for key, rid in index.items() if key in registry}
    arrived = arrived_records(canonical, filed or {}, set(previous))
    assignment = assign_ids(clusters, previous | arrived, parse_id_number(highest_id) + 1 if highest_id else 1)
    assignment.history += reassigned_arrivals(assignment, arrived)
    return assignment


def arrived_records(canonical: pa.Table, filed: dict[tuple[str, str], str], known: set[int]) -> dict[int, str]:
    """record_id -> the filed customer_id of the records filed on arrival (by source_system and
    source_record_key) that are not among `known` (records the registry already places)."""
    if not filed:
        return {}
    columns = canonical.select(["record_id", "source_system", "source_record_key"]).to_pydict()
    return {
        rid: filed[(system, key)]
        for rid, system, key in zip(columns["record_id"], columns["source_system"], columns["source_record_key"])
        if key is not None and rid not in known and (system, key) in filed
    }


def reassigned_arrivals(assignment: Assignment, arrived: dict[int, str]) -> list[dict]:
    """An arrival_reassigned event per filed customer and the customer this run put some of its
    filed records under instead (record_count: how many)."""
    moved = Counter(
        (customer_id, assignment.customer_of_record[rid])
        for rid, customer_id in arrived.items()
        if assignment.customer_of_record.get(rid, customer_id) != customer_id
    )
    return [_event(filed, "arrival_reassigned", now, count) for (filed, now), count in sorted(moved.items())]


def event_keys(history: pa.Table) -> pa.Table:
    """What names one event of a run: its customer (one event each), and for arrival_reassigned
    also the customer the filed records went to (it comes beside the customer's own event)."""
    reassigned = pc.equal(history.column("event"), "arrival_reassigned")
    to = pc.if_else(reassigned, history.column("related_customer_id"), pa.scalar("", pa.string()))
    return pa.table({"customer_id": history.column("customer_id"), "reassigned_to": pc.fill_null(to, "")})


def minted_ids(assignment: Assignment) -> set[str]:
    """The IDs this run minted (new customers and the new parts of splits)."""
    return {h["customer_id"] for h in assignment.history if h["event"] in ("minted", "split")}


def renumbered(assignment: Assignment, minted: set[str], offset: int) -> Assignment:
    """The assignment with its minted IDs moved up by offset (the numbers were taken meanwhile)."""
    if not offset:
        return assignment
    moved = {i: format_id(parse_id_number(i) + offset) for i in minted}
    return Assignment(
        customer_of_record={r: moved.get(c, c) for r, c in assignment.customer_of_record.items()},
        history=[
            {
                **h,
                "customer_id": moved.get(h["customer_id"], h["customer_id"]),
                "related_customer_id": moved.get(h["related_customer_id"], h["related_customer_id"]),
            }
            for h in assignment.history
        ],
    )
