"""Property-based: garbled rows and files never crash a reader, and every row is accounted for."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources.ingest import ingest
from sources.reading import clean_cell

cells = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        ["王总", "13812345678", "138****5678", "微信同号", "45626", "03/04/2025", "退订", "a@b.c", '"', "\n", ","]
    ),
)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _accounted(root: Path):
    result = ingest(root)
    staged = result.staged.num_rows
    quarantined = result.quarantined.num_rows
    assert sum(f["rows_read"] for f in result.files) == staged + quarantined
    assert all(q["reason"] for q in result.quarantined.to_pylist())
    return result


@FAST
@given(st.lists(st.lists(cells, min_size=0, max_size=6), max_size=15))
def test_garbled_sales_rows_are_staged_or_quarantined(rows):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["客户姓名", "手机", "邮箱", "生日", "备注"])
        writer.writerows([["" if c is None else c for c in row] for row in rows])
        (root / "sales").mkdir()
        (root / "sales" / "garbled.csv").write_text(buffer.getvalue(), encoding="utf-8")
        result = _accounted(root)
        non_blank = [r for r in csv.reader(io.StringIO(buffer.getvalue(), newline=""))][1:]
        non_blank = [r for r in non_blank if any(clean_cell(c) is not None for c in r)]  # a row of NULLs is blank too
        assert result.staged.num_rows + result.quarantined.num_rows in (len(non_blank), 1)  # 1 = the file was rejected


@FAST
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.dictionaries(st.sampled_from(["ticket_id", "requester", "order_no", "type"]), cells).map(json.dumps),
        ),
        max_size=15,
    )
)
def test_garbled_json_lines_are_staged_or_quarantined(lines):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "service").mkdir()
        text = "\n".join(line.replace("\n", " ") for line in lines)
        (root / "service" / "desk.jsonl").write_text(
            "{" + text if text and not text.lstrip().startswith("{") else text, encoding="utf-8"
        )
        _accounted(root)


@FAST
@given(
    st.binary(max_size=600),
    st.sampled_from(["shop/x.csv", "sales/x.xlsx", "sales/x.csv", "service/x.csv", "service/x.jsonl", "mapped/x.yaml"]),
)
def test_random_bytes_never_stop_the_other_files(data, name):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        (root / "sales").mkdir(exist_ok=True)
        (root / "sales" / "good.csv").write_text("Name,Phone\nAnn Lee,13800000001\n", encoding="utf-8")
        result = _accounted(root)
        assert any(r["source_file"] == "sales/good.csv" for r in result.staged.to_pylist())


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "张", ",", ";", '"', "\r", "\n", " "]), max_size=40))
def test_csv_rows_cut_line_by_line_read_as_a_file_opened_with_newline_empty(text):
    """csv_row_stream cuts the text into lines itself (io.StringIO would copy it at four bytes a
    character): the rows, and the malformed-CSV refusals, are those of the file read whole."""
    from sources.delimited import delimiter_of
    from sources.reading import UnreadableFile, csv_row_stream

    def rows(read):
        try:
            return list(read())
        except (csv.Error, UnreadableFile):
            return "malformed"

    whole = rows(lambda: csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text)))
    assert rows(lambda: csv_row_stream(text.encode("utf-8"))) == whole
