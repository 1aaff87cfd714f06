"""Lookup latency of the staff search over a real warehouse (a benchmark, not a test).

    .venv/bin/python -m search.bench duckdb:///data/warehouse.duckdb [N]

Loads the published snapshot as `unify serve` does, then looks up N sampled customers three
ways, as an agent would type them: the phone as spoken (national digits in groups), the Chinese
name, and the pinyin with spaces. Reports p50/p95/max in milliseconds and how often the customer
was among the results (a name can belong to several customers, so that is not always 100%).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from search.snapshot import read_snapshot
from warehouse.engine import warehouse_url as resolve_url

SEED = 7


def lookup_latency(warehouse_url: str, n: int = 200) -> dict:
    started = time.perf_counter()
    snapshot = read_snapshot(resolve_url(warehouse_url))
    load_seconds = time.perf_counter() - started
    customers = snapshot.golden.select(["customer_id", "display_name", "name_pinyin", "phone"]).to_pylist()
    rng = random.Random(SEED)
    queries = {
        "phone": [(c["customer_id"], spoken_phone(c["phone"])) for c in customers if c["phone"]],
        "name": [(c["customer_id"], c["display_name"]) for c in customers if c["display_name"]],
        "pinyin": [(c["customer_id"], c["name_pinyin"]) for c in customers if c["name_pinyin"]],
    }
    report = {
        "customers": snapshot.customers,
        "records": snapshot.records.table.num_rows,
        "index_keys": snapshot.index.size,
        "load_seconds": round(load_seconds, 2),
        "memory_after_load": process_memory_mb(os.getpid()),
    }
    for kind, candidates in queries.items():
        sample = rng.sample(candidates, min(n, len(candidates)))
        report[kind] = _measure(snapshot, sample)
    return report


def process_memory_mb(pid: int) -> dict:
    """A running process's resident memory now and at its peak, and of it now its own (anonymous)
    and mapped files' pages, which the kernel may drop (Linux /proc)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    fields = (("rss_mb", "VmRSS"), ("peak_rss_mb", "VmHWM"), ("anonymous_mb", "RssAnon"), ("file_mb", "RssFile"))
    return {k: round(int(status[f].split()[0]) / 1024) for k, f in fields}


def spoken_phone(e164: str) -> str:
    """+8618959975305 -> '189 5997 5305': how a caller reads a Chinese mobile out."""
    national = e164[3:] if e164.startswith("+86") else e164
    return f"{national[:3]} {national[3:7]} {national[7:]}" if len(national) == 11 else e164


def _measure(snapshot, sample: list[tuple[str, str]]) -> dict:
    timings, found = [], 0
    for customer_id, query in sample:
        started = time.perf_counter()
        results = snapshot.search(query, 20)
        timings.append((time.perf_counter() - started) * 1000)
        found += any(r["customer_id"] == customer_id for r in results)
    if not timings:
        return {"n": 0}
    timings.sort()
    return {
        "n": len(timings),
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 3),
        "max_ms": round(timings[-1], 3),
        "found_rate": round(found / len(timings), 3),
    }


if __name__ == "__main__":
    print(json.dumps(lookup_latency(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200), indent=1))
