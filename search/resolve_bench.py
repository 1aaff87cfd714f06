"""Resolve-on-arrival latency over a real warehouse (a benchmark, not a test).

    .venv/bin/python -m search.resolve_bench duckdb:///data/warehouse.duckdb [N]
    .venv/bin/python -m search.resolve_bench duckdb:///data/warehouse.duckdb [N] --http http://127.0.0.1:8000 --token T

make bench (evaluation/bench.py) uses held_back_records, serving and over_http: records of a source
file the run has not read, sent to `unify serve` in a process of its own.

Samples N published records and sends each as an arriving record (its published fields: name,
phone as written, email, WeChat, birth date, address, city, province, postcode). In process: the
resolver's build time, p50/p95/max of one resolve, and how often the record came back to its own
customer with decision match. With --http: the same records over HTTP to a running `unify serve`
(one client, then CLIENTS concurrent clients for throughput), from this separate process. Prints
figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from linkage.arrival import RECORD_FIELDS
from search.resolver import resolver_for
from search.snapshot import read_snapshot
from warehouse.engine import warehouse_url

SEED = 7
CLIENTS = 4
# published crosswalk column -> the field an arriving record sends it in
SENT = {
    "name": "name",
    "phone_display": "phone",
    "email": "email",
    "wechat": "wechat",
    "birth_date": "birth_date",
    "address": "address",
    "city": "city",
    "province": "province",
    "postcode": "postcode",
    "source_system": "source_system",
}


def sample_records(url: str, n: int) -> list[tuple[str, dict]]:
    """(customer_id, record) for n published records, as a caller would send them."""
    rows = read_snapshot(url).records.table.to_pylist()
    rng = random.Random(SEED)
    chosen = rng.sample(rows, min(n, len(rows)))
    return [(row["customer_id"], {f: str(row[c]) for c, f in SENT.items() if row.get(c) is not None}) for row in chosen]


def in_process(url: str, n: int) -> dict:
    started = time.perf_counter()
    resolver = resolver_for(url)
    build = time.perf_counter() - started
    records = sample_records(url, n)
    timings, cpu, decisions, own = [], [], Counter(), 0
    for customer_id, record in records:
        t, c = time.perf_counter(), time.process_time()
        answer = resolver.resolve(record)
        timings.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        decisions[answer["decision"]] += 1
        own += answer["decision"] == "match" and answer["customer_id"] == customer_id
    return {
        "published_records": resolver.record_count,
        "build_seconds": round(build, 2),
        **_percentiles(timings),
        "cpu": _percentiles(cpu),  # the process's CPU time: what a resolve costs on an idle machine
        "load_average": round(os.getloadavg()[0], 2),
        "decisions": dict(decisions),
        "own_customer_match_rate": round(own / max(1, len(records)), 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def over_http(url: str, n: int, base: str, token: str) -> dict:
    import httpx

    records = [r for _, r in sample_records(url, n)]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        client.post("/api/resolve", json=records[0]).raise_for_status()  # the first request builds the resolver
        timings = []
        for record in records:
            t = time.perf_counter()
            client.post("/api/resolve", json=record).raise_for_status()
            timings.append((time.perf_counter() - t) * 1000)

    def one_client(part: list[dict]) -> int:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            for record in part:
                c.post("/api/resolve", json=record).raise_for_status()
        return len(part)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        done = sum(pool.map(one_client, [records[i::CLIENTS] for i in range(CLIENTS)]))
    seconds = time.perf_counter() - started
    return {
        "one_client": _percentiles(timings),
        f"{CLIENTS}_clients_records_per_second": round(done / seconds, 1),
    }


def held_back_records(sources: Path, kind: str, path: Path) -> list[tuple[tuple[str, str, int], dict]]:
    """(lineage key, record) of every record of one source file, as the pipeline's reader stages it,
    sent as a caller would send it: the staged fields the resolve call takes."""
    from sources.ingest import read_file

    fields = {staged: name for name, staged in RECORD_FIELDS.items()}
    result = read_file(kind, path, sources)
    return [
        (
            (r["source_file"], r["source_sheet"] or "", int(r["source_row"])),
            {fields[c]: str(v) for c, v in r.items() if c in fields and v is not None and str(v).strip()},
        )
        for r in result.records
    ]


@contextmanager
def serving(url: str, log: Path) -> Iterator[tuple[str, str, int]]:
    """`unify serve` over the warehouse in a process of its own, with a viewer account for the
    benchmark: (base URL, API token, server pid) once it answers; stopped on exit."""
    unify = [sys.executable, "-m", "pipelines.cli"]
    password = secrets.token_urlsafe(16)
    name = f"bench_{secrets.token_hex(3)}"
    subprocess.run([*unify, "staff", "add", name, "--role", "viewer", "--password-stdin", "--warehouse", url],
                   input=password + "\n", text=True, check=True, capture_output=True)  # fmt: skip
    token = subprocess.run(
        [*unify, "staff", "token", name, "--warehouse", url], text=True, check=True, capture_output=True
    ).stdout.split()[-1]
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(log, "w") as out:
        server = subprocess.Popen([*unify, "serve", "--warehouse", url, "--port", str(port)], stdout=out, stderr=out)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base, server)
        yield base, token, server.pid
    finally:
        server.terminate()
        server.wait(timeout=60)


def _wait_for(base: str, server: subprocess.Popen, timeout: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"unify serve ended with exit code {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("unify serve did not answer in time")


def over_http_answers(records: list[dict], base: str, token: str, clients: int = CLIENTS) -> tuple[dict, list[dict]]:
    """Over HTTP from this process: each record once with one client (p50/p95/max), then all of them
    again with `clients` concurrent clients (records per second); (figures, the one-client answers)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
        client.post("/api/resolve", json=records[0]).raise_for_status()  # the first request builds the resolver
        timings, answers = [], []
        for record in records:
            t = time.perf_counter()
            response = client.post("/api/resolve", json=record)
            timings.append((time.perf_counter() - t) * 1000)
            answers.append(response.json() if response.status_code == 200 else {"status": response.status_code})

    def one_client(part: list[dict]) -> int:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            for record in part:
                c.post("/api/resolve", json=record)
        return len(part)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        done = sum(pool.map(one_client, [records[i::clients] for i in range(clients)]))
    seconds = time.perf_counter() - started
    figures = {
        "one_client": _percentiles(timings),
        "clients": clients,
        "records_per_second": round(done / seconds, 1),
        "load_average": round(os.getloadavg()[0], 2),
        "statuses": dict(Counter(a.get("status", 200) for a in answers)),
    }
    return figures, answers


def _percentiles(timings: list[float]) -> dict:
    timings = sorted(timings)
    if not timings:
        return {"n": 0}
    return {
        "n": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 2),
        "max_ms": round(timings[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m search.resolve_bench")
    parser.add_argument("warehouse")
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--http", metavar="BASE_URL", help="a running `unify serve` to measure over HTTP")
    parser.add_argument("--token", help="an API token for --http (`unify staff token NAME`)")
    args = parser.parse_args()
    url = warehouse_url(args.warehouse)
    report = over_http(url, args.n, args.http, args.token) if args.http else in_process(url, args.n)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
