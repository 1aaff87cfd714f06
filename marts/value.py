"""customer_value: what each customer is worth, how often they buy, and who is overdue.

Only successful orders count (marts.orders.SUCCESSFUL_STATUSES). Everything is measured as of a
'today' that is a parameter: the run's date (`unify run --as-of DATE` pins it, so the same sources
and date always give the same marts). Orders dated after it have not happened yet and do not
count; the data never moves it (one typo dated 2031 once made every customer look overdue).
Every golden customer has a row; customers without a successful order have zero orders and no
scores.

* RFM: recency, frequency and monetary scores 1-5 by quintile among buying customers (5 = most
  recent, most orders, most spent); equal values get equal scores. rfm_score joins them: '545'.
* value_tier: A = top 20% by spend (is_top_20pct), B = the next 30%, C = the other buyers.
  Customers who spent the same get the same tier. With UNIFY_VALUE_BASIS=predicted the tiers rank
  buyers by predicted_value_12m instead (a buyer without a prediction ranks last), while the value
  model has predictions; without any (no model) they rank by spend (tiers_by_prediction).
* expected_purchases_90d, probability_alive, predicted_value_12m: the value model's predictions
  (marts/value_model.py) for buyers; null for customers without a dated successful order, and for
  everyone when no value model could run.
* avg_days_between_orders is the purchase cycle; next_expected_purchase is one cycle after the
  last order; is_at_risk means more than 1.5 cycles have passed since it.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from common.arrow_sql import query
from marts.value_model import PREDICTION_SCHEMA

TOP_SHARE = 0.2
TIER_B_SHARE = 0.5  # top 20% are A, the next 30% B
AT_RISK_CYCLES = 1.5

VALUE_SQL = """
with bought as (
    select customer_id, count(*) as order_count, sum(amount) as total_spent,
           min(ordered_at) as first_order_at, max(ordered_at) as last_order_at
    from orders
    where is_successful and (ordered_at is null or ordered_at::date <= $today)  -- as of today: later orders have not happened yet
    group by customer_id
), cycles as (
    select *, date_diff('day', last_order_at::date, $today) as recency_days,
           case when order_count > 1
                then date_diff('second', first_order_at, last_order_at) / 86400.0 / (order_count - 1) end as cycle_days
    from bought
), scored as (
    select c.*, p.expected_purchases_90d, p.probability_alive, p.predicted_value_12m,
        -- percent_rank gives ties one rank: equal customers get equal scores
        least(5, 1 + floor(5 * percent_rank() over (order by recency_days desc)))::integer as r_score,
        least(5, 1 + floor(5 * percent_rank() over (order by order_count)))::integer as f_score,
        least(5, 1 + floor(5 * percent_rank() over (order by total_spent)))::integer as m_score,
        cume_dist() over (
            order by case when $by_prediction then p.predicted_value_12m else c.total_spent end desc nulls last
        ) as spend_share
    from cycles c
    left join predictions p using (customer_id)
)
select g.customer_id,
       coalesce(s.order_count, 0)::bigint as order_count,
       round(coalesce(s.total_spent, 0), 2) as total_spent,
       s.first_order_at, s.last_order_at, s.recency_days::bigint as recency_days,
       round(s.cycle_days, 1) as avg_days_between_orders,
       (s.last_order_at::date + round(s.cycle_days)::integer)::date as next_expected_purchase,
       s.r_score, s.f_score, s.m_score,
       s.r_score::varchar || s.f_score::varchar || s.m_score::varchar as rfm_score,
       case when s.spend_share <= $top then 'A' when s.spend_share <= $tier_b then 'B' when s.customer_id is not null then 'C' end as value_tier,
       coalesce(s.spend_share <= $top, false) as is_top_20pct,
       coalesce(s.recency_days > $at_risk * s.cycle_days, false) as is_at_risk,
       s.expected_purchases_90d, s.probability_alive, round(s.predicted_value_12m, 2) as predicted_value_12m,
       $today::date as as_of
from golden g
left join scored s using (customer_id)
order by g.customer_id
"""


def build_value(
    golden: pa.Table, orders: pa.Table, today: date, predictions: pa.Table | None = None, by_prediction: bool = False
) -> pa.Table:
    """predictions: the value model's (marts.value_model.PREDICTION_SCHEMA); None or empty: null
    columns. by_prediction: tiers by predicted_value_12m (tiers_by_prediction decides)."""
    predictions = predictions if predictions is not None else PREDICTION_SCHEMA.empty_table()
    params = {
        "today": today,
        "top": TOP_SHARE,
        "tier_b": TIER_B_SHARE,
        "at_risk": AT_RISK_CYCLES,
        "by_prediction": tiers_by_prediction(by_prediction, predictions),
    }
    return query(VALUE_SQL, params, golden=golden, orders=orders, predictions=predictions)


def tiers_by_prediction(asked: bool, predictions: pa.Table) -> bool:
    """Whether the tiers rank by predicted value: when asked (UNIFY_VALUE_BASIS=predicted) and the
    value model gave predictions; without any, spend, so a run without a model still has tiers."""
    return asked and predictions.num_rows > 0
