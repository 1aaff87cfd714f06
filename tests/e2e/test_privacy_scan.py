"""No personal data leaves the warehouse: one `unify run` on generated sources, then every file it
left outside the warehouse (the Dagster instance, the run reports, the log file, the model) and
everything it printed are searched for the customers' emails, phones, names, WeChat IDs, addresses
and birth dates, read back from the tables it published."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import phonenumbers
import pytest

from demo.generate import generate_sources

CUSTOMERS, SEED = 150, 5
PROJECT = Path(__file__).resolve().parents[2]
UNIFY = Path(sys.executable).parent / "unify"
MIN_TEXT = 6  # shorter WeChat IDs and addresses are too common to mean one person
CJK = re.compile(r"[\u4e00-\u9fff]")

# (kind, SQL of its values) over the published tables
VALUES_SQL = {
    "email": "select email from golden_customers union select email from customer_source_records",
    "phone": "select phone from golden_customers union select phone from customer_source_records",
    "phone as written": "select phone_display from customer_source_records where phone_display not like '%*%'",
    "name": "select display_name from golden_customers union select name from customer_source_records",
    "wechat": "select wechat from golden_customers union select wechat from customer_source_records",
    "address": "select address from golden_customers union select address from customer_source_records",
    "birth date": "select strftime(birth_date, '%Y-%m-%d') from golden_customers",
}
STAFF_SQL = "select distinct salesperson from customer_source_records where salesperson is not null"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """`unify run` as `make demo` runs it, in a subprocess with everything it writes in tmp."""
    tmp = tmp_path_factory.mktemp("privacy")
    generate_sources(tmp / "sources", customers=CUSTOMERS, seed=SEED)
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT / ".dagster" / "dagster.yaml", home)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UNIFY_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(home), UNIFY_REPORTS_DIR=str(tmp / "reports"), UNIFY_WORK_DIR=str(tmp / "data/work"))
    done = subprocess.run(
        [UNIFY, "run", "--sources", tmp / "sources", "--warehouse", f"duckdb:///{tmp}/warehouse.duckdb"],
        cwd=tmp,
        env=env,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    return tmp, done


def personal_values(warehouse: Path) -> list[tuple[str, str]]:
    """(kind, value) of every contact detail, name, address and birth date the warehouse holds."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = {(kind, v) for kind, sql in VALUES_SQL.items() for (v,) in con.execute(sql).fetchall() if v}
        staff = {v for (v,) in con.execute(STAFF_SQL).fetchall()}
    forms = set()
    for kind, value in found:
        if kind == "phone":
            forms.add(("phone national", str(phonenumbers.parse(value).national_number)))
        if kind == "name" and value in staff:
            continue  # a customer named like a salesperson: the salesperson's sheet is named so (staff, not a customer)
        if _searchable(kind, value):
            forms.add((kind, value))
    return sorted(forms)


def _searchable(kind: str, value: str) -> bool:
    """Chinese names of two characters or more, other names in full (two words or more); other texts
    long enough to be one person's."""
    if kind == "name":
        return len(value) >= 2 if CJK.search(value) else len(value.split()) >= 2
    return kind not in ("wechat", "address") or len(value) >= MIN_TEXT


def patterns(value: str) -> list[tuple[bytes, re.Pattern]]:
    """The value as UTF-8, as JSON escapes it (\\uXXXX), as HTML escapes it: each as bytes to find, and
    its pattern (digits not inside a longer number)."""
    forms = {value, json.dumps(value)[1:-1], html.escape(value)}
    edge = r"(?<![0-9])" if value[0].isdigit() else ""
    tail = r"(?![0-9])" if value[-1].isdigit() else ""
    return [(f.encode(), re.compile(edge.encode() + re.escape(f.encode()) + tail.encode())) for f in forms]


def haystacks(tmp: Path, done) -> dict[str, bytes]:
    """Everything the run left outside the warehouse: by file (relative to tmp) or stream."""
    folders = [tmp / "dagster_home", tmp / "reports", tmp / "data" / "logs", tmp / "data" / "model"]
    found = {"<stdout>": done.stdout, "<stderr>": done.stderr}
    for path in (p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()):
        name = str(path.relative_to(tmp))
        found[name] = path.read_bytes()
        if path.suffix == ".db":
            found[name + " (rows)"] = sqlite_text(path)
    return found


def sqlite_text(path: Path) -> bytes:
    """Every text of every row of a SQLite database (a long text spans overflow pages in the file)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        names = [n for (n,) in con.execute("select name from sqlite_master where type = 'table'")]
        rows = [r for n in names for r in con.execute(f'select * from "{n}"')]
    return "\n".join(str(v) for r in rows for v in r if isinstance(v, (str, bytes))).encode()


def leaks(values: list[tuple[str, str]], texts: dict[str, bytes]) -> Counter:
    """(where, kind) -> how many values of that kind were found there."""
    hits = Counter()
    for kind, value in values:
        compiled = patterns(value)
        for where, text in texts.items():
            if any(form in text and pattern.search(text) for form, pattern in compiled):
                hits[(where, kind)] += 1
    return hits


def test_no_personal_data_outside_the_warehouse(run):
    tmp, done = run
    values = personal_values(tmp / "warehouse.duckdb")
    assert {kind for kind, _ in values} >= {"email", "phone", "phone national", "phone as written", "name"}
    hits = leaks(values, haystacks(tmp, done))
    for (where, kind), n in sorted(hits.items()):
        print(f"{n:>5} {kind:<16} in {where}")  # the kind and the place, never the value
    assert not hits, f"{sum(hits.values())} personal values found outside the warehouse"


def test_the_terminal_shows_the_summary_and_the_log_file_the_chatter(run):
    tmp, done = run
    out, err = done.stdout.decode(), done.stderr.decode()
    assert out.startswith("run ") and "published" in out.splitlines()[0]
    assert err == "", err[:2000]
    log = (tmp / "data" / "logs" / "unify.log").read_text(encoding="utf-8")
    assert "not observed in dataset" in log  # Splink's training warnings


def test_the_scan_finds_values_as_json_and_html_escape_them_and_not_inside_longer_numbers():
    values = [("name", "王芳"), ("name", "Seán O'Brien"), ("phone national", "13812345678")]
    texts = {
        "event": json.dumps({"preview": "| 王芳 |"}).encode(),
        "page": b"<td>Se\xc3\xa1n O&#x27;Brien</td>",
        "number": b"order 3000013812345678001",
    }
    assert leaks(values, texts) == Counter({("event", "name"): 1, ("page", "name"): 1})
