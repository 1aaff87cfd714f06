"""Who is who: clusters of records from scored pairs, and stable customer IDs for them.

Splink's cluster ids are the minimum record id of each component, which changes whenever records
are added; a customer_id is ours: minted once, kept by the cluster that holds most of its
records, recorded as merged when its records join another customer, split when they part.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import pyarrow as pa

ID_PREFIX = "C"
ID_DIGITS = 8

HISTORY_SCHEMA = pa.schema(
    [("customer_id", pa.string()), ("event", pa.string()), ("related_customer_id", pa.string()), ("record_count", pa.int64())]
)


class UnionFind:
    def __init__(self, items):
        self.parent = {i: i for i in items}

    def find(self, item):
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression keeps later finds flat
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def cluster(record_ids: list[int], pairs: pa.Table, threshold: float) -> dict[int, int]:
    """record_id -> cluster root (its smallest record id), joining pairs at or above threshold."""
    forest = UnionFind(record_ids)
    left = pairs.column("record_id_l").to_pylist()
    right = pairs.column("record_id_r").to_pylist()
    prob = pairs.column("match_probability").to_pylist()
    for a, b, p in zip(left, right, prob):
        if p >= threshold:
            forest.union(a, b)
    return {r: forest.find(r) for r in record_ids}


def format_id(number: int) -> str:
    return f"{ID_PREFIX}{number:0{ID_DIGITS}d}"


def parse_id_number(customer_id: str) -> int:
    return int(customer_id[len(ID_PREFIX):])


@dataclass
class Assignment:
    customer_of_record: dict[int, str]  # record_id -> customer_id
    history: list[dict]  # identity events of this run


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


def _event(customer_id: str, event: str, related: str | None, count: int) -> dict:
    return {"customer_id": customer_id, "event": event, "related_customer_id": related, "record_count": count}
