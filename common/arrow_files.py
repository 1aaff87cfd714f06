"""Arrow tables as files: uncompressed Arrow IPC, memory-mapped when read.

A mapped table costs nothing until a column is used, and its pages are the file's, which the
kernel can drop and read again, not the process's own memory. Every table a run hands from one
place to another (the work area, the reading's workers, a scrubbed work file) goes through here.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc


def fresh_path(folder: Path | None = None, prefix: str = "") -> Path:
    """A new, empty .arrow file's path in folder (None: the temporary folder), no descriptor left open."""
    descriptor, name = tempfile.mkstemp(prefix=prefix, suffix=".arrow", dir=folder)
    os.close(descriptor)
    return Path(name)


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    table = ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    return table.select(columns) if columns is not None else table


def file_schema(path: Path) -> pa.Schema:
    return ipc.open_file(pa.memory_map(str(path), "r")).schema


def write_parts(path: Path, schema: pa.Schema, parts: Iterable[pa.Table]) -> None:
    """One table written part by part as the parts come (it is never whole in memory), then put
    in place at once: a reader still mapping the old file keeps its copy."""
    with _writing(path) as tmp, pa.OSFile(str(tmp), "wb") as sink, ipc.new_file(sink, schema) as writer:
        for part in parts:
            writer.write_table(part)


def write_table(path: Path, table: pa.Table) -> None:
    write_parts(path, table.schema, [table])


def write_together(paths: list[Path], parts: Iterable[tuple[pa.Table, ...]]) -> None:
    """Several tables written part by part from one stream, a part of each per item; the first
    item (there must be one) gives their schemas, and every later part is cast to them."""
    items = iter(parts)
    first = next(items)
    with ExitStack() as stack:
        writers = []
        for path, part in zip(paths, first, strict=True):
            sink = stack.enter_context(pa.OSFile(str(stack.enter_context(_writing(path))), "wb"))
            writers.append(stack.enter_context(ipc.new_file(sink, part.schema)))
        for item in itertools.chain([first], items):
            for writer, part, schema in zip(writers, item, (part.schema for part in first), strict=True):
                writer.write_table(part.cast(schema))


@contextmanager
def _writing(path: Path) -> Iterator[Path]:
    """A file to write `path`'s new content to, put in its place when the block ends well and
    removed when it fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
