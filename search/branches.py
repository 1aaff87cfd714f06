"""Branches: named sets of salespeople and/or source systems that a staff account may be limited to.

A record belongs to a branch when its salesperson or its source system is one of the branch's. An
account limited to branches finds and opens only customers with at least one record of those
branches (its scope); an account with no branches is unscoped. A branch an account names that no
longer exists adds nothing: a limited account never sees more because a definition went missing.

Branches come from a YAML file (setting `branches_file`) and from the admin page (the
`staff_branches` state table); a name the file defines is the file's. The file:

    branches:
      east:
        salespeople: [李强, 王芳]
      online:
        source_systems: [tmall, shopify]
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

logger = logging.getLogger("unify.search")

_NAME_RE = re.compile(r"^[\w.\- ]{1,64}$")  # no commas: an account's branches are kept comma-separated
MEMBER_KINDS = ("salespeople", "source_systems")


class BranchError(ValueError):
    """A branch definition that cannot work, said in one line."""


@dataclass(frozen=True)
class Branch:
    name: str
    salespeople: frozenset[str] = frozenset()
    source_systems: frozenset[str] = frozenset()

    def holds(self, record: Mapping) -> bool:
        return record.get("salesperson") in self.salespeople or record.get("source_system") in self.source_systems


@dataclass(frozen=True)
class Scope:
    """What an account limited to branches may see: the union of its branches' members."""

    branches: tuple[str, ...]
    salespeople: frozenset[str]
    source_systems: frozenset[str]

    def holds(self, record: Mapping) -> bool:
        return record.get("salesperson") in self.salespeople or record.get("source_system") in self.source_systems

    def holds_system(self, source_system: str | None) -> bool:
        """A row that has only a source system (an order, a ticket)."""
        return source_system in self.source_systems

    def records_mask(self, records: pa.Table) -> np.ndarray:
        """For each row of a crosswalk table, whether the scope holds it."""
        held = np.zeros(records.num_rows, dtype=bool)
        for column, members in (("salesperson", self.salespeople), ("source_system", self.source_systems)):
            if members and column in records.column_names:
                found = pc.is_in(records[column], value_set=pa.array(sorted(members), pa.string()))
                held |= np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        return held


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise BranchError(f"not a valid branch name: {name!r} (letters, digits, space . _ -; at most 64; no commas)")
    return name


def make_branch(name: str, salespeople: Iterable[str] = (), source_systems: Iterable[str] = ()) -> Branch:
    members = {
        kind: frozenset(m.strip() for m in values if m and m.strip())
        for kind, values in (("salespeople", salespeople), ("source_systems", source_systems))
    }
    if not any(members.values()):
        raise BranchError(f"branch {name!r} names no salespeople and no source systems")
    return Branch(check_name(name), members["salespeople"], members["source_systems"])


def parse_branches(data) -> dict[str, Branch]:
    """The branches of a YAML document (already loaded): {"branches": {name: {salespeople, source_systems}}}."""
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("branches"), dict) or set(data) - {"branches"}:
        raise BranchError("the branches file must hold one mapping, branches: {name: {salespeople, source_systems}}")
    branches = {}
    for name, spec in data["branches"].items():
        if not isinstance(spec, dict) or set(spec) - set(MEMBER_KINDS):
            raise BranchError(f"branch {str(name)!r}: only salespeople and source_systems, each a list")
        lists = {kind: spec.get(kind) or [] for kind in MEMBER_KINDS}
        if any(not isinstance(v, list) or not all(isinstance(m, str | int) for m in v) for v in lists.values()):
            raise BranchError(f"branch {str(name)!r}: salespeople and source_systems are lists of names")
        branch = make_branch(str(name), *([str(m) for m in lists[kind]] for kind in MEMBER_KINDS))
        branches[branch.name] = branch
    return branches


def read_branches_file(path: Path) -> dict[str, Branch]:
    try:
        return parse_branches(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as exc:
        raise BranchError(f"cannot read the branches file {path}: {type(exc).__name__}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BranchError(f"the branches file {path} is not valid YAML{where}") from None


def account_branches(text: str | None) -> tuple[str, ...] | None:
    """An account's branches as staff_accounts.branches keeps them (comma-separated); None: unscoped."""
    names = tuple(sorted({n.strip() for n in (text or "").split(",") if n.strip()}))
    return names or None


def scope_of(names: Iterable[str] | None, branches: Mapping[str, Branch]) -> Scope | None:
    """The scope of an account limited to these branches; None for an unscoped account."""
    if not names:
        return None
    known = [branches[n] for n in names if n in branches]
    return Scope(
        tuple(sorted(names)),
        frozenset().union(*(b.salespeople for b in known)),
        frozenset().union(*(b.source_systems for b in known)),
    )


def branches_holding(records: Iterable[Mapping], branches: Mapping[str, Branch]) -> list[str]:
    """The names of the branches that hold any of these records."""
    records = list(records)
    return sorted(name for name, branch in branches.items() if any(branch.holds(r) for r in records))


class BranchFile:
    """The branches file, read again when it changes; a file that stops parsing keeps the last good
    branches (and logs why), so a typo does not widen or empty anyone's scope mid-day."""

    def __init__(self, path: str | Path | None):
        """Read at once: a file that cannot be read or parsed now is a BranchError (the server does not start)."""
        self.path = Path(path) if path else None
        self._branches: dict[str, Branch] = read_branches_file(self.path) if self.path else {}
        self._stamp = self._stat() if self.path else None
        self._lock = threading.Lock()

    def branches(self) -> dict[str, Branch]:
        if self.path is None:
            return {}
        stamp = self._stat()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._reload(stamp)
        return self._branches

    def _stat(self) -> tuple | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _reload(self, stamp: tuple | None) -> None:
        try:
            self._branches = read_branches_file(self.path)
        except BranchError as exc:
            logger.error("%s; keeping the %d branches read before", exc, len(self._branches))
        self._stamp = stamp
