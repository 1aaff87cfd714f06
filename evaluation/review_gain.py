"""`make eval-review`: what reviewers' decisions are worth, in F1 per 100 decisions.

On the demo generator's hard profile, in a fresh folder (its own warehouse, work area, model and
Dagster instance, as `make eval` runs the pipeline), `unify run` publishes; then a simulated
reviewer takes the next pending pairs of the review queue in its order (review_rank), decides
each from the truth file (same person or not) through the real decision storage
(warehouse.review.store_decision, as `unify review decide` keeps them), and `unify train` and
`unify run` run again. After each round of decisions the published crosswalk is scored against
the truth: pairwise precision, recall and F1, and the F1 gained per 100 decisions. Decisions work
twice: as must-link / cannot-link on every later run, and as labels for the next model
(linkage.labels: m from the "same" pairs, thresholds placed on all of them).

Once thresholds are placed on the labels, the queue may hold fewer pairs than a round decides
(the model merges the rest); the reviewer then goes on with the pairs earlier queues listed and
nobody decided yet, in their order ("carried": checking what the lowered threshold merged).

Prints a small table (figures only) and writes data/reports/review_gain.json.

    .venv/bin/python -m evaluation.review_gain --customers 2000 --rounds 3 --per-round 100
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from evaluation.run import TIMEOUT, failure_reason, isolated_environment, run_pipeline
from linkage.evaluate import pairwise_scores, read_truth

REPORT = Path("data/reports/review_gain.json")
REVIEWER = "review-gain simulation"


def unify_train(sources: Path, workdir: Path) -> None:
    """`unify train` on the folder's warehouse, as run_pipeline runs `unify run` there."""
    command = [sys.executable, "-m", "pipelines.cli", "train", "--sources", str(sources)]
    done = subprocess.run(
        [*command, "--warehouse", f"duckdb:///{workdir / 'warehouse.duckdb'}"],
        env=isolated_environment(workdir),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"unify train: {failure_reason(done.stderr, done.returncode)}")


def review(workdir: Path, truth: dict, decisions: int, listed: dict[str, dict]) -> dict:
    """Decide the next `decisions` pending pairs of the queue, in its order, from the truth; when
    it holds fewer, go on with pairs an earlier queue listed (listed: pair id -> pair, in the
    order first listed) that nobody decided yet, in that order: the model has merged them since."""
    from warehouse.engine import make_engine
    from warehouse.review import list_queue, store_decision

    engine = make_engine(f"duckdb:///{workdir / 'warehouse.duckdb'}")
    try:
        queue = list_queue(engine, "pending", limit=1_000_000_000)
        for pair in queue:
            listed.setdefault(pair["pair_id"], pair)
        pending = {pair["pair_id"] for pair in queue}
        carried = [p for i, p in listed.items() if i not in pending and "decision" not in p]
        said = {"same": 0, "different": 0, "carried": 0}
        for pair in (queue + carried)[:decisions]:
            left, right = (
                (pair[f"{side}_source_file"], pair[f"{side}_source_sheet"] or "", pair[f"{side}_source_row"])
                for side in ("left", "right")
            )
            decision = "same" if truth[left] == truth[right] else "different"
            sides = {k: v for k, v in pair.items() if k.startswith(("left_source", "right_source"))}
            store_decision(engine, pair["pair_id"], sides, decision, REVIEWER)
            listed[pair["pair_id"]]["decision"] = decision
            said[decision] += 1
            said["carried"] += pair["pair_id"] not in pending
        return said
    finally:
        engine.dispose()  # DuckDB: the next command opens the warehouse file itself


def warehouse_figures(workdir: Path) -> dict:
    """Pending queue pairs and what the current model's labels taught it (figures only)."""
    from warehouse.engine import make_engine
    from warehouse.models import current_labels

    engine = make_engine(f"duckdb:///{workdir / 'warehouse.duckdb'}")
    try:
        with engine.connect() as conn:
            (pending,) = conn.exec_driver_sql(
                "select count(*) from match_review_queue where status = 'pending'"
            ).fetchone()
        taught = current_labels(engine) or {}
    finally:
        engine.dispose()
    placed = taught.get("thresholds") or {}
    return {
        "queue_pending": pending,
        "labels": taught.get("pairs", 0),
        "m_from_labels": taught.get("m_from_labels", 0),
        "match_threshold": placed.get("match_threshold"),
        "review_floor": placed.get("review_floor"),
    }


def scored(assignment: dict, truth: dict) -> dict:
    scores = pairwise_scores(assignment, truth)
    return {"precision": round(scores.precision, 4), "recall": round(scores.recall, 4), "f1": round(scores.f1, 4)}


def simulate(customers: int, seed: int, rounds: int, per_round: int, workdir: Path) -> list[dict]:
    """One row per measure: after 0, per_round, 2 * per_round, ... decisions."""
    from demo.generate import generate_sources

    shutil.rmtree(workdir, ignore_errors=True)
    sources = workdir / "sources"
    truth = read_truth(generate_sources(sources, customers=customers, seed=seed, profile="hard"))
    start = time.perf_counter()
    assignment, _, _ = run_pipeline(sources, workdir)
    rows = [
        {
            "decisions": 0,
            "same": 0,
            "different": 0,
            "carried": 0,
            **scored(assignment, truth),
            **warehouse_figures(workdir),
        }
    ]
    rows[-1]["seconds"] = round(time.perf_counter() - start, 1)
    print(*table_lines(rows), sep="\n", flush=True)  # progress, round by round
    listed: dict[str, dict] = {}
    for _ in range(rounds):
        start = time.perf_counter()
        said = review(workdir, truth, per_round, listed)
        if not said["same"] + said["different"]:
            print("no pair left to decide", flush=True)
            break
        unify_train(sources, workdir)
        assignment, _, _ = run_pipeline(sources, workdir)
        last = rows[-1]
        row = {
            "decisions": last["decisions"] + said["same"] + said["different"],
            "same": last["same"] + said["same"],
            "different": last["different"] + said["different"],
            "carried": last["carried"] + said["carried"],
            **scored(assignment, truth),
            **warehouse_figures(workdir),
        }
        made = row["decisions"] - last["decisions"]
        row["f1_gain_per_100"] = round((row["f1"] - last["f1"]) * 100 / made, 4) if made else None
        row["seconds"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        print(table_lines(rows[-1:])[-1], flush=True)
    return rows


def table_lines(rows: list[dict]) -> list[str]:
    head = (
        f"{'decisions':>9} {'same':>5} {'diff':>5} {'carried':>7} {'labels':>6} {'m from':>6} {'threshold':>9} {'floor':>7}"
        f" {'precision':>9} {'recall':>7} {'F1':>7} {'F1/100':>7} {'queue':>6}"
    )
    lines = [head]
    for r in rows:
        threshold = f"{r['match_threshold']:.4f}" if r["match_threshold"] is not None else "config"
        floor = f"{r['review_floor']:.4f}" if r["review_floor"] is not None else "config"
        gain = f"{r['f1_gain_per_100']:+.4f}" if r.get("f1_gain_per_100") is not None else ""
        lines.append(
            f"{r['decisions']:>9} {r['same']:>5} {r['different']:>5} {r['carried']:>7} {r['labels']:>6} {r['m_from_labels']:>6}"
            f" {threshold:>9} {floor:>7} {r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>7.4f} {gain:>7}"
            f" {r['queue_pending']:>6}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=2000, help="demo people, hard profile (default 2000)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=100, help="decisions per round (default 100)")
    parser.add_argument("--workdir", type=Path, default=Path("data/eval/review_gain"))
    args = parser.parse_args(argv)
    rows = simulate(args.customers, args.seed, args.rounds, args.per_round, args.workdir.resolve())
    print("", *table_lines(rows), sep="\n")
    report = {"customers": args.customers, "seed": args.seed, "profile": "hard", "per_round": args.per_round}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({**report, "rounds": rows}, indent=1))
    print(f"\nwritten to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
