"""customer_salespeople: every salesperson who has the customer in a sheet, and which one is primary.

The primary salesperson is the one with the most recent contact; ties go to the one with more
records of the customer, then by name, so there is always exactly one.
"""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import query

SALESPEOPLE_SQL = """
select customer_id, salesperson,
       min(event_at) as first_contact_at, max(event_at) as last_contact_at, count(*)::bigint as record_count,
       row_number() over (partition by customer_id order by max(event_at) desc nulls last, count(*) desc, salesperson) = 1 as is_primary
from crosswalk
where salesperson is not null
group by customer_id, salesperson
order by customer_id, salesperson
"""


def build_salespeople(crosswalk: pa.Table) -> pa.Table:
    return query(SALESPEOPLE_SQL, crosswalk=crosswalk)
