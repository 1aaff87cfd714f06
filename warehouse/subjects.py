"""Data-subject requests: export everything held about a person, erase them for good, correct them.

What `unify subject export|erase|rectify` and the admin pages share. Each request leaves a receipt
in `subject_requests` (who, when, what, result; figures only, never the person's data), and like
every state table it survives every rebuild.

* export: every row of every warehouse table that names the customer (golden record, source rows
  with lineage, field lineage, orders, tickets, consent, ID history, the marts, review pairs,
  corrections), the rows as the work area read them from the sources, and who viewed them (the
  audit log).
* erase: those rows deleted from every published and state table and from the work area, the
  person's source rows put in quarantine with the erasure reason (lineage key only), and
  tombstones kept: keyed hashes of the rows' lineage keys and the person's own identifiers
  (sources/erasure.py), which every later run honours. The audit log keeps its entries (customer
  ID and action only): it is the record of who saw the person.
* rectify: a correction of one golden field, kept in `subject_corrections`; survivorship prefers it
  over every source from the next run on (linkage/survivorship.apply_corrections).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, insert, inspect, select, text

from common import arrow_files
from common.clock import utc_now
from sources import erasure
from sources.ingest import FILE_REPORT_SCHEMA
from sources.schema import CANONICAL_SCHEMA, LINEAGE_COLUMNS, QUARANTINE_SCHEMA, STAGED_SCHEMA
from sources.standardise.dates import parse_date, plausible_birth_date
from sources.standardise.emails import normalise_email
from sources.standardise.names import parse_name
from sources.standardise.phones import usable_phones
from warehouse.lock import run_lock
from warehouse.publish import ensure_state_tables
from warehouse.tables import (
    audit_log,
    customer_source_records,
    golden_customers,
    quarantined_records,
    subject_corrections,
    subject_requests,
    subject_tombstones,
)

KINDS = ("export", "erase", "rectify")
LineageKey = tuple[str, str, int]
CUSTOMER_COLUMNS = ("customer_id", "left_customer_id", "right_customer_id")
SIDES = ("", "left_", "right_")  # lineage columns as they are named in a table: plain or per side of a pair
# kept by an erasure: the receipts and tombstones themselves, and who saw the person (an ID, never a value)
KEPT = {subject_requests.name, subject_tombstones.name, audit_log.name}
# the golden fields a request may correct: those survivorship chooses (name_pinyin follows display_name)
CORRECTABLE = ("display_name", "phone", "email", "wechat", "birth_date", "address", "province", "city", "district")


class SubjectError(ValueError):
    """A request that cannot be served, said in one line without the person's data."""


# ---------------------------------------------------------------- receipts


def _receipt(
    conn: Connection, kind: str, customer_id: str, by: str, result: str, detail: dict, request_id: str | None = None
) -> str:
    request_id = request_id or uuid.uuid4().hex
    values = {
        "request_id": request_id,
        "kind": kind,
        "customer_id": customer_id,
        "requested_by": by,
        "requested_at": utc_now(),
        "result": result,
        "detail": json.dumps(detail, sort_keys=True),
    }
    conn.execute(insert(subject_requests).values(**values))
    return request_id


def _refused(engine: Engine, kind: str, customer_id: str, by: str, reason: str) -> SubjectError:
    """The receipt of a refused request, and the error to raise."""
    with engine.begin() as conn:
        ensure_state_tables(conn)
        _receipt(conn, kind, customer_id, by, "refused", {"reason": reason})
    return SubjectError(reason)


def requests(engine: Engine, limit: int = 100) -> list[dict]:
    """The receipts, newest first."""
    with engine.begin() as conn:
        ensure_state_tables(conn)
        query = select(subject_requests).order_by(subject_requests.c.requested_at.desc()).limit(limit)
        return [dict(r) for r in conn.execute(query).mappings()]


# ---------------------------------------------------------------- finding the person


def _tables(conn: Connection) -> dict[str, list[str]]:
    """Every table of the warehouse with its columns (the ones this code base declares and any other)."""
    names = inspect(conn).get_table_names()
    return {name: list(conn.exec_driver_sql(f'select * from "{name}" limit 0').keys()) for name in sorted(names)}


def _published(conn: Connection, customer_id: str) -> bool:
    if not inspect(conn).has_table(golden_customers.name):
        return False
    found = conn.execute(select(golden_customers.c.customer_id).where(golden_customers.c.customer_id == customer_id))
    return found.first() is not None


def _lineage_condition(prefix: str, keys: list[LineageKey], params: dict) -> str:
    """SQL: the row's lineage key (columns with this prefix) is one of keys; its values go to params."""
    terms = []
    for i, key in enumerate(keys):
        names = [f"{prefix}k{i}_{n}" for n in range(3)]
        params.update(zip(names, key))
        columns = [f'"{prefix}{c}"' for c in LINEAGE_COLUMNS]
        terms.append("(" + " and ".join(f"{c} = :{n}" for c, n in zip(columns, names)) + ")")
    return "(" + " or ".join(terms) + ")" if terms else "false"


def _naming(columns: list[str], customer_id: str, keys: list[LineageKey]) -> tuple[str, dict] | None:
    """(SQL condition, parameters) for the rows of a table with these columns that name the person;
    None when none of its columns can."""
    params: dict = {"customer_id": customer_id}
    terms = [f'"{c}" = :customer_id' for c in CUSTOMER_COLUMNS if c in columns]
    for side in SIDES:
        if all(f"{side}{c}" in columns for c in LINEAGE_COLUMNS):
            terms.append(_lineage_condition(side, keys, params))
    return (" or ".join(terms), params) if terms else None


def _rows(conn: Connection, table: str, condition: str, params: dict) -> list[dict]:
    return [dict(r) for r in conn.execute(text(f'select * from "{table}" where {condition}'), params).mappings()]


def _source_keys(conn: Connection, customer_id: str) -> list[LineageKey]:
    rows = conn.execute(
        text(f"select {', '.join(LINEAGE_COLUMNS)} from customer_source_records where customer_id = :c"),
        {"c": customer_id},
    ).all()
    return sorted((f, s, int(r)) for f, s, r in rows)


# ---------------------------------------------------------------- export


def export(engine: Engine, customer_id: str, requested_by: str, work_dir: Path | None = None) -> dict:
    """Everything held about the customer, as one JSON-ready document; the request's receipt."""
    with engine.begin() as conn:
        ensure_state_tables(conn)
        published = _published(conn, customer_id)
    if not published:
        raise _refused(engine, "export", customer_id, requested_by, f"no customer {customer_id} is published")
    with engine.begin() as conn:
        keys = _source_keys(conn, customer_id)
        held = {}
        for table, columns in _tables(conn).items():
            naming = _naming(columns, customer_id, keys) if table not in KEPT else None
            rows = _rows(conn, table, *naming) if naming else []
            if rows:
                held[table] = rows
        viewed = _rows(conn, audit_log.name, '"target" = :customer_id', {"customer_id": customer_id})
        as_read = _work_rows(work_dir, keys) if work_dir else []
        figures = {table: len(rows) for table, rows in held.items()}
        request_id = _receipt(conn, "export", customer_id, requested_by, "done", {"rows": figures})
    return {
        "customer_id": customer_id,
        "request_id": request_id,
        "exported_at": utc_now(),
        "exported_by": requested_by,
        "golden_record": (held.get(golden_customers.name) or [None])[0],
        "source_records": held.get("customer_source_records", []),
        "source_rows_as_read": as_read,
        "viewed_by": sorted(viewed, key=lambda r: r["at"]),
        "tables": held,
    }


def _work_rows(work_dir: Path, keys: list[LineageKey]) -> list[dict]:
    """The person's rows as the last run read them from the sources (the work area's staged records)."""
    for path in arrow_files.tables_in(Path(work_dir)):
        table = arrow_files.read_table(path)
        if table.schema.names == STAGED_SCHEMA.names:
            return table.filter(_lineage_mask(table, "", set(keys))).to_pylist()
    return []


def to_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True, default=_plain)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


# ---------------------------------------------------------------- erase


def erase(
    engine: Engine,
    customer_id: str,
    requested_by: str,
    key: str,
    work_dir: Path | None = None,
    wait_seconds: float = 60.0,
) -> dict:
    """Remove the customer from the warehouse and the work area, keep tombstones, and a receipt.

    Holds the warehouse's run lock: a run that read the person before the erasure must not
    publish them again after it."""
    if not key:
        raise SubjectError("erasure needs UNIFY_TOMBSTONE_KEY: the secret its tombstones are hashed with")
    with run_lock(str(engine.url.render_as_string(hide_password=False)), wait_seconds):
        with engine.begin() as conn:
            ensure_state_tables(conn)
            check_key(conn, key)
            published = _published(conn, customer_id)
        if not published:
            raise _refused(engine, "erase", customer_id, requested_by, f"no customer {customer_id} is published")
        canonical = _canonical(work_dir)
        with engine.begin() as conn:
            keys = _source_keys(conn, customer_id)
            found = _own_identifiers(conn, customer_id, keys, canonical)
            request_id = uuid.uuid4().hex
            removed = _delete_everywhere(conn, customer_id, keys)
            _quarantine(conn, keys)
            _bury(conn, key, keys, found, request_id, requested_by)
            detail = {"rows_removed": removed, "source_rows": len(keys), "identifiers": len(found)}
            _receipt(conn, "erase", customer_id, requested_by, "done", detail, request_id)
        detail["work_area_rows_removed"] = scrub_work_area(Path(work_dir), customer_id, keys) if work_dir else {}
    return {"request_id": request_id, **detail}


def check_key(conn: Connection, key: str) -> None:
    """Refuse a key other than the one the tombstones were made with: they would match nothing."""
    made_with = set(conn.execute(select(subject_tombstones.c.key_id).distinct()).scalars())
    if made_with - {erasure.key_id(key)}:
        raise SubjectError(
            "UNIFY_TOMBSTONE_KEY is not the key earlier erasures were made with: with it, erased people would come back"
        )


def read_tombstones(engine: Engine, key: str) -> frozenset[str]:
    """The tombstone hashes a run honours; TombstoneKeyError when there are some and the key cannot match them."""
    with engine.connect() as conn:
        present = inspect(conn).has_table(subject_tombstones.name)
        rows = conn.execute(select(subject_tombstones.c.key_hash, subject_tombstones.c.key_id)).all() if present else []
    if rows and not key:
        raise erasure.TombstoneKeyError(
            f"{len(rows)} tombstones of erased people need UNIFY_TOMBSTONE_KEY, or this run would bring them back"
        )
    if any(made_with != erasure.key_id(key) for _, made_with in rows):
        raise erasure.TombstoneKeyError(
            "UNIFY_TOMBSTONE_KEY is not the key the tombstones were made with: this run would bring erased people back"
        )
    return frozenset(h for h, _ in rows)


def _canonical(work_dir: Path | None) -> pa.Table | None:
    """The work area's canonical records (every phone, the national id), when it has them."""
    for path in arrow_files.tables_in(Path(work_dir)) if work_dir else []:
        table = arrow_files.read_table(path)
        if table.schema.names == CANONICAL_SCHEMA.names:
            return table
    return None


def _own_identifiers(
    conn: Connection, customer_id: str, keys: list[LineageKey], canonical: pa.Table | None
) -> set[tuple[str, str]]:
    """The person's standardised identifiers that no other customer carries: a phone shared with
    someone else (a family line, a switchboard, a placeholder) is not theirs to erase; their rows
    are tombstoned by lineage key all the same."""
    mine, others = set(), set()
    records = customer_source_records.c
    mine_rows = conn.execute(
        select(records.phone, records.email, records.wechat).where(records.customer_id == customer_id)
    ).all()
    for phone, email, wechat in mine_rows:
        mine |= erasure.identifiers([phone] if phone else [], email, wechat)
    if canonical is not None:
        theirs = _lineage_mask(canonical, "", set(keys))
        mine |= _identifiers_among(canonical.filter(theirs), None)
        others |= _identifiers_among(canonical.filter(pc.invert(theirs)), mine)
    for kind in ("phone", "email", "wechat"):
        values = sorted(v for k, v in mine if k == kind)
        if values:
            column = records[kind]
            shared = select(column).where(records.customer_id != customer_id, column.in_(values)).distinct()
            others |= {(kind, v) for v in conn.execute(shared).scalars()}
    return mine - others


def _identifiers_among(records: pa.Table, wanted: set[tuple[str, str]] | None) -> set[tuple[str, str]]:
    """The identifiers the canonical records carry (of `wanted` only, when given)."""
    found = set()
    for row in records.select(["phones", "email_std", "wechat_std", "national_id"]).to_pylist():
        found |= erasure.identifiers(row["phones"] or [], row["email_std"], row["wechat_std"], row["national_id"])
        if wanted is not None:
            found &= wanted
    return found


def _delete_everywhere(conn: Connection, customer_id: str, keys: list[LineageKey]) -> dict[str, int]:
    """Delete every row that names the person, in every table but the kept ones; rows per table."""
    removed = {}
    for table, columns in _tables(conn).items():
        if table in KEPT:
            continue
        naming = _naming(columns, customer_id, keys)
        if naming is not None:
            result = conn.execute(text(f'delete from "{table}" where {naming[0]}'), naming[1])
            if result.rowcount:
                removed[table] = result.rowcount
        if "related_customer_id" in columns:  # another ID's history names theirs: the event stays, the name goes
            conn.execute(
                text(f'update "{table}" set related_customer_id = null where related_customer_id = :c'),
                {"c": customer_id},
            )
    return removed


def _quarantine(conn: Connection, keys: list[LineageKey]) -> None:
    """The person's source rows in quarantine with the erasure reason, as later runs put them there."""
    if keys and inspect(conn).has_table(quarantined_records.name):
        rows = [{**dict(zip(LINEAGE_COLUMNS, k)), "reason": erasure.ERASED_REASON, "raw": None} for k in keys]
        conn.execute(insert(quarantined_records), rows)


def _bury(
    conn: Connection, key: str, keys: list[LineageKey], found: Iterable[tuple[str, str]], request_id: str, by: str
) -> None:
    """The tombstones: hashes of the lineage keys and identifiers, each kept once."""
    named = [(erasure.LINEAGE_KIND, erasure.lineage_value(*k)) for k in keys] + sorted(found)
    hashes = {erasure.tombstone_hash(key, kind, value): kind for kind, value in named}
    known = set(conn.execute(select(subject_tombstones.c.key_hash)).scalars())
    at, fingerprint = utc_now(), erasure.key_id(key)
    rows = [
        {"key_hash": h, "kind": kind, "key_id": fingerprint, "request_id": request_id, "erased_at": at, "erased_by": by}
        for h, kind in hashes.items()
        if h not in known
    ]
    if rows:
        conn.execute(insert(subject_tombstones), rows)


# ---------------------------------------------------------------- the work area


def _lineage_mask(table: pa.Table, side: str, keys: set[LineageKey]) -> pa.Array:
    """Rows whose lineage key (with this prefix) is one of keys; only rows of the keys' files are looked at."""
    files = pa.array(sorted({k[0] for k in keys}), pa.string())
    candidate = pc.fill_null(pc.is_in(table.column(f"{side}source_file"), files), False)
    if not pc.any(candidate).as_py():
        return candidate
    flags = candidate.to_pylist()
    columns = [table.column(f"{side}{c}") for c in LINEAGE_COLUMNS]
    for i in (i for i, flag in enumerate(flags) if flag):
        flags[i] = tuple(c[i].as_py() for c in columns) in keys
    return pa.array(flags, pa.bool_())


def _naming_mask(table: pa.Table, customer_id: str, keys: set[LineageKey]) -> pa.Array | None:
    names = table.schema.names
    masks = [pc.fill_null(pc.equal(table.column(c), customer_id), False) for c in CUSTOMER_COLUMNS if c in names]
    masks += [_lineage_mask(table, side, keys) for side in SIDES if all(f"{side}{c}" in names for c in LINEAGE_COLUMNS)]
    if not masks:
        return None
    mask = masks[0]
    for more in masks[1:]:
        mask = pc.or_(mask, more)
    return mask


def scrub_work_area(folder: Path, customer_id: str, keys: list[LineageKey]) -> dict[str, int]:
    """Remove the person from every Arrow file of the work area (its published/ copies too);
    rows removed per file. Files are known by their columns, not their names: staged rows
    become quarantine rows (lineage and reason only) with the file reports recounted, as a run
    that read them would have; scored pairs and record lists lose the person's record ids."""
    removed: dict[str, int] = {}
    wanted = set(keys)
    for directory in sorted({p.parent for p in Path(folder).rglob("*.arrow")}):
        files = {p: arrow_files.read_table(p) for p in arrow_files.tables_in(directory)}
        record_ids = pa.array([], pa.int64())
        for path, table in files.items():
            names = table.schema.names
            if names == STAGED_SCHEMA.names:
                _scrub_staged(files, path, table, wanted, removed)
                continue
            if names == CANONICAL_SCHEMA.names:
                mask = _lineage_mask(table, "", wanted)
                record_ids = table.column("record_id").filter(mask).combine_chunks()
            else:
                mask = _naming_mask(table, customer_id, wanted)
            if mask is not None and pc.any(mask).as_py():
                arrow_files.write_table(path, table.filter(pc.invert(mask)))
                removed[str(path.relative_to(folder))] = pc.sum(mask).as_py()
        _scrub_record_ids(files, record_ids, folder, removed)
    return removed


def _scrub_staged(files: dict, path: Path, staged: pa.Table, keys: set[LineageKey], removed: dict) -> None:
    mask = _lineage_mask(staged, "", keys)
    if not pc.any(mask).as_py():
        return
    kept, rows, moved = erasure.quarantine_rows(staged, mask)
    for other, table in files.items():
        if table.schema.names == QUARANTINE_SCHEMA.names:
            arrow_files.write_table(other, pa.concat_tables([table, rows.cast(table.schema)]))
        elif table.schema.names == FILE_REPORT_SCHEMA.names:
            arrow_files.write_table(other, erasure.recount(table, moved))
    arrow_files.write_table(path, kept)
    removed[path.name] = rows.num_rows


def _scrub_record_ids(files: dict, record_ids: pa.Array, folder: Path, removed: dict) -> None:
    """Tables of record ids alone (scored pairs, the records scored) lose the person's."""
    if len(record_ids) == 0:
        return
    for path, table in files.items():
        names = table.schema.names
        columns = [c for c in ("record_id_l", "record_id_r") if c in names] or (
            ["record_id"] if names == ["record_id"] else []
        )
        if not columns or "customer_id" in names:
            continue
        mask = pc.is_in(table.column(columns[0]), record_ids)
        for more in columns[1:]:
            mask = pc.or_(mask, pc.is_in(table.column(more), record_ids))
        if pc.any(mask).as_py():
            arrow_files.write_table(path, table.filter(pc.invert(mask)))
            removed[str(path.relative_to(folder))] = pc.sum(mask).as_py()


# ---------------------------------------------------------------- rectify


def standardised_value(field: str, value: str) -> dict[str, str]:
    """The golden columns a correction of `field` sets, standardised as the sources' values are;
    SubjectError for a field that cannot be corrected or a value that cannot be used."""
    if field not in CORRECTABLE:
        raise SubjectError(f"cannot correct {field!r}: one of {', '.join(CORRECTABLE)}")
    value = (value or "").strip()
    if not value:
        raise SubjectError(f"a correction of {field} needs a value")
    if field == "phone":
        phones = usable_phones(value)
        if not phones:
            raise SubjectError("the phone given is not a usable phone number")
        return {"phone": phones[0]}
    if field == "email":
        email = normalise_email(value)
        if not email:
            raise SubjectError("the email given is not a valid email address")
        return {"email": email}
    if field == "birth_date":
        born = plausible_birth_date(parse_date(value))
        if born is None:
            raise SubjectError("the birth date given is not a plausible date")
        return {"birth_date": born.isoformat()}
    if field == "display_name":
        name = parse_name(value)
        return {"display_name": name.name or value, **({"name_pinyin": name.pinyin} if name.pinyin else {})}
    return {field: value}


def rectify(engine: Engine, customer_id: str, field: str, value: str, requested_by: str) -> dict:
    """Keep a correction of one golden field; survivorship prefers it from the next run on."""
    try:
        columns = standardised_value(field, value)
    except SubjectError as exc:
        raise _refused(engine, "rectify", customer_id, requested_by, str(exc)) from None
    with engine.begin() as conn:
        ensure_state_tables(conn)
        published = _published(conn, customer_id)
    if not published:
        raise _refused(engine, "rectify", customer_id, requested_by, f"no customer {customer_id} is published")
    c = subject_corrections.c
    with engine.begin() as conn:
        request_id = _receipt(conn, "rectify", customer_id, requested_by, "done", {"fields": sorted(columns)})
        for name, corrected in columns.items():
            conn.execute(subject_corrections.delete().where(c.customer_id == customer_id, c.field == name))
            conn.execute(
                insert(subject_corrections).values(
                    customer_id=customer_id,
                    field=name,
                    value=corrected,
                    request_id=request_id,
                    corrected_by=requested_by,
                    corrected_at=utc_now(),
                )
            )
    return {"request_id": request_id, "fields": sorted(columns)}


def read_corrections(engine: Engine) -> pa.Table:
    """Every correction by request (customer_id, field, value, request_id), for survivorship."""
    c = subject_corrections.c
    with engine.begin() as conn:
        ensure_state_tables(conn)
        rows = conn.execute(select(c.customer_id, c.field, c.value, c.request_id)).all()
    schema = pa.schema([(n, pa.string()) for n in ("customer_id", "field", "value", "request_id")])
    return pa.Table.from_pylist([dict(r._mapping) for r in rows], schema=schema)
