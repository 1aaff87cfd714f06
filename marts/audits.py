"""The audits only a mart has: the audience's promises. The audits every published table passes
(keys, links to golden customers) are in common/audits.py."""

from __future__ import annotations

import pyarrow as pa

from common.audits import counts


def audience_violations(audience: pa.Table, golden: pa.Table, consent: pa.Table, tickets: pa.Table) -> dict[str, int]:
    """Rows on a channel the customer opted out of, customers opted out of every channel, customers
    with an open complaint, addresses used for more than one customer, and rows without an address."""
    return counts(
        """select (select count(*) from audience
                   semi join (select customer_id, channel from consent where status = 'opted_out') using (customer_id, channel))
                      as opted_out_of_channel,
                  (select count(*) from audience where customer_id in (select customer_id from golden where marketing_opt_out)) as opted_out,
                  (select count(*) from audience
                   where customer_id in (select customer_id from tickets where is_open and ticket_type = 'complaint')) as open_complaint,
                  (select count(*) from (select lower(address) from audience group by 1 having count(distinct customer_id) > 1))
                      as repeated_addresses,
                  (select count(*) from audience where address is null) as without_address""",
        audience=audience,
        golden=golden,
        consent=consent,
        tickets=tickets,
    )
