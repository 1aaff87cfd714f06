"""`make eval`: pairwise precision, recall and F1 of the pipeline against truth, beside plain Splink.

Data sets: generated demo sources with every mess switched on, FEBRL3 (deduplicate one file) and
FEBRL4 (link two files), each through the real `unify run` in a subprocess and through plain
Splink on the same staged records. Prints a table and writes data/reports/eval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from linkage.evaluate import pairwise_scores, read_truth
from sources.ingest import ingest

REPORT = Path("data/reports/eval.json")


def prepare(name: str, root: Path, customers: int, seed: int) -> tuple[Path, Path]:
    """(sources folder, truth file) for one data set, written fresh."""
    sources = root / name / "sources"
    shutil.rmtree(root / name, ignore_errors=True)
    if name == "demo":
        from demo.generate import generate_sources

        return sources, generate_sources(sources, customers=customers, seed=seed)
    from evaluation.febrl import write_febrl

    return sources, write_febrl(name, sources)


def run_pipeline(sources: Path, workdir: Path) -> dict:
    """`unify run` in a fresh folder: its own work area and warehouse, so its own model; seconds and peak RSS."""
    warehouse = f"duckdb:///{workdir}/warehouse.duckdb"
    env = {**os.environ, "UNIFY_WORK_DIR": str(workdir / "work"), "UNIFY_MODEL": ""}  # the warehouse's own model
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--sources", str(sources), "--warehouse", warehouse], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"unify run failed on {sources}:\n{done.stderr[-2000:]}")
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select source_file, source_sheet, source_row, customer_id from customer_source_records").fetchall()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"assignment": {(f, s, int(r)): c for f, s, r, c in rows}, "seconds": seconds, "peak_rss_mb": peak_mb}


def run_plain_splink(sources: Path) -> dict:
    from evaluation import plain_splink

    start = time.perf_counter()
    assignment, stages = plain_splink.run(ingest(sources).staged)
    return {"assignment": assignment, "seconds": time.perf_counter() - start, "stages": stages}


def evaluate(name: str, root: Path, customers: int, seed: int) -> dict:
    sources, truth_file = prepare(name, root, customers, seed)
    truth = read_truth(truth_file)
    ours = run_pipeline(sources, root / name)
    plain = run_plain_splink(sources)
    return {
        "dataset": name,
        "records": len(truth),
        "pipeline": {**pairwise_scores(ours["assignment"], truth).as_dict(), "seconds": round(ours["seconds"], 1)},
        "plain_splink": {**pairwise_scores(plain["assignment"], truth).as_dict(), "seconds": round(plain["seconds"], 1)},
    }


def print_table(results: list[dict]) -> None:
    print(f"{'data set':<10} {'records':>8}  {'':<13} {'precision':>9} {'recall':>8} {'F1':>8} {'seconds':>8}")
    for r in results:
        for label, key in (("pipeline", "pipeline"), ("plain Splink", "plain_splink")):
            s = r[key]
            name = r["dataset"] if key == "pipeline" else ""
            records = f"{r['records']:,}" if key == "pipeline" else ""
            print(f"{name:<10} {records:>8}  {label:<13} {s['precision']:>9.4f} {s['recall']:>8.4f} {s['f1']:>8.4f} {s['seconds']:>8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=["demo", "febrl3", "febrl4"], choices=["demo", "febrl3", "febrl4"])
    parser.add_argument("--customers", type=int, default=5000, help="demo data size (people)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--workdir", type=Path, default=Path("data/eval"))
    args = parser.parse_args(argv)
    results = [evaluate(name, args.workdir.resolve(), args.customers, args.seed) for name in args.datasets]
    print_table(results)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(results, indent=1))
    print(f"\nwritten to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
