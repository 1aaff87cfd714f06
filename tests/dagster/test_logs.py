"""The log file of `unify run`: beside the work area, every record and warning in it, values masked."""

from __future__ import annotations

import logging
import warnings

from pipelines.logs import MASK, library_logs, log_file, mask


def test_the_log_file_sits_beside_the_work_area(tmp_path):
    assert log_file(tmp_path / "data" / "work") == tmp_path / "data" / "logs" / "unify.log"


def test_emails_and_phone_numbers_are_masked_but_dates_ids_and_counts_are_not():
    line = "2026-01-05 02:00:01,123 WARNING x: 13812345678, +86 138 1234 5678 and (415) 555-1234 of wang.fang@qq.com"
    assert mask(line) == f"2026-01-05 02:00:01,123 WARNING x: {MASK}, {MASK} and {MASK} of {MASK}"
    kept = "run 8d0b521e-9b0a-4e7c-977c-10ed92ed5052 at 1767612345.123 read 495 rows of shop/tmall_2025.csv, 2025-03-01"
    assert mask(kept) == kept


def test_records_and_warnings_go_to_the_file_only_while_inside(tmp_path):
    path = tmp_path / "logs" / "unify.log"
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with library_logs(path):
        logging.getLogger("splink.test").warning("Level x not observed for 13812345678")
        warnings.warn("a library's warning about wang.fang@qq.com", UserWarning, stacklevel=1)
    logging.getLogger("splink.test").warning("after the command")
    text = path.read_text(encoding="utf-8")
    assert "Level x not observed for …" in text and "a library's warning about …" in text
    assert "13812345678" not in text and "qq.com" not in text and "after the command" not in text
    assert (root.handlers, root.level) == (handlers, level)
