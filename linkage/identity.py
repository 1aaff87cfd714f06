"""Who is who: clusters of records from scored pairs, and stable customer IDs for them.

Splink's cluster ids are the minimum record id of each component, which changes whenever records
are added; a customer_id is ours: minted once, kept by the cluster that holds most of its
records, recorded as merged when its records join another customer, split when they part.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

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
    """record_id -> cluster root (its smallest record id).

    People's decisions come first (must-link, then the model's pairs from the strongest down),
    and a cannot-link is never crossed, even when other edges would connect the two records."""
    forest = ConstrainedForest(record_ids, cannot_link)
    for a, b in must_link:
        if a in forest.parent and b in forest.parent:
            forest.union(a, b)
    strong = pairs.filter(pc.greater_equal(pairs.column("match_probability"), threshold))
    order = pc.sort_indices(
        strong,
        sort_keys=[("match_probability", "descending"), ("record_id_l", "ascending"), ("record_id_r", "ascending")],
    )
    strong = strong.take(order)
    for a, b in zip(strong.column("record_id_l").to_pylist(), strong.column("record_id_r").to_pylist()):
        forest.union(a, b)
    return {r: forest.find(r) for r in record_ids}


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
