"""Runs nobody has to click: the nightly full refresh, and an incremental run when files in the
sources folder appear, change or go away.

Both are off by default, so a developer's `make ui` starts no runs by itself; UNIFY_SCHEDULES=on
switches them on where the pipeline is deployed. UNIFY_NIGHTLY_CRON and UNIFY_TIMEZONE say when
the nightly run starts (config/settings.py: `schedules`, `nightly_cron`, `timezone`).

The sensor knows files by content fingerprint (a touched but identical file is no change) and
never reads a file that is still being copied: a file is taken when its size and mtime held
still between two looks, or it is older than SourcesFolder.settle_seconds. While any file is
still settling no run starts at all, because the run would read the whole folder.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from assets.resources import SourcesFolder
from config.settings import Settings
from pipelines.worker import fail_orphaned_runs, hand_over
from sources.ingest import source_files
from sources.reading import fingerprint, relative_name

PIPELINE_JOBS = (
    "full_refresh",
    "incremental_update",
    "retrain_model",
)  # the jobs that write the work area, model or warehouse
SENSOR_INTERVAL_SECONDS = 30
BUSY = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]

Stat = tuple[int, int]  # (size in bytes, mtime in ns)


def nightly_schedule(settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="nightly_full_refresh",
        job_name="full_refresh",
        cron_schedule=settings.nightly_cron,
        execution_timezone=settings.timezone,
        default_status=DefaultScheduleStatus.RUNNING if settings.schedules else DefaultScheduleStatus.STOPPED,
        description="Every night: read every source, link, and publish (UNIFY_NIGHTLY_CRON, UNIFY_TIMEZONE).",
    )


@dataclass(frozen=True)
class FolderState:
    """What the sensor knows of the sources folder between looks (kept in its cursor)."""

    read: dict[str, tuple[int, int, str]] = field(
        default_factory=dict
    )  # origin -> (size, mtime_ns, fingerprint) when last read
    settling: dict[str, Stat] = field(default_factory=dict)  # origin -> (size, mtime_ns) at the last look, not read yet

    def to_cursor(self) -> str:
        return json.dumps({"read": self.read, "settling": self.settling}, sort_keys=True)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> "FolderState":
        if not cursor:
            return cls()
        data = json.loads(cursor)
        return cls({o: tuple(v) for o, v in data["read"].items()}, {o: tuple(v) for o, v in data["settling"].items()})


@dataclass(frozen=True)
class Look:
    state: FolderState
    changed: list[str]  # origins that appeared, changed content or went away, all settled
    settling: list[str]  # origins still being written: nothing is taken until they settle


def look(
    before: FolderState, stats: dict[str, Stat], now_ns: int, settle_ns: int, content: Callable[[str], str]
) -> Look:
    """Compare the folder (origin -> stat) with what was known; `content` fingerprints one origin
    and is only called for settled files whose stat moved since they were last read."""
    read, changed, settling = {}, [], {}
    for origin, stat in stats.items():
        known = before.read.get(origin)
        if known and known[:2] == stat:
            read[origin] = known  # untouched since last read
            continue
        if before.settling.get(origin) != stat and now_ns - stat[1] < settle_ns:
            settling[origin] = stat
            continue
        read[origin] = (*stat, content(origin))
        if not known or known[2] != read[origin][2]:
            changed.append(origin)
    changed += sorted(set(before.read) - set(stats))
    if settling:
        # hold every change back: a run now would read the half-copied files too
        waiting = {o: s for o, s in stats.items() if before.read.get(o, (None, None))[:2] != s}
        return Look(FolderState(before.read, waiting), [], sorted(settling))
    return Look(FolderState(read, {}), sorted(changed), [])


def _stat(path: Path) -> Stat:
    found = path.stat()
    return found.st_size, found.st_mtime_ns


def _busy(context: SensorEvaluationContext) -> bool:
    fail_orphaned_runs(context.instance)  # a run whose worker died is not in progress
    return any(r.job_name in PIPELINE_JOBS for r in context.instance.get_runs(filters=RunsFilter(statuses=BUSY)))


def _evaluate(context: SensorEvaluationContext, sources: SourcesFolder, settings: Settings) -> SensorResult:
    if _busy(context):
        return SensorResult(
            skip_reason="a pipeline run is in progress; files are looked at again when it ends", cursor=context.cursor
        )
    root = sources.root()
    paths = {relative_name(path, root): path for _, path in source_files(root)}
    stats = {origin: _stat(p) for origin, p in paths.items()}
    # each file on its own bytes: a mapping and its data file are both watched, so either changing counts
    seen = look(
        FolderState.from_cursor(context.cursor),
        stats,
        time.time_ns(),
        int(sources.settle_seconds * 1e9),
        lambda o: fingerprint(paths[o].read_bytes()),
    )
    cursor = seen.state.to_cursor()
    if seen.settling:
        return SensorResult(
            skip_reason=f"waiting for {len(seen.settling)} file(s) still being written: {', '.join(seen.settling[:5])}",
            cursor=cursor,
        )
    if not seen.changed:
        return SensorResult(skip_reason="no new, changed or removed files", cursor=cursor)
    context.log.info(f"{len(seen.changed)} file(s) new, changed or removed: {', '.join(seen.changed[:20])}")
    tags = {"unify/trigger": "sources_folder", "unify/changed_files": str(len(seen.changed))}
    # the warm worker runs it when one is up (pipelines/worker.py); else the daemon launches it
    handed = hand_over(settings, "incremental_update", tags, context.instance.root_directory)
    if handed:
        return SensorResult(skip_reason=f"run {handed} handed to the warm worker", cursor=cursor)
    return SensorResult(run_requests=[RunRequest(tags=tags)], cursor=cursor)


def sources_sensor(settings: Settings) -> SensorDefinition:
    def sources_folder(context: SensorEvaluationContext, sources: SourcesFolder) -> SensorResult:
        return _evaluate(context, sources, settings)

    return sensor(
        name="sources_folder",
        job_name="incremental_update",
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING if settings.schedules else DefaultSensorStatus.STOPPED,
        description="Starts an incremental run when files in the sources folder appear, change (by content) or go away, once they stopped being written; hands it to the warm worker when one is up.",
    )(sources_folder)
