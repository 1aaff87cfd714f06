"""`make bench`: the pipeline at scale beside plain Splink on the same records, in one run.

1. demo sources for N customers (300,000 people is about 1,000,000 source records),
2. a full `unify run` in a subprocess: seconds per Dagster step, records per second, peak RSS,
   precision and recall against the generated truth,
3. plain Splink 5 (train, predict, cluster; DuckDB) on the very staged records of that run, in
   its own subprocess: seconds per stage, peak RSS, precision and recall,
4. an incremental run after a later export of 1% more records, measured as Dagster records the
   run (start to end, as the UI shows it) and as the command's wall time; then, with `unify worker`
   up and warmed by one run, another 1% export through the warm worker, measured the same way,
5. search lookup latency p50/p95 over the resulting warehouse (when the search is installed),
6. resolve on arrival over it, in a process of its own (search.resolve_bench): the resolver's build
   seconds, p50/p95 of one resolve (wall and CPU) for 1,000 published records sent again, the
   share that came back to their own customer, the process's peak RSS,
7. resolve on arrival of records held back from the runs: a later shop export of HELD_BACK orders
   (about 85% from existing people, the rest new; its truth appended), written after the runs,
   sent over HTTP on loopback to `unify serve` in a process of its own: p50/p95 with one client,
   records per second with 4 concurrent clients, the server's RSS; then the next batch run
   (incremental) reads the file, and each on-arrival answer is compared with the customer the batch
   gave the record (agreement), and both against the truth (precision and recall).
Steps 6 and 7 run up to ARRIVAL_MAX_CUSTOMERS people: the resolver holds every published record
in memory. Plain Splink is stopped after --plain-splink-limit seconds; it is reported when it fails
or is stopped (`BENCH_CUSTOMERS=3000000`, about 10,000,000 records: its name blocks grow with the
square of the data).
Prints the figures and writes them to data/reports/bench.json.

--profile picks the demo generator's profile: default, hard, or both (each in its own folder
under --workdir, each with a fresh warehouse, so each run trains its own model). Per profile it
reports the model's training (the `linkage_model` step) and scoring (`scored_pairs`) seconds,
their total, the run's peak RSS, training alone in a process of its own (seconds, peak RSS), the
records sharing the most-shared phone, precision, recall and F1; with both, the ratio hard /
default of each. Steps 3-5 run for the default profile only: plain Splink's phone blocks on the
hard profile are the placeholder's hundreds of millions of pairs.

The hard profile's placeholder phones (13800138000, 12345678901, 400-123-4567) never reach
linkage: the phone standardiser rejects each as fake or invalid. Issue #16's case is one valid-looking
phone shared by 28,000 records of a million, found generic only from the data, so the bench's hard
profile also types one shop number (demo.render.GENERIC_PHONE) in --generic-share of the phone
cells (default 0.03: about 2.8% of the records, as about 94% carry a phone; 0 for the hard profile
as `unify demo-data --profile hard` writes it).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from common import arrow_files
from linkage.evaluate import pairwise_scores, read_truth
from search.bench import lookup_latency, process_memory_mb
from search.resolve_bench import held_back_records, over_http_answers, serving
from warehouse.engine import make_engine
from warehouse.state import published_assignment

REPORT = Path("data/reports/bench.json")
CASES = REPORT.with_name("bench_arrival_disagreements.json")  # written before REPORT, IDs only
PROJECT_INSTANCE = Path(__file__).resolve().parents[1] / ".dagster" / "dagster.yaml"
PROFILES = ("default", "hard")
GENERIC_SHARE = 0.03  # of the hard profile's phone cells: one shop number (issue #16: 28,000 of 1M records)
HELD_BACK, HELD_BACK_FILE = 1000, "tmall_orders_2026_arriving.csv"  # records resolved on arrival, then batched
WARM_FILE = "tmall_orders_2026_later.csv"  # the second 1% export: the incremental run through the warm worker
PLAIN_SPLINK_LIMIT = 3600.0  # seconds before plain Splink is stopped (and reported as stopped)
# the whole run on Spark beside DuckDB (spark_bench): people in its demo data, and the master
# two executors in processes of their own, as on a cluster (Spark's local-cluster master)
SPARK_CUSTOMERS, SPARK_MASTER = 10_000, "local-cluster[2,1,2048]"
ARRIVAL_MAX_CUSTOMERS = 1_000_000  # people above which resolve on arrival is not benched (see run_bench)
TRAINING_STEP, SCORING_STEP = "linked__linkage_model", "linked__scored_pairs"
# a command in a child of its own (argv: seconds before it is stopped or 0, the command): its exit
# code and its peak RSS, children included
MEASURE = """
import json, resource, subprocess, sys
try:
    code = subprocess.call(sys.argv[2:], timeout=float(sys.argv[1]) or None)
except subprocess.TimeoutExpired:  # call() has killed and waited for it
    code = "stopped"
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": code, "peak_rss_mb": peak}))
"""
# the demo sources for the bench, in a process of its own (argv: folder, customers, seed, profile, generic share)
GENERATE = """
import sys
from demo.generate import generate_sources
from evaluation.bench import bench_profile
profile = bench_profile(sys.argv[4], float(sys.argv[5]))
generate_sources(sys.argv[1], customers=int(sys.argv[2]), seed=int(sys.argv[3]), profile=profile)
"""
# the model's training on a run's canonical records, alone in a process: its seconds and memory
TRAIN_ALONE = """
import json, sys, time
from pathlib import Path
from common import arrow_files
from linkage import model
from linkage.features import link_records
from linkage.profile import data_profile
canonical = arrow_files.read_table(Path(sys.argv[1]))
start = time.perf_counter()
links = link_records(canonical)
model.train_model(links, data_profile(links)["fields"])
print(json.dumps({"seconds": round(time.perf_counter() - start, 1)}))
"""


def measured(command: list[str], env: dict | None = None, check: bool = True, limit: float | None = None) -> dict:
    """Run a command in a child process; wall seconds and the child's peak RSS (with its own children).
    check=False: a failed command is measured too, its exit code and the end of its stderr given;
    limit: seconds after which the command is stopped (killed), its code then 'stopped'."""
    start = time.perf_counter()
    argv = [sys.executable, "-c", MEASURE, str(limit or 0), *command]
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["code"] != 0 and check:
        raise RuntimeError(f"{' '.join(command)} failed ({result['code']}):\n{done.stderr[-3000:]}")
    figures = {"seconds": round(seconds, 1), "peak_rss_mb": round(result["peak_rss_mb"]), "output": done.stdout}
    return figures if result["code"] == 0 else {**figures, "code": result["code"], "stderr": done.stderr[-3000:]}


def run_timing(dagster_home: Path, trained: list | None = None) -> tuple[float, dict[str, float]]:
    """The latest run's duration as Dagster records it (start to end: what the UI shows; the
    command's wall time adds Python's start-up, the same for every run) and its seconds per step.
    trained, when given, receives what the linkage_model step says about training ('yes: ...')."""
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
            elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION and trained is not None:
                metadata = event.event_specific_data.materialization.metadata
                if "trained" in metadata:
                    trained.append(metadata["trained"].value)
    return round(record.end_time - record.start_time, 1), seconds


def most_shared_phone(canonical: Path) -> dict:
    """The phone (E.164) the most canonical records carry, and how many do."""
    table = arrow_files.read_table(canonical, ["phone_e164"])
    sql = "select phone_e164, count(*) from table_ where phone_e164 is not null group by 1 order by 2 desc limit 1"
    with duckdb.connect() as con:
        con.register("table_", table)
        phone, records = con.execute(sql).fetchone() or (None, 0)
    return {"phone": phone, "records": records, "share_of_records": round(records / max(table.num_rows, 1), 4)}


def bench_profile(name: str, generic_share: float):
    """The generator's profile for this bench run: the hard one with its heavy shared phone."""
    from dataclasses import replace

    from demo.profiles import PROFILES as GENERATOR_PROFILES

    return replace(GENERATOR_PROFILES["hard"], generic_phone=generic_share) if name == "hard" else name


def run_bench(
    customers: int,
    seed: int,
    root: Path,
    profile: str = "default",
    generic_share: float = GENERIC_SHARE,
    plain_limit: float = PLAIN_SPLINK_LIMIT,
) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    sources, truth_file = root / "sources", root / "sources_truth.csv"
    from demo.generate import generate_later_export

    # in a process of its own: what the generator holds (about 3 GB a million people) is given back
    # before the runs, which at 3,000,000 people need the machine's memory
    generated = measured(
        [sys.executable, "-c", GENERATE, str(sources), str(customers), str(seed), profile, str(generic_share)]
    )
    generation = generated["seconds"]

    work, home = root / "run", root / "dagster_home"
    for path in (work, home):
        subprocess.run(["rm", "-rf", str(path)], check=True)
        path.mkdir(parents=True)
    shutil.copyfile(PROJECT_INSTANCE, home / "dagster.yaml")  # runs configured as the project's are
    warehouse = work / "warehouse.duckdb"
    # no model file: the fresh warehouse trains its own model
    env = {**os.environ, "DAGSTER_HOME": str(home), "UNIFY_WORK_DIR": str(work / "work"), "UNIFY_MODEL": ""}
    env["UNIFY_REPORTS_DIR"] = str(work / "reports")  # its run reports beside its warehouse
    unify = [sys.executable, "-m", "pipelines.cli", "run", "--sources", str(sources)]
    unify += ["--warehouse", f"duckdb:///{warehouse}"]

    full = measured(unify, env, check=False)  # a run that does not publish still shows its steps' figures
    trained: list = []
    full_run, steps = run_timing(home, trained)
    if not (trained and trained[0].startswith("yes")):  # a fresh warehouse must train its own model
        raise RuntimeError(f"the run did not train its model: {trained}\n{full.get('stderr', '')}")
    truth = read_truth(truth_file)
    records = len(truth)
    published = "code" not in full
    accuracy = (
        pairwise_scores(published_assignment(make_engine(f"duckdb:///{warehouse}")), truth).as_dict()
        if published
        else {}
    )
    canonical = work / "work" / "canonical.arrow"
    alone = measured([sys.executable, "-c", TRAIN_ALONE, str(canonical)])
    training, scoring = steps.get(TRAINING_STEP), steps.get(SCORING_STEP)
    pipeline = {
        "seconds": full["seconds"],
        "run_seconds": full_run,
        "records_per_second": round(records / full["seconds"]),
        "peak_rss_mb": full["peak_rss_mb"],
        "training_seconds": training,
        "scoring_seconds": scoring,
        "training_plus_scoring_seconds": round((training or 0) + (scoring or 0), 1),
        "model": trained[0],
        "training_alone": {
            "seconds": json.loads(alone["output"].strip().splitlines()[-2])["seconds"],
            "peak_rss_mb": alone["peak_rss_mb"],
        },
        "steps": steps,
        **{k: round(accuracy[k], 4) if published else None for k in ("precision", "recall", "f1")},
    }
    if not published:  # the unify command's own lines: why it did not publish
        pipeline["not_published"] = [line for line in full["stderr"].splitlines() if line.startswith(("unify", "  "))]
    figures = {
        "profile": profile,
        "generic_share": generic_share if profile == "hard" else 0.0,
        "customers": customers,
        "records": records,
        "generation_seconds": generation,
        "generation_peak_rss_mb": generated["peak_rss_mb"],
        "most_shared_phone": most_shared_phone(canonical),
        "pipeline": pipeline,
    }
    if profile != "default" or not published:
        return figures

    plain_splink = [sys.executable, "-m", "evaluation.plain_splink", str(work / "work"), str(truth_file)]
    plain = plain_splink_figures(measured(plain_splink, check=False, limit=plain_limit))

    generate_later_export(sources, customers=customers, seed=seed, orders=max(1, records // 100))
    incremental = measured([*unify, "--incremental"], env)
    incremental_run, incremental_steps = run_timing(home)
    warm = warm_incremental(sources, customers, seed, records, unify, env, home, warehouse)

    # the resolver holds every published record (about 3 GB a million): above this size its
    # server's figures come from the runs below it, not from a machine it would fill
    big = customers > ARRIVAL_MAX_CUSTOMERS
    too_big = {"skipped": f"above {ARRIVAL_MAX_CUSTOMERS:,} people"}
    return {
        **figures,
        "plain_splink": plain,
        "ratio_pipeline_to_plain_splink": round(full["seconds"] / plain["seconds"], 2)
        if "failed" not in plain
        else None,
        "incremental_1pct": {
            "seconds": incremental["seconds"],
            "run_seconds": incremental_run,
            "share_of_full": round(incremental_run / full_run, 3),
            "share_of_full_wall": round(incremental["seconds"] / full["seconds"], 3),
            "peak_rss_mb": incremental["peak_rss_mb"],
            "steps": incremental_steps,
        },
        "incremental_1pct_warm": {
            **warm,
            "share_of_full": round(warm["run_seconds"] / full_run, 3),
            "share_of_full_wall": round(warm["seconds"] / full["seconds"], 3),
        },
        "search": lookup_latency(f"duckdb:///{warehouse}"),
        "resolve": too_big if big else resolve_latency(f"duckdb:///{warehouse}"),
        "resolve_on_arrival": too_big
        if big
        else arrival_bench(root, customers, seed, warehouse, [*unify, "--incremental"], env),
    }


def spark_bench(root: Path, customers: int, seed: int, master: str = SPARK_MASTER) -> dict:
    """The whole run with engine spark beside the same run on this machine, on the same demo
    sources (each a fresh warehouse that trains its own model): seconds, peak RSS (the JVM
    included: it is the run's child), precision and recall, and how the two runs' customers agree."""
    sources, truth_file = root / "sources", root / "sources_truth.csv"
    subprocess.run(["rm", "-rf", str(root)], check=True)
    measured([sys.executable, "-c", GENERATE, str(sources), str(customers), str(seed), "default", "0"])
    truth, runs, customers_of = read_truth(truth_file), {}, {}
    for engine in ("duckdb", "spark"):
        work = root / engine
        work.mkdir(parents=True)
        shutil.copyfile(PROJECT_INSTANCE, work / "dagster.yaml")
        env = {**os.environ, "DAGSTER_HOME": str(work), "UNIFY_WORK_DIR": str(work / "work"), "UNIFY_MODEL": ""}
        env["UNIFY_REPORTS_DIR"] = str(work / "reports")
        warehouse = work / "warehouse.duckdb"
        command = [sys.executable, "-m", "pipelines.cli", "run", "--sources", str(sources)]
        command += ["--warehouse", f"duckdb:///{warehouse}", "--engine", engine, "--spark-master", master]
        run = measured(command, env)
        run_seconds, steps = run_timing(work)
        customers_of[engine] = _assignment(warehouse)
        accuracy = pairwise_scores(customers_of[engine], truth)
        runs[engine] = {
            "seconds": run["seconds"],
            "run_seconds": run_seconds,
            "peak_rss_mb": run["peak_rss_mb"],
            "steps": steps,
            **{k: round(getattr(accuracy, k), 4) for k in ("precision", "recall", "f1")},
        }
    agreement = pairwise_scores(customers_of["spark"], customers_of["duckdb"])
    figures = {"records": len(truth), "master": master, **runs, "agreement_f1": round(agreement.f1, 4)}
    figures["ratio_spark_to_duckdb"] = round(figures["spark"]["seconds"] / figures["duckdb"]["seconds"], 2)
    return figures


def print_spark(figures: dict) -> None:
    print(f"\nwhole run on Spark ({figures['master']}) beside DuckDB, {figures['records']:,} records:")
    for engine in ("duckdb", "spark"):
        f = figures[engine]
        print(
            f"  {engine:<7} {f['seconds']:>7} s (run {f['run_seconds']} s) {f['peak_rss_mb']:>6,} MB  "
            f"P {f['precision']:.4f} R {f['recall']:.4f} F1 {f['f1']:.4f}"
        )
        print("    steps (s): " + ", ".join(f"{k} {v}" for k, v in f["steps"].items()))
    print(
        f"  customers agree (pairwise F1, Spark against DuckDB): {figures['agreement_f1']}; time ratio {figures['ratio_spark_to_duckdb']}"
    )


def plain_splink_figures(plain: dict) -> dict:
    """Plain Splink's figures as it printed them, or, when it failed or was stopped, how and after
    how long (its stderr is not copied: it may quote a record)."""
    if "code" in plain:
        return {"failed": plain["code"], "seconds": plain["seconds"], "peak_rss_mb": plain["peak_rss_mb"]}
    return {**json.loads(plain["output"].strip().splitlines()[-2]), "peak_rss_mb": plain["peak_rss_mb"]}


@contextmanager
def warm_worker(url: str, env: dict) -> Iterator[tuple[dict, int]]:
    """`unify worker` over the warehouse in a process of its own, on a free loopback port with a
    secret of its own: (the environment that hands runs to it, its pid) once it listens; stopped on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**env, "UNIFY_WORKER_SECRET": secrets.token_hex(16), "UNIFY_WORKER_PORT": str(port)}
    command = [sys.executable, "-m", "pipelines.cli", "worker", "--warehouse", url]
    worker = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        if not worker.stderr.readline().startswith("unify worker on"):
            raise RuntimeError(f"the worker did not start: {worker.stderr.read()[-3000:]}")
        yield env, worker.pid
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def warm_incremental(
    sources: Path, customers: int, seed: int, records: int, unify: list[str], env: dict, home: Path, warehouse: Path
) -> dict:
    """Another export of 1% more records, run through the warm worker after one warm-up run (the
    worker's first run loads what runs load): the command's wall time, the Dagster run's duration
    and steps, the worker's peak RSS."""
    from demo.generate import generate_later_export

    with warm_worker(f"duckdb:///{warehouse}", env) as (worker_env, pid):
        measured([*unify, "--incremental"], worker_env)  # nothing new: the worker's warm-up
        orders = max(1, records // 100)
        generate_later_export(sources, customers=customers, seed=seed, orders=orders, file_name=WARM_FILE)
        run = measured([*unify, "--incremental"], worker_env)
        memory = process_memory_mb(pid)
    run_seconds, steps = run_timing(home)
    if not handed_to_worker(home):
        raise RuntimeError(f"the warm run did not go to the worker:\n{run.get('stderr', '')}")
    return {
        "seconds": run["seconds"],
        "run_seconds": run_seconds,
        "worker_peak_rss_mb": memory["peak_rss_mb"],
        "steps": steps,
    }


def handed_to_worker(dagster_home: Path) -> bool:
    """Whether the latest run ran in the warm worker."""
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    from dagster import DagsterInstance

    from pipelines.worker import WORKER_TAG

    with DagsterInstance.get() as instance:
        return WORKER_TAG in instance.get_runs(limit=1)[0].tags


def arrival_bench(root: Path, customers: int, seed: int, warehouse: Path, next_run: list[str], env: dict) -> dict:
    """Records held back from the runs, resolved on arrival over HTTP, then read by the next batch run."""
    from demo.generate import generate_later_export

    sources, url = root / "sources", f"duckdb:///{warehouse}"
    truth_file = generate_later_export(
        sources, customers=customers, seed=seed, orders=HELD_BACK, file_name=HELD_BACK_FILE
    )
    held = held_back_records(sources, "shop", sources / "shop" / HELD_BACK_FILE)
    before = _assignment(warehouse)
    with serving(url, root / "serve.log") as (base, token, pid):
        http, answers = over_http_answers([record for _, record in held], base, token)
        memory = process_memory_mb(pid)
    run = measured(next_run, env)
    after = _assignment(warehouse)
    on_arrival = dict(zip((key for key, _ in held), answers))
    CASES.parent.mkdir(parents=True, exist_ok=True)
    CASES.write_text(json.dumps(disagreements(on_arrival, before, after), indent=1))
    return {
        "records": len(held),
        **http,
        "server_memory": memory,
        "next_run_seconds": run["seconds"],
        **arrival_agreement(on_arrival, before, after, read_truth(truth_file)),
        "disagreements_in": str(CASES),
    }


def kept_by_batch(answer: dict, batch: str | None, existing: set) -> bool:
    """The batch agrees with an on-arrival answer: a match (or review) when it put the record in the
    customer named, a new one when it put it in a customer that was not published before."""
    if batch is None:
        return False
    return batch not in existing if answer.get("decision") == "new" else batch == answer.get("customer_id")


def disagreements(answers: dict, before: dict, after: dict) -> list[dict]:
    """The held-back records whose on-arrival answer the next batch run did not keep, as IDs and
    probabilities only (what is needed to look them up in the warehouse; no personal data)."""
    existing, cases = set(before.values()), []
    for key, answer in answers.items():
        batch, decision = after.get(key), answer.get("decision", "error")
        if not kept_by_batch(answer, batch, existing):
            candidates = [(c["customer_id"], c["match_probability"]) for c in answer.get("candidates", [])]
            cases.append(
                {
                    "record": list(key),
                    "decision": decision,
                    "on_arrival": answer.get("customer_id"),
                    "probability": answer.get("match_probability"),
                    "candidates": candidates[:5],
                    "batch": batch,
                    "batch_customer_existed": batch in existing,
                }
            )
    return cases


def _assignment(warehouse: Path) -> dict:
    engine = make_engine(f"duckdb:///{warehouse}")
    try:  # disposed: an open DuckDB connection would keep the server and the next run out of the file
        return published_assignment(engine)
    finally:
        engine.dispose()


def arrival_agreement(answers: dict, before: dict, after: dict, truth: dict) -> dict:
    """How the on-arrival answers agree with the next batch run, and both with the truth.

    Agreement: a match (or review) names the customer the batch put the record in; a new one ends in
    a customer that was not published before (its own, or a new one with other arrivals). Against
    the truth, a customer is right for a record when it held a published record of the same person:
    precision over the records each side put with an existing customer (on arrival: decision match),
    recall over the records whose person had published records."""
    existing = set(before.values())
    people: dict[str, set] = {}
    for key, customer in before.items():
        people.setdefault(customer, set()).add(truth.get(key))
    published_people = {truth.get(key) for key in before}
    decisions, agree = Counter(), Counter()
    sides = {side: Counter() for side in ("on_arrival", "batch")}
    for key, answer in answers.items():
        decision, batch = answer.get("decision", "error"), after.get(key)
        decisions[decision] += 1
        agree[decision] += kept_by_batch(answer, batch, existing)
        person, known = truth.get(key), truth.get(key) in published_people
        named = {"on_arrival": answer.get("customer_id") if decision == "match" else None}
        named["batch"] = batch if batch in existing else None
        for side, customer in named.items():
            right = customer is not None and person in people.get(customer, ())
            sides[side].update(claimed=customer is not None, right=right, known=known, found=known and right)
    decided = decisions["match"] + decisions["new"]
    return {
        "decisions": dict(decisions),
        "agreeing": dict(agree),
        "agreement_match_and_new": round((agree["match"] + agree["new"]) / max(1, decided), 4),
        "agreement_all": round(sum(agree.values()) / max(1, len(answers)), 4),
        **{
            side: {
                "precision": round(c["right"] / max(1, c["claimed"]), 4),
                "recall": round(c["found"] / max(1, c["known"]), 4),
                "put_with_an_existing_customer": c["claimed"],
                "of_existing_people": c["known"],
            }
            for side, c in sides.items()
        },
    }


def resolve_latency(url: str, n: int = 1000) -> dict:
    """Resolve on arrival in a process of its own (search.resolve_bench prints its figures as JSON)."""
    done = measured([sys.executable, "-m", "search.resolve_bench", url, str(n)], check=False)
    if done.get("code"):
        return {"failed": f"exit code {done['code']}"}  # its stderr is not copied: it may quote a record
    return {**json.loads("\n".join(done["output"].strip().splitlines()[:-1])), "peak_rss_mb": done["peak_rss_mb"]}


def print_profile(figures: dict) -> None:
    """One profile's run: records, the most-shared phone, the pipeline's figures and its model."""
    p = figures["pipeline"]
    people, generated = f"{figures['customers']:,}", figures["generation_seconds"]
    share = f", generic share {figures['generic_share']}" if figures["generic_share"] else ""
    print(
        f"\n{figures['profile']} profile{share}: {figures['records']:,} source records ({people} people), generated in {generated} s"
    )
    phone = figures["most_shared_phone"]
    print(f"most-shared phone: {phone['phone']} on {phone['records']:,} records ({phone['share_of_records']:.1%})")
    print(f"{'':<16} {'seconds':>8} {'rec/s':>8} {'peak RSS':>9} {'precision':>9} {'recall':>7} {'F1':>7}")
    speed = f"{p['seconds']:>8} {p['records_per_second']:>8,} {p['peak_rss_mb']:>6,} MB"
    if "not_published" in p:
        print(f"{'pipeline':<16} {speed}   did not publish:")
        print("\n".join(f"    {line}" for line in p["not_published"]))
    else:
        print(f"{'pipeline':<16} {speed} {p['precision']:>9.4f} {p['recall']:>7.4f} {p['f1']:>7.4f}")
    alone = p["training_alone"]
    print(
        f"model ({p['model']}): training {p['training_seconds']} s + scoring {p['scoring_seconds']} s = "
        f"{p['training_plus_scoring_seconds']} s; training alone {alone['seconds']} s, peak RSS {alone['peak_rss_mb']:,} MB"
    )


def print_figures(figures: dict) -> None:
    print_profile(figures)
    if "plain_splink" not in figures:
        return
    p, s = figures["pipeline"], figures["plain_splink"]
    if "failed" in s:
        how = "stopped" if s["failed"] == "stopped" else f"failed with exit code {s['failed']}"
        print(f"{'plain Splink':<16} {s['seconds']:>8} {'':>8} {s['peak_rss_mb']:>6,} MB   {how}")
    else:
        speed = f"{s['seconds']:>8} {s['records_per_second']:>8,} {s['peak_rss_mb']:>6,} MB"
        print(f"{'plain Splink':<16} {speed} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['f1']:>7.4f}")
        print(f"ratio pipeline / plain Splink: {figures['ratio_pipeline_to_plain_splink']}")
    print("pipeline steps (s): " + ", ".join(f"{k} {v}" for k, v in p["steps"].items()))
    if "stages" in s:
        print("plain Splink stages (s): " + ", ".join(f"{k} {v}" for k, v in s["stages"].items()))
    inc = figures["incremental_1pct"]
    share, share_wall = f"{inc['share_of_full']:.0%}", f"{inc['share_of_full_wall']:.0%}"
    print(
        f"incremental run, 1% more records: {inc['run_seconds']} s = {share} of the full run's "
        f"{p['run_seconds']} s (Dagster run durations)"
    )
    print(f"  as commands, with Python's start-up: {inc['seconds']} s = {share_wall} of {p['seconds']} s")
    print("  steps (s): " + ", ".join(f"{k} {v}" for k, v in inc["steps"].items()))
    warm = figures["incremental_1pct_warm"]
    print(
        f"through the warm worker (`unify worker`), another 1%: run {warm['run_seconds']} s = "
        f"{warm['share_of_full']:.0%} of the full run; as a command {warm['seconds']} s = "
        f"{warm['share_of_full_wall']:.0%}; worker peak RSS {warm['worker_peak_rss_mb']:,} MB"
    )
    print("  steps (s): " + ", ".join(f"{k} {v}" for k, v in warm["steps"].items()))
    print(f"search: {figures['search']}")
    print(f"resolve on arrival: {figures['resolve']}")
    print(f"resolve on arrival, held-back records over HTTP, then batched: {figures['resolve_on_arrival']}")


# figures compared between the profiles: (label, path into one profile's figures)
COMPARED = (
    ("training s", ("pipeline", "training_seconds")),
    ("scoring s", ("pipeline", "scoring_seconds")),
    ("training + scoring s", ("pipeline", "training_plus_scoring_seconds")),
    ("whole run s", ("pipeline", "seconds")),
    ("peak RSS MB", ("pipeline", "peak_rss_mb")),
    ("training alone s", ("pipeline", "training_alone", "seconds")),
    ("training alone peak RSS MB", ("pipeline", "training_alone", "peak_rss_mb")),
    ("precision", ("pipeline", "precision")),
    ("recall", ("pipeline", "recall")),
    ("F1", ("pipeline", "f1")),
    ("most-shared phone's records", ("most_shared_phone", "records")),
)


def _at(figures: dict, path: tuple[str, ...]):
    for key in path:
        figures = figures[key]
    return figures


def compare_profiles(default: dict, hard: dict) -> dict:
    """Each compared figure for both profiles and the ratio hard / default."""
    rows = {}
    for label, path in COMPARED:
        d, h = _at(default, path), _at(hard, path)
        rows[label] = {"default": d, "hard": h, "hard_to_default": round(h / d, 2) if d and h is not None else None}
    return rows


def print_comparison(rows: dict) -> None:
    print(f"\n{'hard / default':<28} {'default':>10} {'hard':>10} {'ratio':>6}")
    for label, row in rows.items():
        print(f"{label:<28} {row['default']!s:>10} {row['hard']!s:>10} {row['hard_to_default']!s:>6}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=300_000, help="people in the demo data (300,000 ≈ 1M records)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("data/bench"), help="one folder per profile in it")
    parser.add_argument("--profile", choices=[*PROFILES, "both"], default="default", help="the demo data's profile")
    parser.add_argument(
        "--generic-share",
        type=float,
        default=GENERIC_SHARE,
        help="hard profile: share of phone cells holding one shop number (0: the hard profile as the demo writes it)",
    )
    parser.add_argument(
        "--plain-splink-limit",
        type=float,
        default=PLAIN_SPLINK_LIMIT,
        help="seconds after which plain Splink is stopped and reported as stopped",
    )
    parser.add_argument(
        "--spark-customers",
        type=int,
        default=SPARK_CUSTOMERS,
        help="people in the demo data of the whole run on Spark beside DuckDB (0: not run)",
    )
    parser.add_argument(
        "--spark-master",
        default=SPARK_MASTER,
        help="the Spark master of that run (the session ships the project; executors need its libraries)",
    )
    args = parser.parse_args(argv)
    figures = {"profiles": {}}
    for profile in PROFILES if args.profile == "both" else (args.profile,):
        root = args.workdir.resolve() / profile
        figures["profiles"][profile] = run_bench(
            args.customers, args.seed, root, profile, args.generic_share, args.plain_splink_limit
        )
        print_figures(figures["profiles"][profile])
    if args.profile == "both":
        figures["hard_to_default"] = compare_profiles(figures["profiles"]["default"], figures["profiles"]["hard"])
        print_comparison(figures["hard_to_default"])
    if args.spark_customers:
        figures["spark"] = spark_bench(
            args.workdir.resolve() / "spark", args.spark_customers, args.seed, args.spark_master
        )
        print_spark(figures["spark"])
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=1))
    print(f"written to {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
