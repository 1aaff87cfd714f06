"""marketing_audience and marketing_suppressions: who marketing may contact, at which one address,
and why everyone else is left out.

Every golden customer ends up in exactly one of the two tables (a suppressed customer once per
reason). The address is the golden email, else the golden phone. Left out:

* opted_out: the customer opted out anywhere (golden_customers.marketing_opt_out);
* open_complaint: the customer has a complaint ticket that is still open;
* no_contact: neither an email nor a phone;

and, among the customers none of these excludes:

* address_opted_out: the address is also an opted-out customer's email or phone; a message to
  it would reach someone who said no;
* shared_address: another customer has the same address; it goes to one of them only, the one
  seen most recently (ties: the lowest customer_id), so the choice is stable.
"""

from __future__ import annotations

import pyarrow as pa

from common.arrow_sql import query

DECISIONS_SQL = """
with contact as (
    select customer_id, display_name, last_seen_at, marketing_opt_out,
           coalesce(email, phone) as address,
           case when email is not null then 'email' when phone is not null then 'phone' end as channel
    from golden
), blocked as (
    select customer_id, 'opted_out' as reason, null::varchar as detail from contact where marketing_opt_out
    union all
    select customer_id, 'open_complaint', 'open complaint ticket(s) ' || string_agg(ticket_id, ', ' order by ticket_id)
    from tickets where is_open and ticket_type = 'complaint' group by customer_id
    union all
    select customer_id, 'no_contact', 'no email or phone' from contact where address is null
), opted_out_addresses as (
    select lower(address) as address_key, min(customer_id) as opted_out_customer
    from (select customer_id, email as address from golden where marketing_opt_out
          union all select customer_id, phone from golden where marketing_opt_out)
    where address is not null
    group by 1
), eligible as (
    select c.*, first_value(c.customer_id) over (
               partition by lower(c.address) order by c.last_seen_at desc nulls last, c.customer_id) as address_holder
    from contact c anti join blocked b using (customer_id)
)
select e.customer_id, e.display_name, e.channel, e.address,
       case when o.address_key is not null then 'address_opted_out'
            when e.address_holder <> e.customer_id then 'shared_address' end as reason,
       case when o.address_key is not null then 'address also belongs to opted-out customer ' || o.opted_out_customer
            when e.address_holder <> e.customer_id then 'address goes to customer ' || e.address_holder end as detail
from eligible e left join opted_out_addresses o on o.address_key = lower(e.address)
union all
select customer_id, c.display_name, c.channel, c.address, b.reason, b.detail
from blocked b join contact c using (customer_id)
"""

AUDIENCE_SQL = (
    "select customer_id, display_name, channel, address from decisions where reason is null order by customer_id"
)
SUPPRESSIONS_SQL = (
    "select customer_id, reason, detail from decisions where reason is not null order by customer_id, reason"
)


def build_audience(golden: pa.Table, tickets: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(marketing_audience, marketing_suppressions)"""
    decisions = query(DECISIONS_SQL, golden=golden, tickets=tickets)
    return query(AUDIENCE_SQL, decisions=decisions), query(SUPPRESSIONS_SQL, decisions=decisions)
