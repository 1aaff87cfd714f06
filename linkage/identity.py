"""Who is who: clusters of records from scored pairs, and stable customer IDs for them.

Splink's cluster ids are the minimum record id of each component, which changes whenever records
are added; a customer_id is ours: minted once, kept by the cluster that holds most of its
records, recorded as merged when its records join another customer, split when they part.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from linkage.review import decision_links
from sources.schema import LINEAGE_COLUMNS

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


# (n, left, right) -> each position's smallest connected position, positions 0..n-1 joined by the
# edges left[i]-right[i]: in numpy arrays (array_components) or on Spark (engines.spark.components)
Components = Callable[[int, np.ndarray, np.ndarray], np.ndarray]


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
    components: Components | None = None,
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
    roots = (components or array_components)(len(known), left[inside], right[inside])
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


def array_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
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
    """Each record's customer (record_ids[i] is customer_ids[i]'s) and this run's identity events."""

    record_ids: pa.Array  # int64
    customer_ids: pa.Array  # string
    history: list[dict]

    @classmethod
    def of(cls, customer_of_record: Mapping[int, str], history: list[dict]) -> Assignment:
        ids = pa.array(list(customer_of_record.values()), pa.string())
        return cls(pa.array(list(customer_of_record), pa.int64()), ids, history)

    @property
    def customer_of_record(self) -> dict[int, str]:
        """record_id -> customer_id, a dict of every record: for small assignments."""
        return dict(zip(self.record_ids.to_pylist(), self.customer_ids.to_pylist()))

    def customers_of(self, records: list[int]) -> list[str | None]:
        """The customer_id of each of records (None for one not assigned here)."""
        return self.customer_ids.take(pc.index_in(pa.array(records, pa.int64()), value_set=self.record_ids)).to_pylist()

    def table(self) -> pa.Table:
        """record_id, customer_id as a table."""
        return pa.table({"record_id": self.record_ids, "customer_id": self.customer_ids})


def assign_ids(record_ids, roots, previous: Mapping[int, str], next_number: int) -> Assignment:
    """Stable customer IDs for this run's clusters (roots[i]: the cluster of record_ids[i]).

    previous: record_id -> customer_id from the registry (records seen before, in its order);
    next_number: the next unused ID number. In arrays over the clusters, not dicts and lists of
    every record (at ten million records those held gigabytes): only the choice of which earlier
    ID each cluster keeps walks the (cluster, earlier ID) pairs one by one, in order."""
    records = np.asarray(record_ids, dtype=np.int64)
    clusters, of_cluster, sizes = np.unique(np.asarray(roots, dtype=np.int64), return_inverse=True, return_counts=True)
    earlier = _earlier_ids(records, of_cluster, previous)
    carried = np.bincount(earlier.cluster, weights=earlier.count, minlength=len(clusters))
    # the biggest clusters choose first, so a split keeps the ID on the larger part
    rank = np.empty(len(clusters), np.int64)
    rank[np.lexsort((clusters, -sizes, -carried))] = np.arange(len(clusters))
    number = _kept_numbers(earlier, rank, len(clusters))
    keeps = number >= 0
    new = np.flatnonzero(~keeps)
    number[new[np.argsort(rank[new])]] = next_number + np.arange(len(new))
    history = _identity_events(earlier, number, keeps, rank, sizes)
    formatted = pa.array([format_id(n) for n in number.tolist()], pa.string())
    return Assignment(pa.array(records), formatted.take(pa.array(of_cluster)), history)


@dataclass
class _EarlierIds:
    """The earlier IDs found in this run's clusters: one row per (cluster, earlier ID number)."""

    cluster: np.ndarray
    number: np.ndarray
    count: np.ndarray  # how many of the cluster's records had it
    first: np.ndarray  # where the first of them comes in `previous`
    sizes: dict[int, int]  # earlier ID number -> how many records it had (this run's or not)


def _earlier_ids(records: np.ndarray, of_cluster: np.ndarray, previous: Mapping[int, str]) -> _EarlierIds:
    held = np.fromiter(previous, np.int64, len(previous))
    numbers = np.fromiter((parse_id_number(c) for c in previous.values()), np.int64, len(previous))
    by_record = np.argsort(records, kind="stable")
    at = _positions(records[by_record], held)
    present = np.flatnonzero(at >= 0)
    cluster, number = of_cluster[by_record[at[present]]], numbers[present]
    order = np.lexsort((present, number, cluster))
    cluster, number, first = cluster[order], number[order], present[order]
    starts = _run_starts(cluster, number)
    count = np.diff(np.r_[starts, len(order)])
    counted, counts = np.unique(numbers, return_counts=True)
    return _EarlierIds(
        cluster[starts], number[starts], count, first[starts], dict(zip(counted.tolist(), counts.tolist()))
    )


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Where each run of equal keys begins in arrays sorted by them."""
    changed = np.zeros(len(keys[0]), dtype=bool)
    changed[:1] = True
    for key in keys:
        changed[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(changed)


def _kept_numbers(earlier: _EarlierIds, rank: np.ndarray, n_clusters: int) -> np.ndarray:
    """Each cluster's kept ID number, -1 where it keeps none: in rank order, each cluster takes the
    earlier ID most of its records had (the smaller ID on a tie) that no cluster before it took.
    IDs are compared by number: formatted to one width, numbers order as their text."""
    number = np.full(n_clusters, -1, np.int64)
    order = np.lexsort((earlier.number, -earlier.count, rank[earlier.cluster]))
    taken: set[int] = set()
    for cluster, candidate in zip(earlier.cluster[order].tolist(), earlier.number[order].tolist()):
        if number[cluster] < 0 and candidate not in taken:
            taken.add(candidate)
            number[cluster] = candidate
    return number


def _identity_events(earlier: _EarlierIds, number: np.ndarray, keeps: np.ndarray, rank: np.ndarray, sizes: np.ndarray):
    """kept (when its records changed), minted and split events in rank order, then merged and
    retired ones for the earlier IDs no cluster kept."""
    # a split's source: the earlier ID most of its records had (the larger on a tie)
    by_source = np.lexsort((-earlier.number, -earlier.count, earlier.cluster))
    first = _run_starts(earlier.cluster[by_source])
    source = dict(zip(earlier.cluster[by_source][first].tolist(), earlier.number[by_source][first].tolist()))
    history = []
    for cluster in np.argsort(rank).tolist():
        customer_id, size = format_id(int(number[cluster])), int(sizes[cluster])
        if keeps[cluster]:
            if size != earlier.sizes[int(number[cluster])]:  # unchanged customers log nothing
                history.append(_event(customer_id, "kept", None, size))
        elif cluster in source:
            history.append(_event(customer_id, "split", format_id(source[cluster]), size))
        else:
            history.append(_event(customer_id, "minted", None, size))
    # IDs that lost all their records to another customer were merged into it: the customer most
    # of them went to (the first of them in the registry's order on a tie)
    holder = np.lexsort((earlier.first, -earlier.count, earlier.number))
    firsts = _run_starts(earlier.number[holder])
    went_to = dict(zip(earlier.number[holder][firsts].tolist(), earlier.cluster[holder][firsts].tolist()))
    for old in sorted(set(earlier.sizes) - set(number[keeps].tolist())):
        if old in went_to:
            history.append(_event(format_id(old), "merged", format_id(int(number[went_to[old]])), 0))
        else:
            history.append(_event(format_id(old), "retired", None, 0))
    return history


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
    components: Components | None = None,
) -> Assignment:
    """This run's customers: cluster with people's decisions, then keep the registry's IDs.
    filed: (source_system, source_record_key) -> customer_id of records filed on arrival; a record
    the registry does not know yet keeps its filing's ID like a registry record, unless its cluster
    goes to another ID (then an arrival_reassigned event says where it went)."""
    records = _ints(canonical.column("record_id"))
    must, cannot = decision_links(decisions, canonical)
    roots = cluster_roots(records, pairs, threshold, must_link=must, cannot_link=cannot, components=components)
    previous = registered_records(canonical, registry)
    arrived = arrived_records(canonical, filed or {}, set(previous))
    assignment = assign_ids(records, roots, previous | arrived, parse_id_number(highest_id) + 1 if highest_id else 1)
    assignment.history += reassigned_arrivals(assignment, arrived)
    return assignment


def registered_records(canonical: pa.Table, registry: Mapping[tuple[str, str, int], str]) -> dict[int, str]:
    """record_id -> customer_id of the records the registry knows (by lineage key), batch by batch."""
    known = {}
    if not registry:
        return known
    for batch in canonical.select([*LINEAGE_COLUMNS, "record_id"]).to_batches(max_chunksize=100_000):
        for *key, rid in zip(*(column.to_pylist() for column in batch.columns)):
            if (customer_id := registry.get(tuple(key))) is not None:
                known[rid] = customer_id
    return known


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
    placed = assignment.customers_of(list(arrived))
    moved = Counter((filed, now) for filed, now in zip(arrived.values(), placed) if now not in (None, filed))
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
    ids = assignment.customer_ids
    at = pc.index_in(ids, value_set=pa.array(list(moved), pa.string()))
    return Assignment(
        record_ids=assignment.record_ids,
        customer_ids=pc.if_else(pc.is_valid(at), pa.array(list(moved.values()), pa.string()).take(at), ids),
        history=[
            {
                **h,
                "customer_id": moved.get(h["customer_id"], h["customer_id"]),
                "related_customer_id": moved.get(h["related_customer_id"], h["related_customer_id"]),
            }
            for h in assignment.history
        ],
    )
