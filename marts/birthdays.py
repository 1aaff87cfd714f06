"""upcoming_birthdays: customers whose birthday falls in the next days, for customer care to greet.

Birthdays on 29 February are kept on 28 February in other years. The customer's primary
salesperson is named so the greeting comes from someone they know; marketing_opt_out is shown
because a greeting with an offer is marketing.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from common.arrow_sql import query

HORIZON_DAYS = 30

BIRTHDAYS_SQL = """
with born as (
    select customer_id, display_name, birth_date, marketing_opt_out,
           date_diff('year', birth_date, $today) as years  -- calendar years: this year's birthday is birth_date + years
    from golden
    where birth_date is not null and birth_date <= $today
), next_birthday as (
    select *, case when (birth_date + to_years(years::integer))::date >= $today then years else years + 1 end as turning
    from born
)
select n.customer_id, n.display_name, n.birth_date,
       (n.birth_date + to_years(n.turning::integer))::date as next_birthday,
       date_diff('day', $today::date, (n.birth_date + to_years(n.turning::integer))::date)::bigint as days_until,
       n.turning::bigint as turning,
       s.salesperson as primary_salesperson,
       n.marketing_opt_out,
       $today::date as as_of
from next_birthday n
left join salespeople s on s.customer_id = n.customer_id and s.is_primary
where days_until <= $horizon
order by days_until, n.customer_id
"""


def build_birthdays(golden: pa.Table, salespeople: pa.Table, today: date, horizon_days: int = HORIZON_DAYS) -> pa.Table:
    return query(BIRTHDAYS_SQL, {"today": today, "horizon": horizon_days}, golden=golden, salespeople=salespeople)
