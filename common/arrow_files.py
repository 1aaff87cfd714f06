"""Arrow tables as files: uncompressed Arrow IPC, memory-mapped when read.

A mapped table costs nothing until a column is used, and its pages are the file's, which the
kernel can drop and read again, not the process's own memory. Every table a run hands from one
place to another (the work area, the reading's workers, a scrubbed work file) goes through here.

A table written whole can be extended without writing it again: appended rows go to segment
files beside it (`<name>+<generation>-<n>.arrow`), and reading the table reads them after it. A
segment belongs to the table while the table's generation (a key of its schema's metadata, new
at every whole write) names it, so a table written whole again drops its old segments at once,
even when a crash left their files behind. An incremental run adds 1% to tables of hundreds of
megabytes: rewriting them, and the kernel freeing the old files' pages, was a fifth of its time.
"""

from __future__ import annotations

import glob
import itertools
import os
import tempfile
import uuid
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


GENERATION = b"unify:generation"  # the schema metadata key naming a table's segments
SEGMENT_MARK = "+"  # in a segment's file name, between the table's name and its generation
MAX_SEGMENTS = 16  # a table with this many files is written whole again at the next append


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """The table at path, its segments after it; memory-mapped."""
    tables = [_mapped(file) for file in table_files(path)]
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    table = table.replace_schema_metadata(_as_written(table.schema).metadata)
    return table.select(columns) if columns is not None else table


def file_schema(path: Path) -> pa.Schema:
    return _as_written(_reader(path).schema)


def table_files(path: Path) -> list[Path]:
    """The files of the table at path: the file written whole, then its segments in order."""
    return _files_of(path, _generation(_reader(path).schema))


def _files_of(path: Path, generation: str | None) -> list[Path]:
    if generation is None:
        return [path]
    pattern = glob.escape(f"{path.stem}{SEGMENT_MARK}{generation}-") + f"*{path.suffix}"
    return [path, *sorted(path.parent.glob(pattern), key=_segment_number)]


def tables_in(folder: Path) -> list[Path]:
    """The tables of a folder (each read with its segments by read_table), in name order."""
    return sorted(p for p in folder.glob("*.arrow") if SEGMENT_MARK not in p.name)


def write_parts(path: Path, schema: pa.Schema, parts: Iterable[pa.Table]) -> None:
    """One table written whole, part by part as the parts come (it is never whole in memory),
    then put in place at once: a reader still mapping the old file keeps its copy."""
    with _writing(path) as tmp:
        _write_file(tmp, _new_generation(schema), parts)
    _remove_segments(path)


def write_table(path: Path, table: pa.Table) -> None:
    write_parts(path, table.schema, [table])


def append_parts(path: Path, parts: Iterable[pa.Table]) -> None:
    """Rows added at the end of the table at path, in a segment of their own (the parts in the
    table's schema); a table of MAX_SEGMENTS files, or of a file without a generation, is
    written whole again with them instead."""
    schema = _reader(path).schema
    generation = _generation(schema)
    files = _files_of(path, generation)
    if generation is None or len(files) >= MAX_SEGMENTS:
        write_parts(path, file_schema(path), itertools.chain([read_table(path)], parts))
        return
    segment = path.with_name(f"{path.stem}{SEGMENT_MARK}{generation}-{len(files)}{path.suffix}")
    with _writing(segment) as tmp:
        rows = _write_file(tmp, schema, parts)
    if rows == 0:  # nothing new: no file to read at every later run
        segment.unlink()


def extends(now: pa.Table, before: pa.Table) -> bool:
    """Whether now's first rows are before's very buffers: a concatenation of it and more, as an
    incremental run builds a table it keeps whole (a copy, even of equal rows, is not)."""
    if now.num_rows < before.num_rows or not now.schema.equals(before.schema):
        return False
    for name in before.column_names:
        old, new = before.column(name).chunks, now.column(name).chunks
        if len(new) < len(old) or not all(map(_same_memory, old, new)):
            return False
    return True


def _same_memory(a: pa.Array, b: pa.Array) -> bool:
    return a.offset == b.offset and len(a) == len(b) and _addresses(a) == _addresses(b)


def _addresses(array: pa.Array) -> list[int | None]:
    return [buffer and buffer.address for buffer in array.buffers()]


def _write_file(path: Path, schema: pa.Schema, parts: Iterable[pa.Table]) -> int:
    rows = 0
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, schema) as writer:
        for part in parts:
            writer.write_table(part)
            rows += part.num_rows
    return rows


def _reader(path: Path) -> ipc.RecordBatchFileReader:
    return ipc.open_file(pa.memory_map(str(path), "r"))


def _mapped(path: Path) -> pa.Table:
    return _reader(path).read_all()


def _generation(schema: pa.Schema) -> str | None:
    value = (schema.metadata or {}).get(GENERATION)
    return value.decode() if value is not None else None


def _new_generation(schema: pa.Schema) -> pa.Schema:
    """The schema of a table written whole: a generation no segment names yet."""
    return schema.with_metadata({**(schema.metadata or {}), GENERATION: uuid.uuid4().hex.encode()})


def _as_written(schema: pa.Schema) -> pa.Schema:
    """The schema without the key this module adds to it."""
    metadata = {k: v for k, v in (schema.metadata or {}).items() if k != GENERATION}
    return schema.with_metadata(metadata) if metadata else schema.remove_metadata()


def _segment_number(path: Path) -> int:
    return int(path.stem.rsplit("-", 1)[1])


def _remove_segments(path: Path) -> None:
    """The segments of the table's earlier generations (a table written whole has none yet)."""
    pattern = glob.escape(f"{path.stem}{SEGMENT_MARK}") + f"*{path.suffix}"
    for segment in path.parent.glob(pattern):
        segment.unlink(missing_ok=True)


def write_together(paths: list[Path], parts: Iterable[tuple[pa.Table, ...]]) -> None:
    """Several tables written part by part from one stream, a part of each per item; the first
    item (there must be one) gives their schemas, and every later part is cast to them."""
    items = iter(parts)
    first = next(items)
    with ExitStack() as stack:
        writers = []
        for path, part in zip(paths, first, strict=True):
            sink = stack.enter_context(pa.OSFile(str(stack.enter_context(_writing(path))), "wb"))
            writers.append(stack.enter_context(ipc.new_file(sink, _new_generation(part.schema))))
        for item in itertools.chain([first], items):
            for writer, part, schema in zip(writers, item, (part.schema for part in first), strict=True):
                writer.write_table(part.cast(schema))
    for path in paths:
        _remove_segments(path)


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
