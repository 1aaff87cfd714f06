"""Which model scores a run, and when a new one is trained.

A trained model is a document: the Splink model with its version, when it was trained, the digest
of the design it was made under and the profile of the records it was trained on. It is state of
its warehouse (kept there by warehouse.models); a file is only a way to ship one elsewhere.

A run scores with its warehouse's current model and trains a new one when there is none, when the
design changed since (other comparisons or blocking), or when the records no longer look like the
ones it was trained on (other populated fields, or ten times more or fewer records). A model file
named by the run is used as it is: imported as a new version when it differs, never trained.
Training uses reviewers' decided pairs as labels where there are enough (linkage.labels): the
document's `labels` say how many, and hold the thresholds placed on them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from linkage import labels as linkage_labels
from linkage import model
from linkage.profile import data_profile

MODEL_FORMAT = "customer-unify/1"
# a model trained on n records still fits from n / GROWTH to n * GROWTH records
GROWTH = 10
logger = logging.getLogger(__name__)


class ModelFileError(ValueError):
    """A model file that is missing or is not a model: an expected problem, told in one line."""


class ModelStore(Protocol):
    """Where a warehouse keeps its models (warehouse.models.WarehouseModels)."""

    def current(self) -> dict | None: ...

    def has(self, version: str) -> bool: ...

    def save(self, document: dict, reason: str) -> None: ...


@dataclass(frozen=True)
class ModelChoice:
    document: dict
    trained: bool
    reason: str  # why it was trained, or how it was found

    @property
    def summary(self) -> str:
        """'yes: no model in this warehouse' / 'no: reused version X'."""
        return f"{'yes' if self.trained else 'no'}: {self.reason}"


def profile_changed(old: dict | None, new: dict) -> str | None:
    """Why a model trained on records profiled `old` no longer fits records profiled `new`;
    None while it fits (and when the model's records were never profiled: nothing to compare)."""
    if old is None:
        return None
    gained, lost = sorted(set(new["fields"]) - set(old["fields"])), sorted(set(old["fields"]) - set(new["fields"]))
    if gained or lost:
        return "populated fields changed: " + ", ".join([*(f"+{f}" for f in gained), *(f"-{f}" for f in lost)])
    before, now = old["record_count"], new["record_count"]
    if max(before, now) >= GROWTH * max(min(before, now), 1):
        return f"record count changed from {before:,} to {now:,}"
    return None


def training_reason(document: dict | None, profile: dict) -> str | None:
    """Why a run must train instead of scoring with this (current) model; None when it fits."""
    if document is None:
        return "no model in this warehouse"
    if document.get("design") != model.design_digest(profile["fields"]):
        return f"version {document['version']} was made under another design"
    changed = profile_changed(document.get("data_profile"), profile)
    return f"the records changed since version {document['version']}: {changed}" if changed else None


def new_document(splink_model: dict, profile: dict, now: datetime | None = None, labels: dict | None = None) -> dict:
    """A freshly trained model as a document, versioned by the time it was trained; labels: the
    figures of what reviewers' labels taught it (linkage.labels.train), with any thresholds placed."""
    now = now or datetime.now(UTC)
    return {
        "format": MODEL_FORMAT,
        "version": new_version(now),
        "trained_at": now.replace(tzinfo=None).isoformat(),
        "design": model.design_digest(profile["fields"]),
        "data_profile": profile,
        "trained_on_records": profile["record_count"],
        "splink": splink_model,
        "labels": labels,
    }


def new_version(now: datetime | None = None) -> str:
    """A model version: when it was made, UTC, to the microsecond (sorts as it was made)."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


def same_model(a: dict, b: dict) -> bool:
    """Both score alike: the same Splink model under the same design."""
    return a.get("design") == b.get("design") and _canonical_json(a["splink"]) == _canonical_json(b["splink"])


def _canonical_json(value: dict) -> str:
    return json.dumps(value, sort_keys=True)


def read_model_file(path: Path | str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path} is not a {MODEL_FORMAT} model: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT or "splink" not in document:
        raise ModelFileError(f"{path} is not a {MODEL_FORMAT} model")
    return document


def write_model_file(document: dict, path: Path | str) -> Path:
    """Write a model document to a file (atomically: a crash never leaves half a model)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"format": MODEL_FORMAT, **document}, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def choose_model(
    store: ModelStore,
    records: Callable[[], pa.Table],
    retrain: bool = False,
    model_file: Path | str | None = None,
    labels: Callable[[], pa.Table] | None = None,
) -> ModelChoice:
    """The model this run scores with, saved in the store first when it is new.

    records: the link records (called at most once, only when a profile or training needs them);
    retrain: train whatever the current model; model_file: a shipped model to use, never training,
    when the file exists; when it does not, the model the run settles on is written there;
    labels: reviewers' labelled pairs of those records (linkage.labels.labelled_pairs; called
    only when training)."""
    if model_file and Path(model_file).is_file():
        return _use_file(store, read_model_file(model_file), str(model_file))
    choice = _warehouse_model(store, records, retrain, labels)
    if model_file:
        write_model_file(choice.document, model_file)
    return choice


def _warehouse_model(
    store: ModelStore, records: Callable[[], pa.Table], retrain: bool, labels: Callable[[], pa.Table] | None
) -> ModelChoice:
    current = None if retrain else store.current()
    links = records()
    profile = data_profile(links)
    reason = "retraining was asked for" if retrain else training_reason(current, profile)
    if reason is None:
        return ModelChoice(current, trained=False, reason=f"reused version {current['version']}")
    logger.info("training a linkage model: %s", reason)
    splink_model, taught = linkage_labels.train(links, profile["fields"], labels() if labels else None)
    document = new_document(splink_model, profile, labels=taught)
    store.save(document, reason)
    return ModelChoice(document, trained=True, reason=reason)


def _use_file(store: ModelStore, document: dict, name: str) -> ModelChoice:
    current = store.current()
    if current is not None and same_model(current, document):
        return ModelChoice(current, trained=False, reason=f"{name} is the current version {current['version']}")
    if store.has(document["version"]):  # an older version of this warehouse made current again
        document = {**document, "version": new_version()}
    fields = (document.get("data_profile") or {}).get("fields", model.ALL_FIELDS)
    stale = "" if document.get("design") == model.design_digest(fields) else " (made under another design)"
    reason = f"imported {name} as version {document['version']}{stale}"
    store.save(document, reason)
    return ModelChoice(document, trained=False, reason=reason)
