"""The value model: what each buying customer is expected to do next, from their orders alone.

A buy-till-you-die model, from pymc-marketing's CLV module (the maintained successor of
`lifetimes`), fitted by maximum a posteriori (fast, and deterministic for the same orders):

* BG/NBD (`BetaGeoModel`) for how often a customer buys while alive and the chance they have
  dropped out: `expected_purchases_90d` and `probability_alive` (churn risk is 1 minus it). Under
  BG/NBD a customer can only drop out after a repeat purchase, so a one-time buyer is alive (1.0).
* Gamma-Gamma (`GammaGammaModel`), fitted on repeat buyers, for how much an order is worth; with
  BG/NBD's purchases it gives `predicted_value_12m`: the spend expected in the 12 months after the
  run's date, discounted by MONTHLY_DISCOUNT a month.

Orders are summarised as pymc-marketing's `rfm_summary` does, in days: successful, dated orders
up to the run's date, one purchase per customer and day (an undated order cannot be placed in
time and is left out); frequency = purchase days - 1, recency = first to last purchase day,
T = first purchase day to the run's date, monetary_value = the mean spend of the repeat days.

The fitted parameters are state of the warehouse (warehouse.value_models), versioned like the
linkage model: a run fits on its orders; the same parameters as the current version reuse it; new
ones are saved as a new version; a fit that fails (too few repeat buyers, an optimiser that ends
on invalid parameters, an error) predicts with the current version and says why. Without
pymc-marketing (the `value` extra) or without any usable version the columns are null, and the
figures, which the run report shows, say why.

Calibration: the model is fitted again on the orders before a cutoff HOLDOUT_DAYS before the run's
date, predicts each of those customers' purchase days in the holdout, and is compared with what
they did (the mean by purchases before the cutoff, as lifetimes' calibration plot; the mean
absolute error; total predicted against total actual). Figures only: no customer leaves here.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from time import perf_counter
from typing import Protocol

import numpy as np
import pyarrow as pa

from common.arrow_sql import query
from common.sets import outside, within

HOLDOUT_DAYS = 90  # the calibration's held-out last period
HORIZON_DAYS = 90  # expected_purchases_90d
VALUE_MONTHS = 12  # predicted_value_12m
MONTHLY_DISCOUNT = 0.01  # about 12.7% a year: next year's money is worth less than today's
MIN_BUYERS = 20  # fewer customers with an order than this: nothing to learn a population from
MIN_REPEAT_BUYERS = 10  # Gamma-Gamma learns spend from repeat buyers only
SEED = 7  # the optimiser's seed: the same orders give the same parameters
PARAM_DIGITS = 8  # significant digits a fitted parameter is kept to
SAME_PARAMS = 1e-6  # relative difference under which a refit's parameters are the current version's
PREDICTION_DIGITS = 6  # decimals of expected purchases and probability alive (the value has 2)
CALIBRATION_TOP = 7  # purchases before the cutoff grouped 0, 1, ..., 6, 7+ (as lifetimes' plot)
BG_NBD_PARAMS = ("a", "b", "alpha", "r")
GAMMA_GAMMA_PARAMS = ("p", "q", "v")
NOT_INSTALLED = "pymc-marketing is not installed: pip install '.[value]'"

PREDICTION_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("expected_purchases_90d", pa.float64()),
        ("probability_alive", pa.float64()),
        ("predicted_value_12m", pa.float64()),
    ]
)
logger = logging.getLogger(__name__)

SUMMARY_SQL = """
with days as (
    select customer_id, ordered_at::date as day, sum(amount)::double as spent
    from orders
    where is_successful and ordered_at is not null and ordered_at::date <= $until
    group by customer_id, day
), spans as (
    select customer_id, min(day) as first_day, max(day) as last_day, count(*) - 1 as frequency
    from days group by customer_id
)
select s.customer_id, s.frequency::double as frequency,
       date_diff('day', s.first_day, s.last_day)::double as recency,
       date_diff('day', s.first_day, $until)::double as "T",
       coalesce(avg(d.spent) filter (where d.day > s.first_day), 0)::double as monetary_value
from spans s join days d using (customer_id)
group by s.customer_id, s.frequency, s.first_day, s.last_day
order by s.customer_id
"""

HOLDOUT_SQL = """
select customer_id, count(distinct ordered_at::date)::double as actual
from orders
where is_successful and ordered_at is not null and ordered_at::date > $after and ordered_at::date <= $until
group by customer_id
"""


class ValueModelError(ValueError):
    """A fit that cannot be used, said in one line of figures (never a customer's data)."""


class ValueModelStore(Protocol):
    """Where a warehouse keeps its value models (warehouse.value_models.WarehouseValueModels)."""

    def current(self) -> dict | None: ...

    def save(self, document: dict, reason: str) -> None: ...


@dataclass(frozen=True)
class ValueOutcome:
    predictions: pa.Table  # PREDICTION_SCHEMA, one row per buying customer; empty: the columns stay null
    figures: dict = field(default_factory=dict)  # status, reason, version, params, calibration: figures only


def rfm_summary(orders: pa.Table, until: date) -> pa.Table:
    """customer_id, frequency, recency, T, monetary_value per customer with a dated successful order."""
    return query(SUMMARY_SQL, {"until": until}, orders=orders)


def missing_library() -> str | None:
    """Why the model cannot run here; None when pymc-marketing is installed."""
    try:
        import pymc_marketing.clv  # noqa: F401  heavy: imported only when a model runs
    except ImportError:
        return NOT_INSTALLED
    return None


def unavailable(reason: str) -> ValueOutcome:
    """No model to predict with: no predictions (customer_value's columns stay null) and why."""
    return ValueOutcome(_no_predictions(), {"status": "unavailable", "reason": reason})


def _no_predictions() -> pa.Table:
    return PREDICTION_SCHEMA.empty_table()


def fit_params(summary: pa.Table) -> dict:
    """BG/NBD and Gamma-Gamma parameters fitted on a summary (MAP); ValueModelError when the
    orders cannot teach them or the optimiser ends on parameters that predict nothing sound."""
    buyers, repeat = summary.num_rows, _repeat_buyers(summary)
    if buyers < MIN_BUYERS:
        raise ValueModelError(f"only {buyers:,} customers with a dated successful order (the fit needs {MIN_BUYERS})")
    if repeat.num_rows < MIN_REPEAT_BUYERS:
        raise ValueModelError(f"only {repeat.num_rows:,} repeat buyers (Gamma-Gamma needs {MIN_REPEAT_BUYERS})")
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pymc's and arviz's notices, not ours to show per run
            purchases = BetaGeoModel()
            purchases.fit(summary.to_pandas(), method="map", progressbar=False, seed=SEED)
            spend = GammaGammaModel()
            spend.fit(repeat.to_pandas(), method="map", progressbar=False, seed=SEED)
    except Exception as exc:  # an optimiser's or a library's failure: the run goes on with the current version
        raise ValueModelError(f"the fit failed: {type(exc).__name__}") from exc
    params = {
        "bg_nbd": _posterior_point(purchases, BG_NBD_PARAMS),
        "gamma_gamma": _posterior_point(spend, GAMMA_GAMMA_PARAMS),
    }
    check_params(params)
    return params


def check_params(params: dict) -> None:
    """Parameters that predict: all finite and positive; Gamma-Gamma's q above 1 (below, the mean
    spend of the population is infinite)."""
    for model, values in params.items():
        for name, value in values.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueModelError(f"the fit ended on {model} {name} = {value}")
    if params["gamma_gamma"]["q"] <= 1:
        raise ValueModelError(f"the fit ended on Gamma-Gamma q = {params['gamma_gamma']['q']:.3g} (needs q > 1)")


def predict(summary: pa.Table, params: dict) -> pa.Table:
    """Each summarised customer's expected purchases in HORIZON_DAYS, probability alive and the
    discounted spend expected in VALUE_MONTHS, clamped to their ranges; a value the formulas
    cannot give (not finite) is null, never NaN."""
    if summary.num_rows == 0:
        return _no_predictions()
    purchases, spend = _models(summary, params)
    data = summary.to_pandas()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        expected = _values(purchases.expected_purchases(data, future_t=HORIZON_DAYS))
        alive = _values(purchases.expected_probability_alive(data))
        value = _values(
            spend.expected_customer_lifetime_value(
                purchases, data.copy(), future_t=VALUE_MONTHS, discount_rate=MONTHLY_DISCOUNT, time_unit="D"
            )
        )
    return pa.table(
        {
            "customer_id": summary.column("customer_id"),
            "expected_purchases_90d": _clean(expected, 0.0, None, PREDICTION_DIGITS),
            "probability_alive": _clean(alive, 0.0, 1.0, PREDICTION_DIGITS),
            "predicted_value_12m": _clean(value, 0.0, None, 2),
        },
        schema=PREDICTION_SCHEMA,
    )


def calibration(orders: pa.Table, today: date, fit: Callable[[pa.Table], dict] = fit_params) -> dict:
    """Fit on the orders up to HOLDOUT_DAYS before today, predict each of those customers'
    purchase days in the holdout and compare with theirs: figures only."""
    cutoff = today - timedelta(days=HOLDOUT_DAYS)
    summary = rfm_summary(orders, cutoff)
    figures = {"cutoff": cutoff.isoformat(), "holdout_days": HOLDOUT_DAYS, "customers": summary.num_rows}
    try:
        params = fit(summary)
    except ValueModelError as exc:
        return {**figures, "error": str(exc)}
    purchases, _ = _models(summary, params)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        predicted = _values(purchases.expected_purchases(summary.to_pandas(), future_t=HOLDOUT_DAYS))
    compared = pa.table(
        {
            "customer_id": summary.column("customer_id"),
            "frequency": summary.column("frequency"),
            "predicted": _clean(predicted, 0.0, None, PREDICTION_DIGITS),
        }
    )
    return {**figures, **compare(compared, query(HOLDOUT_SQL, {"after": cutoff, "until": today}, orders=orders))}


def compare(predicted: pa.Table, actual: pa.Table) -> dict:
    """Predicted (customer_id, frequency, predicted) against actual (customer_id, actual) holdout
    purchases: the mean of both per purchases before the cutoff, the mean absolute error, totals."""
    rows = query(
        """with joined as (
               select least(p.frequency, $top)::integer as bucket, p.predicted, coalesce(a.actual, 0) as actual
               from predicted p left join actual a using (customer_id) where p.predicted is not null
           )
           select bucket, count(*) as customers, avg(predicted) as predicted, avg(actual) as actual,
                  sum(abs(predicted - actual)) as abs_error, sum(predicted) as predicted_total, sum(actual) as actual_total
           from joined group by bucket order by bucket""",
        {"top": CALIBRATION_TOP},
        predicted=predicted,
        actual=actual,
    ).to_pylist()
    customers = sum(r["customers"] for r in rows)
    return {
        "compared": customers,
        "mean_absolute_error": _round(sum(r["abs_error"] for r in rows) / customers) if customers else None,
        "predicted_total": _round(sum(r["predicted_total"] for r in rows)),
        "actual_total": _round(sum(r["actual_total"] for r in rows)),
        "by_purchases_before": [
            {
                "purchases_before": f"{r['bucket']}+" if r["bucket"] == CALIBRATION_TOP else str(r["bucket"]),
                "customers": r["customers"],
                "predicted": _round(r["predicted"]),
                "actual": _round(r["actual"]),
            }
            for r in rows
        ],
    }


def run(
    orders: pa.Table,
    today: date,
    store: ValueModelStore,
    fit: Callable[[pa.Table], dict] = fit_params,
    refit: bool = True,
) -> ValueOutcome:
    """Fit on the orders up to today, keep the parameters as the store's version, predict each
    buyer, and calibrate on a held-out last period: what the value-model asset does. Without
    refit (an incremental run) the current version predicts: its two fits would cost more than
    the rest of such a run, and a day's new orders barely move the parameters."""
    missing = missing_library()
    if missing:
        return unavailable(missing)
    summary, current = rfm_summary(orders, today), store.current()
    started = perf_counter()
    if current is not None and not refit:
        return _predicted(
            summary, current, f"predicting with version {current['version']} (refitted on full runs)", started, None
        )
    try:
        document, status = _keep(fit(summary), summary, today, current, store)
    except ValueModelError as exc:
        if current is None:
            return unavailable(f"{exc}; no earlier value model in this warehouse")
        document, status = current, f"not fitted ({exc}): predicting with version {current['version']}"
        logger.warning("value model %s", status)
    return _predicted(summary, document, status, started, calibration(orders, today, fit))


def update(kept: pa.Table, changed: pa.Array, orders: pa.Table, today: date, document: dict) -> ValueOutcome:
    """run's outcome for an incremental run whose earlier predictions stand for every customer it
    did not change (kept: made by `document`, the current version, at this same date): the changed
    customers predicted again from their orders. A customer's prediction reads only their own
    orders and the version's parameters."""
    missing = missing_library()
    if missing:
        return unavailable(missing)
    started = perf_counter()
    status = f"predicting with version {document['version']} for the changed customers (refitted on full runs)"
    fresh = _predicted(rfm_summary(within(orders, "customer_id", changed), today), document, status, started, None)
    rest = outside(kept, "customer_id", changed)
    predictions = pa.concat_tables([rest, fresh.predictions.cast(rest.schema)])
    not_finite = sum(predictions.column(n).null_count for n in PREDICTION_SCHEMA.names[1:])
    return ValueOutcome(
        predictions, {**fresh.figures, "customers": predictions.num_rows, "predictions_not_finite": not_finite}
    )


def _predicted(summary: pa.Table, document: dict, status: str, started: float, calibrated: dict | None) -> ValueOutcome:
    figures = {
        "status": status,
        "version": document["version"],
        "fit_seconds": round(perf_counter() - started, 2),
        "fitted_on_customers": document["fitted_on_customers"],
        "params": document["params"],
        "customers": summary.num_rows,
    }
    predictions = predict(summary, document["params"])
    figures["predictions_not_finite"] = sum(predictions.column(n).null_count for n in PREDICTION_SCHEMA.names[1:])
    return ValueOutcome(predictions, {**figures, "calibration": calibrated})


def metadata(figures: dict) -> dict:
    """The figures as flat metadata of the value-model step (figures only: no customer)."""
    calibrated = figures.get("calibration") or {}
    flat = {
        "value_model": figures["status"],
        "reason": figures.get("reason"),
        "version": figures.get("version"),
        "fit_seconds": figures.get("fit_seconds"),
        "customers": figures.get("customers"),
        "tiers_by": figures.get("tiers_by"),
        "params": json.dumps(figures["params"], sort_keys=True) if figures.get("params") else None,
        "calibration_cutoff": calibrated.get("cutoff"),
        "calibration_mean_absolute_error": calibrated.get("mean_absolute_error"),
        "calibration_predicted_total": calibrated.get("predicted_total"),
        "calibration_actual_total": calibrated.get("actual_total"),
        "calibration_error": calibrated.get("error"),
    }
    return {name: value for name, value in flat.items() if value is not None}


def same_params(a: dict, b: dict) -> bool:
    """Both predict alike: the same parameters, each within SAME_PARAMS of the other (a refit of
    the same orders can end a few ulps apart: the current version is kept, so the marts agree)."""
    return {m: set(v) for m, v in a.items()} == {m: set(v) for m, v in b.items()} and all(
        math.isclose(a[m][k], b[m][k], rel_tol=SAME_PARAMS) for m in a for k in a[m]
    )


def new_document(params: dict, summary: pa.Table, today: date, now: datetime | None = None) -> dict:
    """Fitted parameters as a value model document, versioned by the time they were fitted."""
    now = now or datetime.now(UTC)
    return {
        "version": now.strftime("%Y%m%dT%H%M%S%fZ"),
        "as_of": today.isoformat(),
        "fitted_on_customers": summary.num_rows,
        "params": params,
        "library": _library_version(),
    }


def _keep(params: dict, summary: pa.Table, today: date, current: dict | None, store: ValueModelStore):
    if current is not None and same_params(current["params"], params):
        return current, f"fitted: the same parameters as version {current['version']}, reused"
    document = new_document(params, summary, today)
    reason = (
        "no value model in this warehouse" if current is None else f"new parameters since version {current['version']}"
    )
    store.save(document, f"fitted on {summary.num_rows:,} customers' orders to {today.isoformat()}: {reason}")
    return document, f"fitted: saved as version {document['version']} ({reason})"


def _repeat_buyers(summary: pa.Table) -> pa.Table:
    return query("select * from summary where frequency > 0 and monetary_value > 0", summary=summary)


def _posterior_point(model, names: tuple[str, ...]) -> dict:
    """The MAP point's parameters, to PARAM_DIGITS significant digits (what is kept and compared)."""
    return {name: float(f"{np.asarray(model.idata.posterior[name]).ravel()[0]:.{PARAM_DIGITS}g}") for name in names}


def _models(summary: pa.Table, params: dict):
    """The two pymc-marketing models with these parameters as their (one-point) posterior."""
    import arviz as az
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        purchases, spend = BetaGeoModel(), GammaGammaModel()
        purchases.build_model(summary.select(["customer_id", "frequency", "recency", "T"]).to_pandas())
        for model, values in ((purchases, params["bg_nbd"]), (spend, params["gamma_gamma"])):
            model.idata = az.from_dict(posterior={k: np.array([[v]]) for k, v in values.items()})
    return purchases, spend


def _values(result) -> np.ndarray:
    """One value per customer from a one-point posterior's answer."""
    return np.asarray(result).reshape(-1)


def _clean(values: np.ndarray, low: float, high: float | None, digits: int) -> pa.Array:
    """In range and rounded; null where not finite (never NaN)."""
    with np.errstate(invalid="ignore"):
        clipped = np.round(np.clip(values, low, high), digits)
    return pa.array(np.where(np.isfinite(values), clipped, 0.0), type=pa.float64(), mask=~np.isfinite(values))


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _library_version() -> str | None:
    try:
        return importlib.metadata.version("pymc-marketing")
    except importlib.metadata.PackageNotFoundError:
        return None
