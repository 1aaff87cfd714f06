"""What the Spark tests share: whether Spark can run here, and the master they use."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SPARK_MASTER = "local[2]"


def spark_unavailable() -> str | None:
    """Why Spark cannot run here, or None when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install pyspark)"
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        return "no Java runtime for Spark (scripts/system-deps.sh installs default-jre-headless)"
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        return f"the Java runtime does not start ({error})"
    return None


SPARK_MISSING = spark_unavailable()
requires_spark = pytest.mark.skipif(SPARK_MISSING is not None, reason=f"Spark tests skipped: {SPARK_MISSING}")
