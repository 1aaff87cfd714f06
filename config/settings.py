"""Every setting of the pipeline, the search and the command line, each default written once.

A setting `name` is read from the environment variable UNIFY_NAME (`work_dir` from
UNIFY_WORK_DIR); an empty variable counts as unset. The command line overrides the environment
(`unify run --warehouse URL`), and the Dagster resources start from these defaults
(pipelines/definitions.py). README.md lists every setting in one table.

A frozen dataclass rather than pydantic-settings: three value types (text, number, on/off) are
parsed in a few lines, settings can be read from any mapping (a test's, a schedule's), and a
bad value is refused with our own one-line message naming its variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

PREFIX = "UNIFY_"
# pairs scoring below this are never kept: not a match and not worth a review; so no review floor
# (nor any threshold placed on reviewers' labels, linkage.labels) lies below it
SCORE_FLOOR = 0.5
ENGINES = ("duckdb", "spark")  # where the heavy stages run (engines)
VALUE_BASES = ("spend", "predicted")  # what value tiers and the top 20% rank buyers by (marts/value.py)
ON, OFF = ("on", "true", "yes", "1"), ("off", "false", "no", "0")


class SettingsError(ValueError):
    """A setting that cannot work, said in one line that names its variable."""


@dataclass(frozen=True)
class Settings:
    warehouse: str = "duckdb:///data/warehouse.duckdb"  # SQLAlchemy URL: published tables and all state
    sources: str = "data/sources"  # the sources folder
    work_dir: str = "data/work"  # the work area: tables between steps; logs/ beside it
    model: str = ""  # a model file to score with instead of the warehouse's own; empty: none
    engine: str = "duckdb"  # where the heavy stages run: one of ENGINES
    spark_master: str = "local[2]"  # Spark master URL for engine spark
    match_threshold: float = 0.9  # pairs at or above this join one customer
    review_floor: float = 0.5  # pairs from here up to match_threshold go to the review queue
    reports_dir: str = "data/reports"  # run reports
    # value tiers and the top 20% by spend so far, or by the value model's predicted_value_12m: one of VALUE_BASES
    value_basis: str = "spend"
    truth: str = ""  # a truth CSV the accuracy check runs against; empty: skipped
    lock_timeout: float = 60.0  # seconds a connection waits for another program's DuckDB file lock
    # the memory each DuckDB database of a run may hold before it spills to the work area (a DuckDB
    # size: 4GB, 800MB, 2GiB); empty: half the machine's (memory_limit below)
    memory_limit: str = ""
    schedules: bool = False  # the nightly schedule and the sources sensor run
    nightly_cron: str = "0 2 * * *"  # when the nightly full refresh starts
    timezone: str = "UTC"  # the nightly cron's time zone
    secret_key: str = field(default="", repr=False)  # the search's session signing key; empty: random per start
    branches_file: str = ""  # the search's branches (YAML: search/branches.py); empty: only the admin page's
    # the secret erased people's tombstones are hashed with (sources/erasure.py); empty: `unify subject erase`
    # refuses, and so does a run on a warehouse that has tombstones
    tombstone_key: str = field(default="", repr=False)
    # where the search serves pages from, as people reach it: run reports link back to it (/reports/RUN)
    public_url: str = "http://127.0.0.1:8000"
    # the BI dashboard (`make bi`, bi/): Superset's state folder (its metadata database and the kept
    # secrets), its session signing key and its admin's password; each empty: generated once, kept there
    bi_home: str = ".superset"
    bi_secret_key: str = field(default="", repr=False)
    bi_admin_password: str = field(default="", repr=False)
    # alerts (pipelines/alerts.py): check warnings, a blocked publish, a failed run; each empty: not sent there
    alert_webhook: str = field(default="", repr=False)  # a URL a JSON message is POSTed to (often holds a token)
    alert_smtp: str = ""  # host:port of the mail server
    alert_from: str = "unify@localhost"
    alert_to: str = ""  # recipients, comma-separated
    alert_smtp_user: str = ""  # with a password: STARTTLS and login
    alert_smtp_password: str = field(default="", repr=False)
    # the warm worker (`unify worker`, pipelines/worker.py): its loopback port, and the secret a
    # hand-off must carry; empty: no worker starts and every run runs in its own process
    worker_port: int = 8765
    worker_secret: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise SettingsError(f"{env_name('engine')} is one of {', '.join(ENGINES)}, not {self.engine!r}")
        check_value_basis(self.value_basis)
        if self.lock_timeout < 0:
            raise SettingsError(f"{env_name('lock_timeout')} is a number of seconds, not {self.lock_timeout:g}")
        if not 0 < self.worker_port < 65536:
            raise SettingsError(f"{env_name('worker_port')} is a port from 1 to 65535, not {self.worker_port}")
        check_thresholds(self.match_threshold, self.review_floor)
        if self.memory_limit:
            memory_bytes(self.memory_limit)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **overrides) -> Settings:
        """Settings from the environment; overrides (the command line's options) win where not None."""
        read = {f.name: value for f in fields(cls) if (value := env_value(f.name, env)) is not None}
        return cls(**{**read, **{name: value for name, value in overrides.items() if value is not None}})


def env_name(setting: str) -> str:
    return PREFIX + setting.upper()


def env_value(setting: str, env: Mapping[str, str] = os.environ):
    """One setting as the environment gives it, parsed to its type; None when unset or empty."""
    text = env.get(env_name(setting), "").strip()
    if not text:
        return None
    default = getattr(DEFAULTS, setting)
    if isinstance(default, bool):
        if text.lower() not in ON + OFF:
            raise SettingsError(f"{env_name(setting)} is on or off, not {text!r}")
        return text.lower() in ON
    if isinstance(default, int):
        if not text.isdigit():
            raise SettingsError(f"{env_name(setting)} is a whole number, not {text!r}")
        return int(text)
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise SettingsError(f"{env_name(setting)} is a number, not {text!r}") from None
    return text


def setting(name: str, env: Mapping[str, str] = os.environ):
    """One setting from the environment, else its default: for code that needs one value, not all."""
    value = env_value(name, env)
    return getattr(DEFAULTS, name) if value is None else value


def check_value_basis(basis: str) -> None:
    """The value basis is one of VALUE_BASES (checked for the settings and the resource alike)."""
    if basis not in VALUE_BASES:
        raise SettingsError(f"{env_name('value_basis')} is one of {', '.join(VALUE_BASES)}, not {basis!r}")


def check_thresholds(match_threshold: float, review_floor: float) -> None:
    """The decision thresholds must make sense together: no review floor below the score floor
    (the pairs under it are never scored, so it would silently act as the floor), and a match
    threshold above the review floor and at most 1."""
    floor, match = env_name("review_floor"), env_name("match_threshold")
    if review_floor < SCORE_FLOOR:
        raise SettingsError(
            f"review floor {review_floor:g} ({floor}) is below the score floor {SCORE_FLOOR:g}: pairs under it are never scored"
        )
    if not review_floor < match_threshold <= 1:
        raise SettingsError(
            f"match threshold {match_threshold:g} ({match}) must be above the review floor {review_floor:g} ({floor}) and at most 1"
        )


SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
SIZE_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
MIN_MEMORY = 256 * 10**6  # 256MB: below this Splink's linker cannot hold one block of pairs


def memory_bytes(size: str) -> int:
    """A DuckDB-style size ('4GB', '800MB', '1.5GiB') in bytes; refused with the setting's name."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", size.lower())
    if not found or found.group(2) not in SIZE_UNITS:
        raise SettingsError(f"{env_name('memory_limit')} is a size such as 4GB or 800MB, not {size!r}")
    value = int(float(found.group(1)) * SIZE_UNITS[found.group(2)])
    if value < MIN_MEMORY:
        raise SettingsError(f"{env_name('memory_limit')} is at least 256MB, not {size!r}")
    return value


def memory_limit(size: str) -> int:
    """The memory limit in bytes: the setting's size, or when it is empty half of what this machine
    gives the process (the smaller of its RAM and its cgroup's limit): the other half is left to
    the Arrow tables the steps hold and to the rest of the machine."""
    return memory_bytes(size) if size else max(machine_memory() // 2, MIN_MEMORY)


def machine_memory(cgroup_root: str = "/sys/fs/cgroup") -> int:
    """Bytes of memory this process may use: physical RAM, or less when a cgroup limits it (v2 or v1)."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for name in ("memory.max", "memory/memory.limit_in_bytes"):
        try:
            with open(os.path.join(cgroup_root, name)) as limit:
                text = limit.read().strip()
        except OSError:
            continue
        if text.isdigit():  # 'max' (v2) or a huge number (v1) mean no limit
            return min(physical, int(text))
    return physical


DEFAULTS = Settings()  # the defaults alone, no environment: what the resources start from
