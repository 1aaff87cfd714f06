"""The zip a Spark session ships to executors that do not run this interpreter: alone, it is enough
to run the standardisation an executor runs (engines.spark's mapInArrow functions)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from linkage.scoring.spark import EXECUTOR_PACKAGES, project_archive

# An executor's worker: the environment's libraries, the project only from the shipped zip.
EXECUTOR = """
import sys
sys.meta_path = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path.insert(0, sys.argv[1])
import pyarrow as pa
from engines.spark import _Standardise
from sources.schema import STAGED_SCHEMA
from sources.canonical import standardise_sorted

row = {"source_system": "sales", "source_row": 1, "full_name": "張小明", "phone": "+86 138 0013 8000"}
staged = pa.Table.from_pylist([row], schema=STAGED_SCHEMA)
(record,) = standardise_sorted(staged, 7).to_pylist()
assert record["record_id"] == 7 and record["name_pinyin"], record
outside = sorted(
    name for name, module in sys.modules.items()
    if name.split(".")[0] in sys.argv[2].split(",")
    and not (getattr(module, "__file__", None) or "").startswith(sys.argv[1])
)
assert not outside, outside
print(len([n for n in sys.modules if n.split(".")[0] in {"engines", "sources", "linkage"}]))
"""


def test_the_archive_alone_imports_what_an_executor_runs(tmp_path):
    archive = project_archive()
    names = zipfile.ZipFile(archive).namelist()
    assert "engines/spark.py" in names and "sources/canonical.py" in names
    assert not [name for name in names if "__pycache__" in name]

    ran = subprocess.run(
        [sys.executable, "-c", EXECUTOR, str(archive), ",".join(EXECUTOR_PACKAGES)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert int(ran.stdout) > 10
