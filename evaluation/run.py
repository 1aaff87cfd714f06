"""`make eval`: the benchmark of generality. Pairwise precision, recall and F1 (and seconds) of the
pipeline against truth on data sets it was and was not designed around, each beside plain Splink 5
on the same staged records.

Data sets (`--datasets`, default all of them):

* ``demo``: generated demo sources with every mess switched on; ``demo-hard``: the generator's
  hard profile (placeholder phones and e-mails shared by different people, more traditional,
  romanised and honorific-only names);
* ``febrl1`` ... ``febrl4`` (FEBRL4 is two files to link) through a mapped/ YAML source, and each
  with only some columns: ``-names-dob``, ``-names-address``, ``-names-place-dob`` (the suburb and
  state stand for a birthplace), ``-no-id`` (see evaluation/febrl.py);
* ``fake1000``: Splink's demo data set fake_1000 (1,000 synthetic UK person records) through a
  mapped/ YAML source, whole and as ``-names-dob`` and ``-names-city-dob`` (see
  evaluation/splink_sets.py).

The pipeline is the real `unify run` in a subprocess, in a fresh folder (its own warehouse, work
area, model and Dagster instance). A side that fails on a data set shows `failed: <reason>` and
the run goes on; the exit code is 1 when the pipeline failed on any data set. `--quick` runs a
small subset. Prints one table and writes data/reports/eval.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

from evaluation import febrl, splink_sets
from linkage.evaluate import pairwise_scores, read_truth
from warehouse.engine import make_engine
from warehouse.state import published_assignment

REPORT = Path("data/reports/eval.json")
PROJECT_INSTANCE = Path(__file__).resolve().parents[1] / ".dagster" / "dagster.yaml"
DEMO_PROFILES = {"demo": "default", "demo-hard": "hard"}
DATASETS = [*DEMO_PROFILES, *febrl.dataset_names(), *splink_sets.dataset_names()]
QUICK = ["demo-hard", "febrl1", "febrl1-names-dob", "febrl1-names-address"]
DEMO_CUSTOMERS, QUICK_CUSTOMERS = 2000, 500
TIMEOUT = 1800  # seconds one side may take on one data set
SIDES = (("pipeline", "pipeline"), ("plain_splink", "plain Splink"))


def prepare(name: str, root: Path, customers: int, seed: int) -> tuple[Path, Path]:
    """(sources folder, truth file) for one data set, written fresh."""
    shutil.rmtree(root / name, ignore_errors=True)
    sources = root / name / "sources"
    if name in DEMO_PROFILES:
        from demo.generate import generate_sources

        return sources, generate_sources(sources, customers=customers, seed=seed, profile=DEMO_PROFILES[name])
    if name in splink_sets.dataset_names():
        return sources, splink_sets.write_set(name, sources)
    return sources, febrl.write_febrl(name, sources)


def one_line(text: str) -> str:
    """The first sentence of a message, at most 160 characters."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    first = first.split(". ")[0].rstrip(".")
    return first if len(first) <= 160 else first[:159] + "…"


def failure_reason(stderr: str, code: int) -> str:
    """One line saying why a `unify run` failed: the failed step and the first exception that is
    not Dagster's own wrapper, else the command's own message, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    steps = re.findall(r'Execution of step "([^"]+)" failed', stderr)
    errors = [
        line
        for line in lines
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b(:|$)", line) and not line.startswith("dagster")
    ]
    own = [line for line in lines if line.startswith("unify:") and " did not publish" not in line]
    reason = errors[0] if errors else own[0] if own else lines[-1] if lines else f"exit code {code}"
    if steps and errors:
        reason = f"{steps[0]}: {reason}"
    return one_line(reason)


def exception_reason(exc: BaseException) -> str:
    """One line for an exception raised in this process."""
    return one_line(traceback.format_exception_only(exc)[-1])


def isolated_environment(workdir: Path) -> dict:
    """The environment of a `unify` command that keeps to this folder: its own Dagster instance
    (configured as the project's), work area, run reports and the warehouse's own model."""
    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_INSTANCE, home / "dagster.yaml")  # runs configured as the project's are
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "UNIFY_WORK_DIR": str(workdir / "work"),
        "UNIFY_MODEL": "",  # the warehouse's own model
        "UNIFY_REPORTS_DIR": str(workdir / "reports"),
    }


def run_pipeline(sources: Path, workdir: Path) -> tuple[dict, float, dict]:
    """`unify run` in a fresh folder (its own warehouse, work area, model, Dagster instance and
    run reports); the lineage key -> customer id it published, its seconds, and no notes."""
    warehouse = workdir / "warehouse.duckdb"
    env = isolated_environment(workdir)
    command = [sys.executable, "-m", "pipelines.cli", "run", "--sources", str(sources), "--warehouse"]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [*command, f"duckdb:///{warehouse}"], env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"timed out after {TIMEOUT} s") from None
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(failure_reason(done.stderr, done.returncode))
    return published_assignment(make_engine(f"duckdb:///{warehouse}")), seconds, {}


def run_plain_splink(sources: Path, workdir: Path) -> tuple[dict, float, dict]:
    """Plain Splink on the staged records of these sources (read again here, and timed), and what
    it chose from their columns."""
    from evaluation import plain_splink
    from sources.ingest import ingest

    start = time.perf_counter()
    notes: list[str] = []
    assignment, _ = plain_splink.run(ingest(sources).staged, notes)
    return assignment, time.perf_counter() - start, {"notes": notes}


def measure(side, sources: Path, workdir: Path, truth: dict) -> dict:
    """Precision, recall, F1 and seconds of one side, or why it failed."""
    start = time.perf_counter()
    try:
        assignment, seconds, details = side(sources, workdir)
    except Exception as exc:  # noqa: BLE001 - a side that fails is a figure of the table
        reason = str(exc) if isinstance(exc, RuntimeError) else exception_reason(exc)
        return {"failed": reason, "seconds": round(time.perf_counter() - start, 1)}
    scores = pairwise_scores(assignment, truth).as_dict()
    rounded = {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}
    return {**rounded, "seconds": round(seconds, 1), **details}


def evaluate(name: str, root: Path, customers: int, seed: int) -> dict:
    try:
        sources, truth_file = prepare(name, root, customers, seed)
        truth = read_truth(truth_file)
    except Exception as exc:  # noqa: BLE001 - a data set that cannot be written fails both sides
        failed = {"failed": f"data set: {exception_reason(exc)}", "seconds": 0.0}
        return {"dataset": name, "records": 0, "pipeline": failed, "plain_splink": failed}
    result = {"dataset": name, "records": len(truth)}
    for key, side in (("pipeline", run_pipeline), ("plain_splink", run_plain_splink)):
        result[key] = measure(side, sources, root / name, truth)
    return result


def table_lines(results: list[dict]) -> list[str]:
    """The table: two lines per data set, a side that failed says so."""
    lines = [f"{'data set':<24} {'records':>8}  {'':<12} {'precision':>9} {'recall':>8} {'F1':>8} {'seconds':>8}"]
    for r in results:
        for key, label in SIDES:
            s = r[key]
            first = key == "pipeline"
            head = f"{r['dataset'] if first else '':<24} {format(r['records'], ',') if first else '':>8}  {label:<12}"
            if "failed" in s:
                lines.append(f"{head} failed: {s['failed']}")
            else:
                lines.append(f"{head} {s['precision']:>9.4f} {s['recall']:>8.4f} {s['f1']:>8.4f} {s['seconds']:>8.1f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, help="default: all of them (--quick: a few)")
    parser.add_argument("--quick", action="store_true", help=f"{', '.join(QUICK)}; demo with {QUICK_CUSTOMERS} people")
    parser.add_argument("--customers", type=int, help=f"demo data size in people (default {DEMO_CUSTOMERS})")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--workdir", type=Path, default=Path("data/eval"))
    args = parser.parse_args(argv)
    names = args.datasets or (QUICK if args.quick else DATASETS)
    customers = args.customers or (QUICK_CUSTOMERS if args.quick else DEMO_CUSTOMERS)
    results = []
    for name in names:
        results.append(evaluate(name, args.workdir.resolve(), customers, args.seed))
        print(*table_lines(results[-1:])[1:], sep="\n", flush=True)  # progress, line by line
    print("", *table_lines(results), sep="\n")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(results, indent=1))
    print(f"\nwritten to {REPORT}")
    failed = [r["dataset"] for r in results if "failed" in r["pipeline"]]
    if failed:
        print(f"the pipeline failed on {len(failed)} data set(s): {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
