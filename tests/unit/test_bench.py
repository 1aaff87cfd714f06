"""make bench's own parts: a command stopped at its limit, and plain Splink reported when it fails."""

from __future__ import annotations

import json
import sys

from evaluation.bench import measured, plain_splink_figures


def test_a_command_past_its_limit_is_stopped_and_still_measured():
    stopped = measured([sys.executable, "-c", "import time; time.sleep(30)"], check=False, limit=0.5)
    assert stopped["code"] == "stopped"
    assert stopped["seconds"] < 30 and stopped["peak_rss_mb"] > 0


def test_plain_splink_that_fails_is_reported_with_its_time_and_memory():
    failed = measured([sys.executable, "-c", "raise SystemExit(3)"], check=False)
    assert plain_splink_figures(failed) == {
        "failed": 3,
        "seconds": failed["seconds"],
        "peak_rss_mb": failed["peak_rss_mb"],
    }


def test_plain_splink_that_finishes_gives_the_figures_it_printed():
    printed = json.dumps({"seconds": 1.5, "precision": 0.9})
    done = measured([sys.executable, "-c", f"print('training'); print({printed!r})"])
    assert plain_splink_figures(done) == {"seconds": 1.5, "precision": 0.9, "peak_rss_mb": done["peak_rss_mb"]}
