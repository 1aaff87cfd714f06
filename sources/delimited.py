"""Delimited text as merchants export it: which Unicode form, which delimiter.

Excel's "Unicode text" export is UTF-16 with a byte-order mark (little- or big-endian) and tabs
between cells; other exports are comma-, tab- or semicolon-separated. The delimiter is read from
the text itself (the one that cuts the header and the rows below it into equal widths), never
from the file's name. Pure text functions: no project imports, so sources/reading.py can use them.
"""

from __future__ import annotations

import csv
from collections import Counter

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DELIMITERS = (",", "\t", ";")  # a tie goes to the first: comma is the common case
SNIFF_LINES = 10
SNIFF_CHARS = 65536


def utf16_text(data: bytes) -> str | None:
    """The text of a UTF-16 export with a byte-order mark, or None for any other bytes."""
    if not data.startswith(UTF16_BOMS):
        return None
    try:
        return data.decode("utf-16")  # the BOM decides LE or BE, and is dropped
    except UnicodeDecodeError:
        return None  # odd length or a broken surrogate: not UTF-16 after all


def delimiter_of(text: str) -> str:
    """The cell delimiter of a text export: the candidate that cuts the most of the first lines
    (the header and the rows below it) into the same number of cells, more than one; then the one
    that cuts them into more. A title row above the header, a comma in a quoted cell
    (`"北京市, 朝阳区"`) or semicolons in a comma-separated notes cell do not sway it."""
    lines = [line for line in text[:SNIFF_CHARS].splitlines()[: SNIFF_LINES * 2] if line.strip()][:SNIFF_LINES]
    best, best_score = DELIMITERS[0], (0, 0, 0)
    for delimiter in DELIMITERS:
        rows = [row for row in csv.reader(lines, delimiter=delimiter) if len(row) > 1]
        if rows:
            width, agreeing = max(Counter(map(len, rows)).items(), key=lambda item: (item[1], item[0]))
            stray_quotes = sum('"' in cell for row in rows for cell in row)  # the wrong cut leaves quotes in cells
            if (agreeing, width, -stray_quotes) > best_score:
                best, best_score = delimiter, (agreeing, width, -stray_quotes)
    return best
