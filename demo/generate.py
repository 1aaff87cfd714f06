"""Demo customer sources: messy files in every source format plus the truth of who is who.

The same (customers, seed) always yields the same people and byte-identical files, so the demo,
the accuracy benchmark (precision/recall against the truth file) and the scale benchmark
(~1,000,000 records for 300,000 customers) all stand on repeatable data.

Layout written under ``out_dir`` (formats: shared/contracts/SOURCES.md):

    shop/tmall_orders_2025.csv        Tmall seller export, GBK
    shop/shopify_orders_export.csv    Shopify orders export, UTF-8, multi-line-item orders
    sales/<salesperson>.xlsx|.csv     one sheet per salesperson, four header layouts
    service/call_center_tickets.csv   call-centre tickets, Chinese headers
    service/helpdesk_tickets.jsonl    help-desk tickets, one JSON object per line

and the truth file beside it (``truth_path_for``):
``source_file,sheet,row_number,person_id,opt_out_signal``, one line per data row.

Each person has stable true attributes; each record shows a noisy subset of them, the way the
real system behind that file would. Person-level draws are vectorised with numpy; row rendering
uses a ``random.Random`` per file, seeded from (seed, stream name), so files do not depend on
each other's draws.

A profile (demo/profiles.py) sets how hard the messes are: ``hard`` adds placeholder phones and
e-mails shared by different people and turns the name messes up. The truth is exact in every
profile; the default profile's files are the same as before profiles existed.

This module writes the files and the truth; the package holds one module per part:
pools.py (names, places, companies: what people are made of), people.py (the people and how many
records each source holds of them), render.py (how one record shows a person, with the messes of
the system that wrote it), files.py (times, ids, CSV and XLSX writers, truth rows), and one module
per source kind: shop.py (Tmall, Shopify), sales.py (salespeople's sheets), service.py (call
centre, help desk).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zlib
from pathlib import Path

import numpy as np

from demo.files import Truth, XlsxWriter, write_csv
from demo.people import CALL, HELP, SALES, SHOPIFY, TMALL, People, build_people, streams
from demo.profiles import PROFILES, Profile
from demo.render import Render
from demo.sales import sales_files, write_sales_file
from demo.service import CALL_FILE, CALL_HEADER, HELPDESK_FILE, call_centre, helpdesk
from demo.shop import SHOPIFY_FILE, SHOPIFY_HEADER, TMALL_FILE, TMALL_HEADER, shopify, tmall

__all__ = ["generate_sources", "generate_later_export", "truth_path_for"]

TRUTH_HEADER = ["source_file", "sheet", "row_number", "person_id", "opt_out_signal"]


def _profile(name: str | Profile) -> Profile:
    if isinstance(name, Profile):  # a profile made for the purpose (make bench's --generic-share)
        return name
    if name not in PROFILES:
        raise ValueError(f"unknown demo profile {name!r} (known: {', '.join(PROFILES)})")
    return PROFILES[name]


def truth_path_for(out_dir) -> Path:
    """The truth file beside the sources folder: samples/sources -> samples/sources_truth.csv."""
    out = Path(out_dir)
    return out.parent / f"{out.name}_truth.csv"


def _read_truth(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))[1:]


def _clear_previous(out: Path) -> None:
    """Remove the files an earlier generation wrote here (its truth lists them): other
    salespeople's sheets or later exports left behind would have no truth rows. Files this
    module did not write are never touched."""
    for rel in dict.fromkeys(row[0] for row in _read_truth(truth_path_for(out))):
        path = out / rel
        if path.resolve().is_relative_to(out.resolve()) and path.is_file():
            path.unlink()


def _write_truth(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(TRUTH_HEADER)
        w.writerows(rows)


def generate_sources(
    out_dir: str | Path, customers: int, seed: int = 0, messes: bool = True, profile: str | Profile = "default"
) -> Path:
    """Write sources under out_dir/{shop,sales,service}/ and the truth file; return the truth path.
    profile: how hard the messes are (demo/profiles.py: default, hard, or a Profile)."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    hardness = _profile(profile)
    out = Path(out_dir)
    _clear_previous(out)
    people = build_people(customers, seed)
    ev = people.events
    truth = {name: Truth() for name in ("tmall", "shopify", "sales", "call", "helpdesk")}

    with XlsxWriter(parallel=customers >= 20_000) as xlsx:
        # Sales first: their workbooks are written in the background while the rest renders.
        rng, _ = streams(seed, "sales")
        rd = Render(people, seed, "sales", messes, hardness)
        for f in sales_files(people, ev[:, SALES], customers, rd, rng):
            write_sales_file(out, f, people, rd, truth["sales"], xlsx)

        rng, _ = streams(seed, "tmall")
        who = rng.permutation(np.repeat(np.arange(customers), ev[:, TMALL])).tolist()
        rows, orders = tmall(
            people,
            who,
            Render(people, seed, "tmall", messes, hardness),
            rng,
            dt.date(2023, 1, 1),
            dt.date(2025, 10, 31),
            3_000_000_700_000_000_000,
            TMALL_FILE,
            truth["tmall"],
        )
        write_csv(out / TMALL_FILE, TMALL_HEADER, rows, "gbk")

        rng, _ = streams(seed, "shopify")
        rows = shopify(people, ev[:, SHOPIFY], Render(people, seed, "shopify", messes, hardness), rng, truth["shopify"])
        write_csv(out / SHOPIFY_FILE, SHOPIFY_HEADER, rows, "utf-8")

        rng, _ = streams(seed, "call")
        rows = call_centre(
            people, ev[:, CALL], orders, Render(people, seed, "call", messes, hardness), rng, truth["call"]
        )
        write_csv(out / CALL_FILE, CALL_HEADER, rows, "utf-8")

        rng, _ = streams(seed, "helpdesk")
        lines = helpdesk(
            people, ev[:, HELP], orders, Render(people, seed, "helpdesk", messes, hardness), rng, truth["helpdesk"]
        )
        (out / HELPDESK_FILE).write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    path = truth_path_for(out)
    _write_truth(path, [row for t in truth.values() for row in t.rows])
    return path


def _later_buyers(rng: np.random.Generator, existing: People, n_old: int, n_new: int, newcomers: int) -> list[int]:
    """Person indexes (into existing + newcomers) of a later export's orders, in random order."""
    eligible = np.flatnonzero(np.array(existing.in_cn, dtype=bool))
    # Returning buyers lean towards people who already ordered on Tmall.
    w = existing.events[eligible, TMALL] + 0.3
    old = rng.choice(eligible, n_old, p=w / w.sum()) if n_old else np.empty(0, dtype=np.int64)
    # Every newcomer orders at least once; some order again.
    new = len(existing) + np.concatenate([np.arange(newcomers), rng.integers(0, max(newcomers, 1), n_new - newcomers)])
    return rng.permutation(np.concatenate([old, new]).astype(np.int64)).tolist()


def generate_later_export(
    out_dir: str | Path,
    customers: int,
    seed: int,
    orders: int,
    file_name: str = "tmall_orders_2026.csv",
    profile: str | Profile = "default",
) -> Path:
    """A later shop export (Tmall format) for the SAME person pool as generate_sources(out_dir,
    customers, seed): ~85% of its orders from existing people, the rest from new people (person
    ids not used before); appends its rows to the truth file; returns the truth path. profile:
    how hard its messes are, as in generate_sources."""
    out = Path(out_dir)
    rel = f"shop/{file_name}"
    truth_path = truth_path_for(out)
    # Running the same export again replaces its rows in the truth instead of adding them twice.
    kept = [row for row in _read_truth(truth_path) if row[0] != rel]
    first_new_id = max([customers] + [int(row[3]) for row in kept]) + 1

    existing = build_people(customers, seed)
    stream = f"later:{file_name}"
    rng, _ = streams(seed, stream)
    n_new = int(round(orders * 0.15)) if any(existing.in_cn) else orders
    newcomers = max(1, int(round(n_new / 1.25))) if n_new else 0
    people = existing
    if newcomers:
        people = existing.concat(
            build_people(
                newcomers,
                seed,
                first_id=first_new_id,
                stream=stream + ":people",
                china_only=True,
                taken=existing.taken(),
            )
        )
    who = _later_buyers(rng, existing, orders - n_new, n_new, newcomers)

    year = int(m.group(1)) if (m := re.search(r"(20\d\d)", file_name)) else 2026
    # A number block of its own per export file, so order numbers never repeat across exports.
    base = 3_100_000_000_000_000_000 + (zlib.crc32(file_name.encode()) % 900) * 10**13
    truth = Truth()
    rows, _ = tmall(
        people,
        who,
        Render(people, seed, stream + ":rows", True, _profile(profile)),
        rng,
        dt.date(year, 1, 1),
        dt.date(year, 12, 31),
        base,
        rel,
        truth,
    )
    write_csv(out / rel, TMALL_HEADER, rows, "gbk")
    _write_truth(truth_path, kept + truth.rows)
    return truth_path


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Write demo customer sources and their truth file.")
    ap.add_argument("out_dir")
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--clean", action="store_true", help="no messes")
    ap.add_argument("--profile", choices=list(PROFILES), default="default", help="how hard the messes are")
    args = ap.parse_args()
    print(generate_sources(args.out_dir, args.customers, args.seed, messes=not args.clean, profile=args.profile))
