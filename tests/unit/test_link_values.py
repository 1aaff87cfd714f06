"""Link values reused from an earlier run (linkage.features.link_values with known): the same
table as computed afresh, whichever records the run dropped or added."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from linkage.features import LINK_COLUMNS, blank_generic, link_records, link_values
from sources.canonical import standardise
from sources.ingest import ingest


@pytest.fixture(scope="module")
def canonical(sample_sources) -> pa.Table:
    return standardise(ingest(sample_sources).staged)


def _drop_every(table: pa.Table, nth: int) -> pa.Table:
    return table.filter(pc.not_equal(pc.bit_wise_and(table.column("record_id"), nth - 1), 0))


def test_known_values_give_what_a_fresh_computation_gives(canonical):
    """The earlier run saw the first records, less some since dropped (a re-read file, an erasure);
    this run adds the rest: the reused values are every kept record's, in canonical's order."""
    half = canonical.num_rows // 2
    earlier = canonical.slice(0, half)
    known = link_values(earlier)
    now = pa.concat_tables([_drop_every(earlier, 8), canonical.slice(half)])
    reused = link_values(now, known)
    assert reused.num_rows == now.num_rows > half
    assert reused.equals(link_values(now))
    assert blank_generic(reused).equals(link_records(now))


def test_values_of_another_shape_are_not_reused(canonical):
    """Known values of an older version of the columns are ignored, not joined to new rows."""
    stale = link_values(canonical).drop_columns(["email_local"])
    assert tuple(link_values(canonical, stale).column_names) == LINK_COLUMNS
    assert link_values(canonical, stale).equals(link_values(canonical))
