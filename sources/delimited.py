"""Delimited text as merchants export it: which Unicode form, which delimiter.

Excel's "Unicode text" export is UTF-16 with a byte-order mark (little- or big-endian) and tabs
between cells; other exports are comma-, tab- or semicolon-separated. The delimiter is read from
the text itself (the widest of the first lines, which is the header: a title row above it has
fewer), never from the file's name. Pure text functions: no project imports, so sources/reading.py
can use them.
"""

from __future__ import annotations

import re

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DELIMITERS = (",", "\t", ";")  # a tie goes to the first: comma is the common case
SNIFF_LINES = 10
SNIFF_CHARS = 65536
_QUOTED_RE = re.compile(r'"[^"]*"')


def utf16_text(data: bytes) -> str | None:
    """The text of a UTF-16 export with a byte-order mark, or None for any other bytes."""
    if not data.startswith(UTF16_BOMS):
        return None
    try:
        return data.decode("utf-16")  # the BOM decides LE or BE, and is dropped
    except UnicodeDecodeError:
        return None  # odd length or a broken surrogate: not UTF-16 after all


def delimiter_of(text: str) -> str:
    """The cell delimiter of a text export: the candidate the widest early line uses most.

    Quoted cells are ignored, so a comma inside `"北京市, 朝阳区"` does not count."""
    lines = [line for line in text[:SNIFF_CHARS].splitlines()[: SNIFF_LINES * 2] if line.strip()][:SNIFF_LINES]
    best, best_count = DELIMITERS[0], 0
    for line in lines:
        bare = _QUOTED_RE.sub("", line)
        for delimiter in DELIMITERS:
            count = bare.count(delimiter)
            if count > best_count:
                best, best_count = delimiter, count
    return best
