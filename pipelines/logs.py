"""Where the chatter of a `unify run` or `unify train` goes: one log file beside the work area.

While a job runs, Splink's training warnings, Dagster's run log, py4j's and any other library's
log records, and Python warnings go to `logs/unify.log` beside the work area (data/logs/unify.log
by default), so the terminal shows the command's own summary only.

The file is outside the warehouse, so it must hold no personal data. The project's own messages
name figures, ids and files only; a library's message may quote a value, so anything in a record
that looks like an email or a phone number is masked on its way into the file. Names cannot be
told from other words: tests/e2e/test_privacy_scan.py checks that none arrive.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import logger

LOG_FOLDER, LOG_NAME = "logs", "unify.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
RUN_LOG = "log_file"  # the run's Dagster logger, by its key in the run config
MASK = "…"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# digits with spaces, hyphens or brackets between them; not inside a word, a path, a version or a number
_PHONE = re.compile(r"(?<![\w.:/-])\+?\(?\d[\d ()-]{5,18}\d(?![\w:/-]|\.\d)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def log_file(work_dir: str | Path) -> Path:
    """The log file of the commands whose work area is work_dir: in a `logs` folder beside it."""
    return Path(work_dir).resolve().parent / LOG_FOLDER / LOG_NAME


def mask(text: str) -> str:
    """The text with anything like an email, or a phone number (7 to 15 digits, not a date), masked."""
    return _PHONE.sub(_masked_phone, _EMAIL.sub(MASK, text))


def _masked_phone(match: re.Match) -> str:
    text = match.group()
    digits = sum(c.isdigit() for c in text)
    return MASK if 7 <= digits <= 15 and not _DATE.fullmatch(text) else text


class MaskingFormatter(logging.Formatter):
    """A formatter whose lines, tracebacks included, pass through `mask`."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


@contextmanager
def library_logs(path: Path) -> Iterator[Path]:
    """While inside: every log record at INFO and above, and every Python warning, go to the file at
    path (appended), masked, and to no terminal (Splink adds its own handler only when none is set)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(MaskingFormatter(FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        yield path
    finally:
        logging.captureWarnings(False)
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


@logger(description="The run's Dagster log to the command's log file (through the root logger's handler).")
def run_log(_init_context) -> logging.Logger:
    run = logging.getLogger("unify.run")  # no handler of its own: its records go up to the root's
    run.setLevel(logging.INFO)
    return run
