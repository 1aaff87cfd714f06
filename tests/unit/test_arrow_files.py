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
