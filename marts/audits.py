"""The audits only a mart has: the audience's promises. The audits every published table passes
(keys, links to golden customers) are in common/audits.py."""

from __future__ import annotations

import pyarrow as pa

from common.audits import counts


def audience_violations(audience: pa.Table, golden: pa.Table, tickets: pa.Table) -> dict[str, int]:
    """Opted-out customers, customers with an open complaint, and addresses used more than once."""
    return counts(
        """select (select count(*) from audience where customer_id in (select customer_id from golden where marketing_opt_out)) as opted_out,
                  (select count(*) from audience
                   where customer_id in (select customer_id from tickets where is_open and ticket_type = 'complaint')) as open_complaint,
                  (select count(*) - count(distinct lower(address)) from audience) as repeated_addresses,
                  (select count(*) from audience where address is null) as without_address""",
        audience=audience,
        golden=golden,
        tickets=tickets,
    )
