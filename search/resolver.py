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
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import TextIO

from config.settings import DEFAULTS
from linkage.arrival import RecordError, Resolver, ScoringMismatch, Thresholds, filing_key
from search.explain import crosswalk_as_canonical
from search.retry import WarehouseUnavailable, retry_when_busy
from search.snapshot import Snapshot, read_resolve_basis, read_snapshot
from warehouse.arrivals import EXISTING, Filing, file_arrival, read_filings
from warehouse.engine import make_engine

logger = logging.getLogger("unify.search")

RETRY_SECONDS = 5.0  # after a failed background build, the next attempt waits this long
MAX_BATCH = 64  # requests scored in one batch at most
BATCH_WINDOW = 0.002  # seconds a batch waits for the requests that usually come with it


class BadJSON(RecordError):
    """A body or line that is not one JSON object."""


class NotReady(RuntimeError):
    """No resolver can answer yet: nothing is published, or the first build failed."""


class NoSourceKey(RecordError):
    """commit: true without source_system and source_record_key (the record could never be told apart)."""


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
    keys = crosswalk.select(["source_system", "source_record_key"]).to_pydict()
    resolver.known_keys |= {k for k in zip(keys["source_system"], keys["source_record_key"]) if k[1] is not None}
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
        self._erasures = 0  # of the snapshot the resolver was built on
        self._filing = threading.Lock()  # a filing and a resolver swap, one at a time
        self._batcher = Batcher(lambda records: self.current().resolve_many(records))

    def resolve(self, record: dict) -> dict:
        """The answer for one record: RecordError for a bad record, NotReady when nothing can answer."""
        return self.submit(record).result()

    def submit(self, record: dict) -> Future:
        """The answer for one record, to come: scored with the requests that arrive meanwhile."""
        return self._batcher.submit(record)

    def commit(self, record: dict, committed_by: str) -> dict:
        """Resolve the record and file it: to the matched customer, else under a new ID (review
        too: see docs/resolve.md); the answer with the filed customer_id, committed and filed.
        The same key filed again keeps its first filing. The resolver holds the record at once."""
        key = filing_key(record)
        if key is None:
            raise NoSourceKey("commit: true needs source_system and source_record_key (the record's key in its system)")
        answer = self.resolve(record)
        best = answer["candidates"][0]["customer_id"] if answer["candidates"] else None
        filing = Filing(
            source_system=key[0],
            source_record_key=key[1],
            customer_id=answer["customer_id"] if answer["decision"] == "match" else None,
            decision=answer["decision"],
            match_probability=answer["match_probability"],
            review_customer_id=best if answer["decision"] == "review" else None,
            record=record,
            run_id=answer["run_id"],
            committed_by=committed_by,
        )
        with self._filing:  # a resolver swapped in meanwhile has read this filing, or gets it here
            try:
                with self.store.io_lock:
                    filed = retry_when_busy(lambda: file_arrival(self.store.engine, filing))
            except WarehouseUnavailable as exc:
                raise NotReady(str(exc)) from exc
            if filed.filed != EXISTING:
                self._resolver.remember([record], [filed.customer_id])
        return {**answer, "customer_id": filed.customer_id, "committed": True, "filed": filed.filed}

    def current(self) -> Resolver:
        resolver, run_id = self._resolver, self.store.snapshot.run_id
        if resolver is not None and self._erasures != self.store.snapshot.erasures:
            resolver = self._resolver = None  # an erased person is never answered from the old records
        if run_id is None and resolver is None:
            raise NotReady("nothing is published in this warehouse yet: run `unify run` first")
        if resolver is not None:
            if resolver.run_id != run_id:
                self._rebuild_in_background()
            return resolver
        with self._lock:  # the very first build: every request waits for it
            if self._resolver is None:
                self._swap_in(self._build())
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
        self._erasures = snapshot.erasures
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
            self._swap_in(self._build())
        except NotReady as exc:
            logger.info("resolver not rebuilt yet: %s", exc)
            self._failed_at = time.monotonic()
            return
        except Exception:  # keep answering from the previous run; try again later
            logger.exception("building the resolver failed; the previous run keeps answering")
            self._failed_at = time.monotonic()

    def _swap_in(self, resolver: Resolver) -> None:
        """Swap the resolver in with every filing on arrival it does not hold yet (read under the
        filing lock, so a filing made meanwhile is in the warehouse or goes to the new resolver)."""
        with self._filing:
            try:
                with self.store.io_lock:
                    filings = retry_when_busy(lambda: read_filings(self.store.engine))
            except WarehouseUnavailable as exc:
                raise NotReady(f"the warehouse cannot be read now: {exc}") from exc
            remember_filings(resolver, filings, self.store.snapshot.merged_into)
            self._resolver = resolver  # one assignment: a request sees the old resolver or the new one


def remember_filings(resolver: Resolver, filings: list[dict], merged_into: dict[str, str]) -> int:
    """The filings on arrival the resolver does not hold (no run staged their key yet), each under
    its customer or the one that customer merged into."""
    records = [f["record"] for f in filings]
    return resolver.remember(records, [merged_into.get(f["customer_id"], f["customer_id"]) for f in filings])


class Batcher:
    """Concurrent requests scored together, so that the planning of the statements, most of what a
    record costs, is paid once per batch: a batch takes every request waiting (at most MAX_BATCH),
    and, while it holds fewer than the largest of the last batches, waits up to BATCH_WINDOW for
    more (callers answered together ask again together, a millisecond or so apart). A lone caller's
    batches hold one: it never waits."""

    def __init__(self, resolve_many: Callable[[list[dict]], list]):
        self._resolve_many = resolve_many
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._sizes: deque[int] = deque([1], maxlen=16)  # the last batches' sizes: how many callers there are

    def submit(self, record: dict) -> Future:
        future: Future = Future()
        self._queue.put((record, future))
        if self._worker is None:
            with self._lock:
                if self._worker is None:
                    self._worker = threading.Thread(target=self._work, name="unify-resolve-batch", daemon=True)
                    self._worker.start()
        return future

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            expected, deadline = max(self._sizes), time.monotonic() + BATCH_WINDOW
            while len(batch) < MAX_BATCH:
                wait = deadline - time.monotonic() if len(batch) < expected else 0.0
                try:
                    batch.append(self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait())
                except queue.Empty:
                    break
            self._sizes.append(len(batch))
            try:
                answers = self._resolve_many([record for record, _ in batch])
            except Exception as exc:  # NotReady or a failure: every request of the batch gets it
                if not isinstance(exc, NotReady):
                    logger.exception("resolving a batch of %d records failed", len(batch))
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), answer in zip(batch, answers):
                if isinstance(answer, RecordError):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)


# ---------------------------------------------------------------- unify resolve


def resolver_for(url: str) -> Resolver:
    """A resolver over what is published in this warehouse now (NotReady when nothing is)."""
    snapshot = read_snapshot(url)
    basis = read_resolve_basis(url)
    if basis is None or snapshot.run_id is None:
        raise NotReady("nothing is published in this warehouse yet: run `unify run` first")
    if basis["run_id"] != snapshot.run_id:
        raise NotReady("a run published while the warehouse was read: try again")
    resolver = build_resolver(snapshot, basis)
    engine = make_engine(url)
    try:
        remember_filings(resolver, read_filings(engine), snapshot.merged_into)
    finally:
        engine.dispose()
    return resolver


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
    """One record from JSON text, without `commit: true` (only POST /api/resolve files records)."""
    record, commit = parse_request(text)
    if commit:
        raise RecordError("commit: true files a record through POST /api/resolve, not here")
    return record


def parse_request(text: str | bytes) -> tuple[dict, bool]:
    """(record, commit) from JSON text; BadJSON or RecordError naming what is wrong, never the text itself."""
    try:
        record = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadJSON(f"not valid JSON (at character {getattr(exc, 'pos', 0)})") from None
    except RecursionError:
        raise BadJSON("not valid JSON (nested too deeply)") from None
    if not isinstance(record, dict):
        raise BadJSON("the record must be one JSON object")
    commit = record.pop("commit", False)
    if not isinstance(commit, bool):
        raise RecordError("commit must be true or false")
    return record, commit
