import os

import pyarrow as pa
import pytest

from common import arrow_files


def test_tables_written_together_read_back_whole_in_the_first_parts_schemas(tmp_path):
    first = (pa.table({"id": ["C1"], "n": [1]}), pa.table({"id": ["C1"], "field": ["name"]}))
    # a later part whose column is all null comes typed as null: it is cast to the first part's type
    later = (pa.table({"id": ["C2", "C3"], "n": pa.array([None, None])}), pa.table({"id": ["C2"], "field": ["phone"]}))
    paths = [tmp_path / "golden.arrow", tmp_path / "lineage.arrow"]
    arrow_files.write_together(paths, iter([first, later]))
    golden, lineage = map(arrow_files.read_table, paths)
    assert golden.schema == first[0].schema and golden.to_pydict() == {"id": ["C1", "C2", "C3"], "n": [1, None, None]}
    assert lineage.to_pydict() == {"id": ["C1", "C2"], "field": ["name", "phone"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["golden.arrow", "lineage.arrow"]


def test_a_failed_write_leaves_the_tables_as_they_were(tmp_path):
    path = tmp_path / "golden.arrow"
    arrow_files.write_table(path, pa.table({"id": ["C1"]}))

    def parts():
        yield (pa.table({"id": ["C9"]}),)
        raise RuntimeError("the pass failed")

    with pytest.raises(RuntimeError):
        arrow_files.write_together([path], parts())
    assert arrow_files.read_table(path).to_pydict() == {"id": ["C1"]}
    assert [p.name for p in tmp_path.iterdir()] == ["golden.arrow"]


def test_a_fresh_path_is_a_new_empty_file_and_leaves_no_descriptor_open(tmp_path):
    open_before = len(os.listdir("/proc/self/fd"))
    paths = [arrow_files.fresh_path(tmp_path, prefix="part-") for _ in range(20)]
    assert len(os.listdir("/proc/self/fd")) == open_before
    assert len(set(paths)) == 20
    assert all(p.parent == tmp_path and p.name.startswith("part-") and p.stat().st_size == 0 for p in paths)


def test_appended_rows_are_read_after_the_table_in_its_schema(tmp_path):
    path = tmp_path / "canonical.arrow"
    arrow_files.write_table(path, pa.table({"id": [1, 2]}, metadata={"kept": "yes"}))
    arrow_files.append_parts(path, iter([pa.table({"id": [3]}), pa.table({"id": [4, 5]})]))
    arrow_files.append_parts(path, [pa.table({"id": pa.array([], pa.int64())})])  # nothing new: no file
    arrow_files.append_parts(path, [pa.table({"id": [6]})])
    table = arrow_files.read_table(path)
    assert table.column("id").to_pylist() == [1, 2, 3, 4, 5, 6]
    assert table.schema.metadata == {b"kept": b"yes"} == arrow_files.file_schema(path).metadata
    assert len(arrow_files.table_files(path)) == 3 == len(list(tmp_path.iterdir()))
    assert arrow_files.tables_in(tmp_path) == [path]
    with pytest.raises(pa.ArrowInvalid):  # rows of another shape are refused, not read as the table's
        arrow_files.append_parts(path, [pa.table({"id": ["seven"]})])
    assert arrow_files.read_table(path).num_rows == 6


def test_a_table_written_whole_again_has_none_of_its_old_segments(tmp_path):
    path = tmp_path / "staged.arrow"
    arrow_files.write_table(path, pa.table({"id": [1]}))
    arrow_files.append_parts(path, [pa.table({"id": [2]})])
    left_by_a_crash = arrow_files.table_files(path)[1].read_bytes()
    arrow_files.write_table(path, pa.table({"id": [7]}))
    assert [p.name for p in tmp_path.iterdir()] == ["staged.arrow"]
    # a segment of the old generation that a crash left behind is not read as the new table's
    (tmp_path / "staged+0000-1.arrow").write_bytes(left_by_a_crash)
    assert arrow_files.read_table(path).column("id").to_pylist() == [7]
    arrow_files.append_parts(path, [pa.table({"id": [8]})])
    assert arrow_files.read_table(path).column("id").to_pylist() == [7, 8]


def test_a_table_of_many_segments_is_written_whole_again(tmp_path):
    path = tmp_path / "links.arrow"
    arrow_files.write_table(path, pa.table({"id": [0]}))
    for n in range(1, 2 * arrow_files.MAX_SEGMENTS):
        arrow_files.append_parts(path, [pa.table({"id": [n]})])
        assert len(arrow_files.table_files(path)) <= arrow_files.MAX_SEGMENTS
    assert arrow_files.read_table(path).column("id").to_pylist() == list(range(2 * arrow_files.MAX_SEGMENTS))


def test_a_table_extends_another_only_when_it_begins_with_its_very_buffers():
    before = pa.table({"id": [1, 2, None], "name": ["a", None, "c"]})
    more = pa.table({"id": [4], "name": ["d"]})
    assert arrow_files.extends(pa.concat_tables([before, more]), before)
    assert arrow_files.extends(before, before)
    # equal rows in a copy, a table that lost a row, or another table: written whole
    assert not arrow_files.extends(pa.concat_tables([before.filter(pa.array([True] * 3)), more]), before)
    assert not arrow_files.extends(pa.concat_tables([before.slice(1), more]), before)
    assert not arrow_files.extends(more, before)
