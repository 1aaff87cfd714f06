"""Batch resolution: this run's records and scored pairs -> the crosswalk, the review queue, the
identity events and, for an incremental run, the customers it changed.

Pure: every input is a value (the registry may be a lookup, see `Registry`), so it is tested
without Dagster or a warehouse; assets/customers.py reads the warehouse state, calls `resolve` and
writes what it returns. A full run resolves every record. An incremental run starts from the last
published crosswalk and review queue (`PublishedBase`) and resolves again only the customers that
linkage.delta.affected finds touched; every other customer is kept as published, which gives the
same customers as resolving everything (linkage/delta.py says why).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from common import sets
from linkage import delta, identity, survivorship
from linkage import review as linkage_review
from linkage.labels import Thresholds
from sources.schema import LineageKey

# The registry: lineage key -> the customer_id an earlier run gave the record. A mapping, or a
# lookup of the records of a table (lineage columns): an incremental run then reads only the
# entries of the records it resolves again (reading a million-record registry whole costs seconds).
Registry = Mapping[LineageKey, str] | Callable[[pa.Table], Mapping[LineageKey, str]]
# what a run does with the IDs it minted before it keeps them (the warehouse takes their numbers,
# moving them up past any an arrival took meanwhile); pure callers keep them as they are
ClaimIds = Callable[[identity.Assignment], identity.Assignment]


@dataclass(frozen=True)
class PublishedBase:
    """What an incremental run starts from: the crosswalk and review queue as last published."""

    crosswalk: pa.Table
    review_queue: pa.Table


@dataclass(frozen=True)
class Resolution:
    crosswalk: pa.Table  # every record with its customer, lineage and match facts
    review_queue: pa.Table
    history: pa.Table  # this run's identity events (identity.HISTORY_SCHEMA), the retired included
    changed: pa.Array | None  # the customer IDs an incremental run replaces; None after a full run: all


def basis(model_version: str | None, thresholds: Thresholds, survivorship_digest: str, layout: str) -> dict:
    """What customers are resolved with: a run may keep earlier customers only when this is unchanged
    (`layout` names the shape of the tables it keeps: rows of an older shape are not mixed with new ones)."""
    return {
        "model_version": model_version,
        "match_threshold": thresholds.match_threshold,
        "review_floor": thresholds.review_floor,
        "survivorship": survivorship_digest,
        "layout": layout,
    }


def resolve(
    canonical: pa.Table,
    pairs: pa.Table,
    decisions: list[dict],
    registry: Registry,
    highest_id: str | None,
    thresholds: Thresholds,
    today: date,
    base: PublishedBase | None = None,
    published_customers: Collection[str] = (),
    filed: Mapping[tuple[str, str], str] | None = None,
    claim: ClaimIds | None = None,
    components: identity.Components | None = None,
) -> Resolution:
    """The run's customers, from its records (canonical) and scored pairs.

    decisions: reviewers' decisions (must-link, cannot-link); highest_id: the highest customer ID
    ever handed out (None for a new warehouse); today: the run's date (records dated later are
    flagged); base: None for a full run; published_customers: the customer IDs live in the last
    publish (one none of whose records came back is retired); filed: (source_system,
    source_record_key) -> customer_id of records filed on arrival, kept like the registry's;
    components: where the clusters' connected components are found (numpy arrays by default)."""

    def assign(records: pa.Table, record_pairs: pa.Table) -> identity.Assignment:
        """Stable IDs for these records: clustered with the decisions, the registry's IDs kept."""
        known = registry(records) if callable(registry) else registry
        assignment = identity.resolve_identities(
            records,
            record_pairs,
            known,
            decisions,
            highest_id,
            thresholds.match_threshold,
            filed=filed,
            components=components,
        )
        return claim(assignment) if claim else assignment

    if base is None:
        crosswalk, queue, assignment, changed = _resolve_all(canonical, pairs, decisions, thresholds, today, assign)
    else:
        crosswalk, queue, assignment, changed = _resolve_affected(
            canonical, pairs, decisions, thresholds, today, assign, base
        )
    live_now = set(pc.unique(crosswalk.column("customer_id")).to_pylist())
    events = assignment.history + identity.retired(assignment.history, set(published_customers), live_now)
    return Resolution(crosswalk, queue, pa.Table.from_pylist(events, schema=identity.HISTORY_SCHEMA), changed)


Assign = Callable[[pa.Table, pa.Table], identity.Assignment]  # (records, their pairs) -> their customers


def _resolve_all(
    canonical: pa.Table, pairs: pa.Table, decisions: list[dict], thresholds: Thresholds, today: date, assign: Assign
):
    """(crosswalk, review queue, assignment, None) of every record."""
    assignment = assign(canonical, pairs)
    crosswalk = survivorship.build_crosswalk(canonical, assignment.table(), pairs, today)
    queue = linkage_review.review_queue(
        canonical, assignment.table(), pairs, decisions, thresholds.review_floor, thresholds.match_threshold
    )
    return crosswalk, queue, assignment, None


def _resolve_affected(
    canonical: pa.Table,
    pairs: pa.Table,
    decisions: list[dict],
    thresholds: Thresholds,
    today: date,
    assign: Assign,
    base: PublishedBase,
):
    """(crosswalk, review queue, assignment, changed customer IDs): the affected customers
    resolved again, the rest kept from the last published run (with their quality flags)."""
    scope = delta.affected(
        canonical, base.crosswalk, pairs, thresholds.match_threshold, linkage_review.decided_records(decisions)
    )
    records = sets.within(canonical, "record_id", scope.records)
    scope_pairs = sets.pairs_within(pairs, scope.records)
    assignment = assign(records, scope_pairs)
    resolved = assignment.table()
    kept = sets.outside(base.crosswalk, "customer_id", scope.customers)
    fresh = survivorship.build_crosswalk(records, resolved, scope_pairs, today)
    crosswalk = pa.concat_tables([kept, fresh.cast(kept.schema)])
    # queue pairs touching the scope: their other record may be a kept customer's
    everyone = pa.concat_tables([kept.select(["record_id", "customer_id"]), resolved])
    queue = linkage_review.ranked(  # ranked again as one queue, as a full run ranks it
        [
            sets.outside(
                sets.outside(base.review_queue, "left_customer_id", scope.customers),
                "right_customer_id",
                scope.customers,
            ),
            linkage_review.review_queue(
                canonical,
                everyone,
                sets.pairs_touching(pairs, scope.records),
                decisions,
                thresholds.review_floor,
                thresholds.match_threshold,
            ),
        ],
        thresholds.match_threshold,
    )
    changed = pc.unique(pa.concat_arrays([scope.customers, pc.unique(resolved.column("customer_id"))]))
    return crosswalk, queue, assignment, changed
