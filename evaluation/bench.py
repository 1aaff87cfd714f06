"""`make bench`: the pipeline at scale beside plain Splink on the same records, in one run.

1. demo sources for N customers (300,000 people is about 1,000,000 source records),
2. a full `unify run` in a subprocess: seconds per Dagster step, records per second, peak RSS,
   precision and recall against the generated truth,
3. plain Splink 5 (train, predict, cluster; DuckDB) on the very staged records of that run, in
   its own subprocess: seconds per stage, peak RSS, precision and recall,
4. an incremental run after a later export of 1% more records, measured as Dagster records the
   run (start to end, as the UI shows it) and as the command's wall time,
5. search lookup latency p50/p95 over the resulting warehouse (when the search is installed).
Prints the figures and writes them to data/reports/bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from linkage.evaluate import pairwise_scores, read_truth

REPORT = Path("data/reports/bench.json")
PROJECT_INSTANCE = Path(__file__).resolve().parents[1] / ".dagster" / "dagster.yaml"


def measured(command: list[str], env: dict | None = None) -> dict:
    """Run a command in a child process; wall seconds and the child's peak RSS (with its own children)."""
    probe = (
        "import resource, subprocess, sys, json;"
        "code = subprocess.call(sys.argv[1:]);"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024;"
        "print(json.dumps({'code': code, 'peak_rss_mb': peak}))"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *command], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(result["peak_rss_mb"]), "output": done.stdout}


def run_timing(dagster_home: Path) -> tuple[float, dict[str, float]]:
    """The latest run's duration as Dagster records it (start to end: what the UI shows; the
    command's wall time adds Python's start-up, the same for every run) and its seconds per step."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        record = instance.get_run_record_by_id(run.run_id)
        started, seconds = {}, {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                started[entry.step_key] = entry.timestamp
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                seconds[entry.step_key] = round(entry.timestamp - started[entry.step_key], 1)
    return round(record.end_time - record.start_time, 1), seconds


def crosswalk(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sql = "select source_file, source_sheet, source_row, customer_id from customer_source_records"
        rows = con.execute(sql).fetchall()
    return {(f, s, int(r)): c for f, s, r, c in rows}


def run_bench(customers: int, seed: int, root: Path) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    sources, truth_file = root / "sources", root / "sources_truth.csv"
    from demo.generate import generate_later_export, generate_sources

    start = time.perf_counter()
    generate_sources(sources, customers=customers, seed=seed)
    generation = round(time.perf_counter() - start, 1)

    work, home = root / "run", root / "dagster_home"
    for path in (work, home):
        subprocess.run(["rm", "-rf", str(path)], check=True)
        path.mkdir(parents=True)
    shutil.copyfile(PROJECT_INSTANCE, home / "dagster.yaml")  # runs configured as the project's are
    warehouse = work / "warehouse.duckdb"
    # no model file: the fresh warehouse trains its own model
    env = {**os.environ, "DAGSTER_HOME": str(home), "UNIFY_WORK_DIR": str(work / "work"), "UNIFY_MODEL": ""}
    unify = [sys.executable, "-m", "pipelines.cli", "run", "--sources", str(sources)]
    unify += ["--warehouse", f"duckdb:///{warehouse}"]

    full = measured(unify, env)
    full_run, steps = run_timing(home)
    truth = read_truth(truth_file)
    records = len(truth)
    ours = pairwise_scores(crosswalk(warehouse), truth)

    plain = measured([sys.executable, "-m", "evaluation.plain_splink", str(work / "work"), str(truth_file)])
    plain_figures = json.loads(plain["output"].strip().splitlines()[-2])

    generate_later_export(sources, customers=customers, seed=seed, orders=max(1, records // 100))
    incremental = measured([*unify, "--incremental"], env)
    incremental_run, incremental_steps = run_timing(home)

    return {
        "customers": customers,
        "records": records,
        "generation_seconds": generation,
        "pipeline": {
            "seconds": full["seconds"],
            "run_seconds": full_run,
            "records_per_second": round(records / full["seconds"]),
            "peak_rss_mb": full["peak_rss_mb"],
            "steps": steps,
            **{k: round(v, 4) for k, v in ours.as_dict().items() if k in ("precision", "recall", "f1")},
        },
        "plain_splink": {k: v for k, v in {**plain_figures, "peak_rss_mb": plain["peak_rss_mb"]}.items()},
        "ratio_pipeline_to_plain_splink": round(full["seconds"] / plain_figures["seconds"], 2),
        "incremental_1pct": {
            "seconds": incremental["seconds"],
            "run_seconds": incremental_run,
            "share_of_full": round(incremental_run / full_run, 3),
            "share_of_full_wall": round(incremental["seconds"] / full["seconds"], 3),
            "peak_rss_mb": incremental["peak_rss_mb"],
            "steps": incremental_steps,
        },
        "search": search_latency(f"duckdb:///{warehouse}"),
    }


def search_latency(url: str) -> dict:
    try:
        from search.bench import lookup_latency
    except ImportError:
        return {"skipped": "search not installed"}
    return lookup_latency(url)


def print_figures(figures: dict) -> None:
    p, s = figures["pipeline"], figures["plain_splink"]
    people, generated = f"{figures['customers']:,}", figures["generation_seconds"]
    print(f"\n{figures['records']:,} source records ({people} people), generated in {generated} s")
    print(f"{'':<16} {'seconds':>8} {'rec/s':>8} {'peak RSS':>9} {'precision':>9} {'recall':>7} {'F1':>7}")
    for label, f in (("pipeline", p), ("plain Splink", s)):
        speed = f"{f['seconds']:>8} {f['records_per_second']:>8,} {f['peak_rss_mb']:>6,} MB"
        print(f"{label:<16} {speed} {f['precision']:>9.4f} {f['recall']:>7.4f} {f['f1']:>7.4f}")
    print(f"ratio pipeline / plain Splink: {figures['ratio_pipeline_to_plain_splink']}")
    print("pipeline steps (s): " + ", ".join(f"{k} {v}" for k, v in p["steps"].items()))
    print("plain Splink stages (s): " + ", ".join(f"{k} {v}" for k, v in s["stages"].items()))
    inc = figures["incremental_1pct"]
    share, share_wall = f"{inc['share_of_full']:.0%}", f"{inc['share_of_full_wall']:.0%}"
    print(
        f"incremental run, 1% more records: {inc['run_seconds']} s = {share} of the full run's "
        f"{p['run_seconds']} s (Dagster run durations)"
    )
    print(f"  as commands, with Python's start-up: {inc['seconds']} s = {share_wall} of {p['seconds']} s")
    print(f"search: {figures['search']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=300_000, help="people in the demo data (300,000 ≈ 1M records)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench"))
    args = parser.parse_args(argv)
    figures = run_bench(args.customers, args.seed, args.workdir.resolve())
    print_figures(figures)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=1))
    print(f"written to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
