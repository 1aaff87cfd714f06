"""Resolve on arrival in the search: a resolver over the published run, built lazily and swapped
when a new run publishes, and the line protocol of `unify resolve`.

The published records are the crosswalk of the store's snapshot, in the canonical shape (the same
standardised fields the run linked; see linkage.arrival for what the crosswalk does not carry).
The model is the one that scored the run (pipeline_runs.model_version), the thresholds the run's.
When the store swaps in a new snapshot, the next request starts building the new resolver in a
background thread and keeps answering from the previous one until it is ready: no request waits
for a build, except the very first, and none fails during one.

Logs carry run ids, counts and timings, never a field of a record.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import TextIO

from config.settings import DEFAULTS
from linkage.arrival import RecordError, Resolver, ScoringMismatch, Thresholds
from search.explain import crosswalk_as_canonical
from search.retry import WarehouseUnavailable
from search.snapshot import Snapshot, read_resolve_basis, read_snapshot

logger = logging.getLogger("unify.search")

RETRY_SECONDS = 5.0  # after a failed background build, the next attempt waits this long


class BadJSON(RecordError):
    """A body or line that is not one JSON object."""


class NotReady(RuntimeError):
    """No resolver can answer yet: nothing is published, or the first build failed."""


def build_resolver(snapshot: Snapshot, basis: dict) -> Resolver:
    """A resolver over the snapshot's crosswalk with the run's model and thresholds (NotReady when
    the model's scoring here would differ from Splink's)."""
    started = time.perf_counter()
    crosswalk = snapshot.records.table
    canonical = crosswalk_as_canonical(crosswalk)
    thresholds = Thresholds(
        # a run published before runs recorded their thresholds resolved with the defaults
        basis["match_threshold"] if basis["match_threshold"] is not None else DEFAULTS.match_threshold,
        basis["review_floor"] if basis["review_floor"] is not None else DEFAULTS.review_floor,
    )
    try:
        resolver = Resolver.build(
            canonical,
            crosswalk.column("customer_id"),
            basis["splink"],
            basis["fields"],
            thresholds,
            run_id=basis["run_id"],
            model_version=basis["model_version"],
        )
    except ScoringMismatch as exc:  # never answer with a scoring that is not Splink's
        logger.error("no resolver for run %s: %s", basis["run_id"], exc)
        raise NotReady(str(exc)) from exc
    logger.info(
        "resolver for run %s: %d records, model %s, thresholds %.4f/%.4f, built in %.1fs",
        resolver.run_id,
        resolver.record_count,
        resolver.model_version,
        thresholds.match_threshold,
        thresholds.review_floor,
        time.perf_counter() - started,
    )
    return resolver


class ResolveService:
    """The resolver of the store's current snapshot: built on first use, rebuilt in the background
    after each publish and swapped in when ready."""

    def __init__(self, store):
        self.store = store
        self._resolver: Resolver | None = None
        self._lock = threading.Lock()  # one build at a time
        self._building: threading.Thread | None = None
        self._failed_at = 0.0

    def resolve(self, record: dict) -> dict:
        """The answer for one record: RecordError for a bad record, NotReady when nothing can answer."""
        return self.current().resolve(record)

    def current(self) -> Resolver:
        resolver, run_id = self._resolver, self.store.snapshot.run_id
        if run_id is None and resolver is None:
            raise NotReady("nothing is published in this warehouse yet: run `unify run` first")
        if resolver is not None:
            if resolver.run_id != run_id:
                self._rebuild_in_background()
            return resolver
        with self._lock:  # the very first build: every request waits for it
            if self._resolver is None:
                self._resolver = self._build()
            return self._resolver

    def wait_until_current(self, timeout: float = 60.0) -> Resolver:
        """The resolver of the store's snapshot, waiting for a build in progress (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while True:
            resolver = self.current()
            if resolver.run_id == self.store.snapshot.run_id or time.monotonic() > deadline:
                return resolver
            time.sleep(0.05)

    def _build(self) -> Resolver:
        snapshot = self.store.snapshot
        try:
            with self.store.io_lock:
                basis = read_resolve_basis(self.store.url)
        except WarehouseUnavailable as exc:
            raise NotReady(f"the warehouse cannot be read now: {exc}") from exc
        if basis is None:
            raise NotReady("nothing is published in this warehouse yet: run `unify run` first")
        if basis["run_id"] != snapshot.run_id:  # a run published between the two reads: the next refresh has it
            raise NotReady(f"run {basis['run_id']} is published but not loaded yet; try again in a moment")
        return build_resolver(snapshot, basis)

    def _rebuild_in_background(self) -> None:
        with self._lock:
            if self._building is not None and self._building.is_alive():
                return
            if time.monotonic() - self._failed_at < RETRY_SECONDS:
                return
            self._building = threading.Thread(target=self._rebuild, name="unify-resolve-build", daemon=True)
            self._building.start()

    def _rebuild(self) -> None:
        try:
            resolver = self._build()
        except NotReady as exc:
            logger.info("resolver not rebuilt yet: %s", exc)
            self._failed_at = time.monotonic()
            return
        except Exception:  # keep answering from the previous run; try again later
            logger.exception("building the resolver failed; the previous run keeps answering")
            self._failed_at = time.monotonic()
            return
        self._resolver = resolver  # one assignment: a request sees the old resolver or the new one


# ---------------------------------------------------------------- unify resolve


def resolver_for(url: str) -> Resolver:
    """A resolver over what is published in this warehouse now (NotReady when nothing is)."""
    snapshot = read_snapshot(url)
    basis = read_resolve_basis(url)
    if basis is None or snapshot.run_id is None:
        raise NotReady("nothing is published in this warehouse yet: run `unify run` first")
    if basis["run_id"] != snapshot.run_id:
        raise NotReady("a run published while the warehouse was read: try again")
    return build_resolver(snapshot, basis)


def resolve_lines(resolver: Resolver, lines: Iterable[str], out: TextIO) -> tuple[int, int]:
    """One JSON answer per JSON record line; a bad line gets {"error": reason}. (answered, errors)."""
    answered = errors = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            answer = resolver.resolve(parse_record(line))
            answered += 1
        except RecordError as exc:
            answer = {"error": str(exc), "line": number}
            errors += 1
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()
    return answered, errors


def parse_record(text: str | bytes) -> dict:
    """One record from JSON text (`commit` taken off); BadJSON or RecordError naming what is wrong,
    never the text itself."""
    try:
        record = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadJSON(f"not valid JSON (at character {getattr(exc, 'pos', 0)})") from None
    except RecursionError:
        raise BadJSON("not valid JSON (nested too deeply)") from None
    if not isinstance(record, dict):
        raise BadJSON("the record must be one JSON object")
    if record.pop("commit", False) is not False:
        raise RecordError("commit: true is not built yet; send false or leave it out")
    return record
