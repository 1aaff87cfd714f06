"""The value model (marts/value_model.py): fitted on orders drawn from a known BG/NBD and
Gamma-Gamma process, its parameters kept as warehouse versions, a failed fit and a missing extra
said, and its calibration figures and chart in the run report."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from marts import value_model
from marts.value import build_value
from reports.run_report import calibration_chart, render
from warehouse.engine import make_engine
from warehouse.value_models import WarehouseValueModels, value_model_versions

TODAY = date(2025, 11, 1)
START = TODAY - timedelta(days=730)
# the process the orders are drawn from: purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b)
TRUE_R, TRUE_ALPHA, TRUE_A, TRUE_B = 0.6, 30.0, 1.5, 6.0


def btyd_orders(customers: int, seed: int) -> pa.Table:
    """Orders of `customers` buyers whose first purchase falls in the first 600 days of two years;
    after each purchase a buyer drops out with their p, else buys again after an exponential wait;
    each order's amount from the Gamma-Gamma model (shape 3, a scale per buyer)."""
    rng = np.random.default_rng(seed)
    rows = {"customer_id": [], "ordered_at": [], "amount": [], "is_successful": []}
    for i in range(customers):
        rate, dropout = rng.gamma(TRUE_R, 1 / TRUE_ALPHA), rng.beta(TRUE_A, TRUE_B)
        scale = 1 / rng.gamma(4.0, 1 / 150.0)
        day = rng.uniform(0, 600)
        while day <= 730:
            rows["customer_id"].append(f"C{i:05d}")
            rows["ordered_at"].append(datetime.combine(START, datetime.min.time()) + timedelta(days=float(day)))
            rows["amount"].append(round(float(rng.gamma(3.0, 1 / scale)), 2))
            rows["is_successful"].append(bool(rng.random() > 0.05))  # a few refunded: never counted
            if rng.random() < dropout:
                break
            day += rng.exponential(1 / rate)
    return pa.table(rows)


class Memory:
    """A store kept in a list (the warehouse's own is tested below on a DuckDB file)."""

    def __init__(self, documents: list[dict] | None = None):
        self.documents = list(documents or [])

    def current(self) -> dict | None:
        return self.documents[-1] if self.documents else None

    def save(self, document: dict, reason: str) -> None:
        self.documents.append(document)


@pytest.fixture(scope="module")
def orders() -> pa.Table:
    return btyd_orders(1500, seed=11)


@pytest.fixture(scope="module")
def fitted(orders, tmp_path_factory):
    pytest.importorskip("pymc_marketing", reason="the value extra is not installed")
    engine = make_engine(f"duckdb:///{tmp_path_factory.mktemp('value')}/warehouse.duckdb")
    store = WarehouseValueModels(engine, saved_by="run-1")
    return engine, store, value_model.run(orders, TODAY, store)


def test_the_summary_is_pymc_marketings_rfm_summary(orders):
    clv = pytest.importorskip("pymc_marketing.clv", reason="the value extra is not installed")
    ours = value_model.rfm_summary(orders, TODAY).to_pandas().set_index("customer_id").sort_index()
    successful = orders.filter(orders.column("is_successful")).to_pandas()
    theirs = clv.rfm_summary(
        successful, "customer_id", "ordered_at", "amount", observation_period_end=TODAY.isoformat()
    ).set_index("customer_id")
    theirs = theirs.sort_index()[ours.columns]
    assert list(ours.index) == list(theirs.index)
    assert np.allclose(ours.to_numpy(), theirs.to_numpy())


def test_the_fit_finds_the_process_the_orders_came_from(fitted):
    _, _, outcome = fitted
    bg = outcome.figures["params"]["bg_nbd"]
    assert bg["r"] / bg["alpha"] == pytest.approx(TRUE_R / TRUE_ALPHA, rel=0.25)  # the mean purchase rate
    assert bg["a"] / (bg["a"] + bg["b"]) == pytest.approx(TRUE_A / (TRUE_A + TRUE_B), abs=0.08)  # mean dropout
    assert outcome.figures["status"].startswith("fitted: saved as version")


def test_every_buyer_has_predictions_in_range(fitted, orders):
    _, _, outcome = fitted
    predictions = outcome.predictions.to_pandas()
    assert len(predictions) == value_model.rfm_summary(orders, TODAY).num_rows
    assert predictions.notna().all().all() and outcome.figures["predictions_not_finite"] == 0
    assert predictions["probability_alive"].between(0, 1).all()
    assert (predictions["expected_purchases_90d"] >= 0).all() and (predictions["predicted_value_12m"] >= 0).all()
    assert predictions["probability_alive"].min() < 0.2 < 0.9 < predictions["probability_alive"].max()


def test_the_calibration_compares_the_holdout_with_what_happened(fitted):
    _, _, outcome = fitted
    calibration = outcome.figures["calibration"]
    assert calibration["cutoff"] == (TODAY - timedelta(days=value_model.HOLDOUT_DAYS)).isoformat()
    rows = calibration["by_purchases_before"]
    assert [r["purchases_before"] for r in rows][:2] == ["0", "1"] and rows[-1]["purchases_before"] == "7+"
    assert sum(r["customers"] for r in rows) == calibration["compared"] > 1000
    # drawn from the model's own process: the totals agree within 20%, each customer within a purchase
    assert calibration["predicted_total"] == pytest.approx(calibration["actual_total"], rel=0.2)
    assert 0 < calibration["mean_absolute_error"] < 1


def test_the_same_orders_reuse_the_version_and_new_ones_add_one(fitted, orders):
    engine, store, first = fitted
    again = value_model.run(orders, TODAY, WarehouseValueModels(engine, saved_by="run-2"))
    assert again.figures["version"] == first.figures["version"] and "reused" in again.figures["status"]
    assert again.predictions.equals(first.predictions)  # the same sources and date: the same marts
    later = btyd_orders(1500, seed=12)
    changed = value_model.run(later, TODAY, WarehouseValueModels(engine, saved_by="run-3"))
    versions = value_model_versions(engine)
    assert [v["version"] for v in versions] == [changed.figures["version"], first.figures["version"]]
    assert versions[1]["params"] == first.figures["params"]  # the older version is kept as it was


def test_a_failed_fit_predicts_with_the_current_version_and_says_why(fitted, orders):
    _, _, first = fitted
    current = {
        "version": first.figures["version"],
        "params": first.figures["params"],
        "fitted_on_customers": 1,
        "as_of": "2025-11-01",
    }
    store = Memory([current])
    few = orders.slice(0, 30)  # a handful of buyers: nothing to learn a population from
    outcome = value_model.run(few, TODAY, store)
    assert store.documents == [current]  # nothing saved
    assert outcome.figures["version"] == current["version"]
    assert outcome.figures["status"].startswith("not fitted (only") and current["version"] in outcome.figures["status"]
    assert outcome.predictions.num_rows == value_model.rfm_summary(few, TODAY).num_rows > 0
    assert "error" in outcome.figures["calibration"]


def test_an_incremental_run_predicts_with_the_current_version_and_fits_nothing(fitted, orders):
    engine, store, _ = fitted
    current, versions = store.current(), len(value_model_versions(engine))

    def no_fit(summary):
        raise AssertionError("an incremental run fits nothing")

    outcome = value_model.run(orders, TODAY, store, fit=no_fit, refit=False)
    assert outcome.figures["version"] == current["version"] and outcome.figures["calibration"] is None
    assert "refitted on full runs" in outcome.figures["status"] and len(value_model_versions(engine)) == versions
    expected = value_model.predict(value_model.rfm_summary(orders, TODAY), current["params"])
    assert outcome.predictions.equals(expected)


def test_predicting_the_changed_customers_again_gives_what_predicting_all_does(fitted, orders):
    """Earlier predictions kept for every other customer; the changed ones predicted from their
    orders now: one with a new order, one whose orders left, one new buyer."""
    current = fitted[1].current()
    kept = value_model.predict(value_model.rfm_summary(orders, TODAY), current["params"])  # the last run's
    buyers = sorted(set(orders.column("customer_id").to_pylist()))
    more, gone, new = buyers[0], buyers[1], "C-new"
    later = pa.table({"customer_id": [more, new], "ordered_at": [datetime(2025, 12, 1)] * 2, "amount": [80.0, 40.0],
                      "is_successful": [True, True]})  # fmt: skip
    now = pa.concat_tables([orders.filter(pc.not_equal(orders.column("customer_id"), gone)), later.cast(orders.schema)])
    changed = pa.array([more, gone, new])

    updated = value_model.update(kept, changed, now, TODAY, current)
    whole = value_model.predict(value_model.rfm_summary(now, TODAY), current["params"])
    assert updated.predictions.sort_by("customer_id").equals(whole.sort_by("customer_id"))
    assert updated.figures["customers"] == whole.num_rows and updated.figures["version"] == current["version"]


def test_an_incremental_run_without_any_version_fits_one(orders):
    pytest.importorskip("pymc_marketing", reason="the value extra is not installed")
    store = Memory()
    outcome = value_model.run(orders, TODAY, store, refit=False)
    assert len(store.documents) == 1 and outcome.predictions.num_rows > 0


def test_a_failed_fit_without_any_version_leaves_the_columns_null(orders):
    pytest.importorskip("pymc_marketing", reason="the value extra is not installed")
    outcome = value_model.run(orders.slice(0, 30), TODAY, Memory())
    assert outcome.figures["status"] == "unavailable" and "no earlier value model" in outcome.figures["reason"]
    assert outcome.predictions.num_rows == 0


def test_parameters_that_predict_nothing_sound_are_refused():
    good = {"bg_nbd": {"a": 1.2, "b": 5.0, "alpha": 70.0, "r": 0.3}, "gamma_gamma": {"p": 3.0, "q": 4.0, "v": 150.0}}
    value_model.check_params(good)
    for model, name, bad in [("bg_nbd", "r", float("nan")), ("bg_nbd", "a", -1.0), ("gamma_gamma", "q", 0.9)]:
        with pytest.raises(value_model.ValueModelError, match=name):
            value_model.check_params({**good, model: {**good[model], name: bad}})


def test_without_the_extra_the_columns_stay_null_and_the_report_says_why(monkeypatch, orders):
    monkeypatch.setitem(sys.modules, "pymc_marketing", None)  # what an environment without it imports
    monkeypatch.setitem(sys.modules, "pymc_marketing.clv", None)
    outcome = value_model.run(orders, TODAY, Memory())
    assert outcome.figures == {"status": "unavailable", "reason": value_model.NOT_INSTALLED}
    golden = pa.table({"customer_id": sorted(set(orders.column("customer_id").to_pylist()))})
    value = build_value(golden, _mart_orders(orders), TODAY, outcome.predictions, by_prediction=True)
    for column in ("expected_purchases_90d", "probability_alive", "predicted_value_12m"):
        assert value.column(column).null_count == value.num_rows
    assert value.column("is_top_20pct").to_pylist().count(True) > 0  # tiers fall back to spend
    assert "No predictions: pymc-marketing is not installed: pip install &#39;.[value]&#39;" in render(
        _run_figures(outcome.figures)
    )


def test_tiers_rank_by_predicted_value_when_asked():
    golden = pa.table({"customer_id": [f"C{i}" for i in range(10)]})
    # C0 spent the most but is predicted to spend the least; C9 the reverse
    orders = _mart_orders(
        pa.table(
            {
                "customer_id": [f"C{i}" for i in range(10)],
                "ordered_at": [datetime(2025, 1, 1)] * 10,
                "amount": [float(100 - i) for i in range(10)],
                "is_successful": [True] * 10,
            }
        )
    )
    predictions = pa.table(
        {
            "customer_id": [f"C{i}" for i in range(10)],
            "expected_purchases_90d": [0.1] * 10,
            "probability_alive": [0.5] * 10,
            "predicted_value_12m": [float(i) for i in range(10)],
        },
        schema=value_model.PREDICTION_SCHEMA,
    )
    by_spend = build_value(golden, orders, TODAY, predictions)
    by_value = build_value(golden, orders, TODAY, predictions, by_prediction=True)
    top = lambda t: [r["customer_id"] for r in t.to_pylist() if r["is_top_20pct"]]  # noqa: E731
    assert top(by_spend) == ["C0", "C1"] and top(by_value) == ["C8", "C9"]
    assert by_value.column("predicted_value_12m").to_pylist() == [float(i) for i in range(10)]


def test_predictions_that_are_not_finite_are_null_never_nan():
    cleaned = value_model._clean(np.array([0.5, np.nan, np.inf, 1.7, -0.2]), 0.0, 1.0, 6)
    assert cleaned.to_pylist() == [0.5, None, None, 1.0, 0.0]


def test_compare_gives_means_by_purchases_before_and_the_errors():
    predicted = pa.table(
        {"customer_id": ["A", "B", "C", "D"], "frequency": [0.0, 0.0, 1.0, 9.0], "predicted": [0.5, 0.1, 1.0, 2.0]}
    )
    actual = pa.table({"customer_id": ["A", "C", "D"], "actual": [1.0, 1.0, 4.0]})
    figures = value_model.compare(predicted, actual)
    assert figures["compared"] == 4 and figures["predicted_total"] == 3.6 and figures["actual_total"] == 6.0
    assert figures["mean_absolute_error"] == pytest.approx((0.5 + 0.1 + 0 + 2) / 4)
    assert figures["by_purchases_before"] == [
        {"purchases_before": "0", "customers": 2, "predicted": 0.3, "actual": 0.5},
        {"purchases_before": "1", "customers": 1, "predicted": 1.0, "actual": 1.0},
        {"purchases_before": "7+", "customers": 1, "predicted": 2.0, "actual": 4.0},
    ]


def test_the_report_shows_the_calibration_chart_and_figures(fitted):
    _, _, outcome = fitted
    figures = {**outcome.figures, "tiers_by": "total_spent"}
    chart = calibration_chart(figures)
    assert chart.startswith('<svg class="lines"') and chart.count("<polyline") == 2 and ">7+</text>" in chart
    page = render(_run_figures(figures))
    calibration = figures["calibration"]
    assert f"{calibration['mean_absolute_error']:.3f}" in page and "purchases before the cutoff" in page
    assert calibration_chart(None) == "" and "No value model in this run." in render(_run_figures(None))


def _mart_orders(orders: pa.Table) -> pa.Table:
    """The columns of customer_orders build_value reads."""
    return orders.select(["customer_id", "ordered_at", "amount", "is_successful"])


def _run_figures(value_figures: dict | None):
    from reports import figures as report_figures
    from reports.run_report import RunFigures

    empty = report_figures.LinkageFigures.from_json(
        {
            "headline": {
                "records": 0,
                "customers": 0,
                "duplicates_merged": 0,
                "match_rate": 0.0,
                "largest_cluster": 0,
                "scored_pairs": 0,
                "pairs_by_definition": 0,
            },
            "rates": [],
            "overlap": [],
            "duplicates": [],
            "weights": [],
            "sizes": [],
            "largest": [],
        }
    )
    return RunFigures("run-1", datetime(2025, 11, 1), [], empty, [], None, [], value_figures)
