"""Times, ids and files shared by every source kind: random times, unique order numbers, date
styles, CSV and XLSX writers (byte-identical: fixed zip stamps), and the truth rows a file adds."""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()

_ZIP_TIME = (2025, 1, 1, 0, 0, 0)

_FIXED_STAMP = dt.datetime(2025, 1, 1)


def random_times(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> np.ndarray:
    """Random wall-clock seconds in [start, end), as datetime64[s], sorted ascending."""
    span = (end - start).days * 86400
    secs = np.sort(rng.integers(0, span, n))
    return np.datetime64(start.isoformat(), "s") + secs.astype("timedelta64[s]")


def time_strings(times: np.ndarray) -> list[str]:
    return [s.replace("T", " ") for s in np.datetime_as_string(times, unit="s").tolist()]


def unique_ids(rng: np.random.Generator, n: int, base: int, mean_gap: int) -> list[int]:
    """n distinct ids above base, in random order (19-digit order numbers never repeat)."""
    ids = base + np.cumsum(rng.integers(1, 2 * mean_gap, n, dtype=np.int64))
    return rng.permutation(ids).tolist()


def date_text(d: dt.date | None, style: str):
    if d is None:
        return None
    if style == "serial":
        return 1 if d.year == 1900 else d.toordinal() - _EXCEL_EPOCH  # Excel's own 1900-01-01
    if style == "cn":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "dmy":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == "mdy":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    return d.isoformat()


def write_csv(path: Path, header: list, rows: list, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


class _FixedTimeZip(zipfile.ZipFile):
    """openpyxl stamps zip entries with the wall clock; fixed stamps keep files byte-identical."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            zinfo.compress_type = self.compression
            zinfo.external_attr = 0o600 << 16
            zinfo_or_arcname = zinfo
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as fh:
            self.writestr(arcname or Path(filename).name, fh.read())


def write_xlsx(path: Path, sheets: list[tuple[str, list | None, list, list]]) -> None:
    """sheets: (name, title row or None, header, rows). openpyxl write-only, fixed timestamps."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = _FIXED_STAMP
    for name, title, header, rows in sheets:
        ws = wb.create_sheet(name)
        if title is not None:
            ws.append(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    ExcelWriter(wb, _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()


class XlsxWriter:
    """Writes workbooks, in two worker processes for big runs: openpyxl serialises cell by cell and
    is most of a large run, so the workers write sheets while this process renders the other
    sources. Small runs write in process. The workers are spawned, not forked: a fork of a process
    with other threads running (a test process after a Dagster run) once crashed in the child's
    garbage collector, and the sheets are sent to the workers pickled either way."""

    def __init__(self, parallel: bool):
        self.pool = None
        self.futures = []
        if parallel:
            self.pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))

    def write(self, path: Path, sheets: list) -> None:
        if self.pool is None:
            write_xlsx(path, sheets)
        else:
            self.futures.append(self.pool.submit(write_xlsx, path, sheets))

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if self.pool is None:
            return
        try:
            if exc_type is None:
                for fut in self.futures:
                    fut.result()  # re-raise a worker's error here
        finally:
            self.pool.shutdown(cancel_futures=exc_type is not None)


class Truth:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, source_file: str, sheet: str, row_number: int, pid: int, opt_out: bool) -> None:
        self.rows.append((source_file, sheet, row_number, pid, int(bool(opt_out))))
