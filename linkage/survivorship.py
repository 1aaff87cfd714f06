"""The golden record: one row per customer, each field chosen from its source records by a rule.

Rules (why): a full name beats an honorific or romanised form (staff greet people by it); the most
recently seen phone and address (people move and change numbers); the most frequent email,
WeChat and birth date (typos are rare, repeats are confirmations); consent is least permissive
(any opt-out anywhere wins).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

CROSSWALK_SQL = """
select a.customer_id, c.source_system, c.source_file, c.source_sheet, c.source_row, c.source_record_key,
       c.salesperson, c.event_at, c.record_id,
       c.name_std as name, c.name_pinyin, c.name_is_partial, c.phone_e164 as phone, c.phone_display,
       c.email_std as email, c.wechat_std as wechat, c.birth_date_std as birth_date,
       c.province_std as province, c.city_std as city, c.district_std as district,
       c.address_std as address, c.postcode_std as postcode, c.company, c.marketing_opt_out,
       c.quality_flags, m.match_probability
from canonical c
join assignment a using (record_id)
left join record_match m using (record_id)
order by c.source_file, c.source_sheet, c.source_row
"""

# the best probability linking each record to another record of its own customer
RECORD_MATCH_SQL = """
with edges as (
    select record_id_l as record_id, record_id_r as other, match_probability from pairs
    union all
    select record_id_r, record_id_l, match_probability from pairs
)
select e.record_id, max(e.match_probability) as match_probability
from edges e
join assignment a1 on a1.record_id = e.record_id
join assignment a2 on a2.record_id = e.other and a2.customer_id = a1.customer_id
group by e.record_id
"""

GOLDEN_SQL = """
with ranked as (
    select *,
        -- name quality: a full Chinese name, then any full name, then a surname-only form
        case when name is null then 0
             when not name_is_partial and regexp_matches(name, '[\u4e00-\u9fff]') then 3
             when not name_is_partial then 2 else 1 end as name_rank
    from crosswalk
), name_counts as (
    select customer_id, name, name_pinyin, name_rank, count(*) as n, max(event_at) as last_at
    from ranked where name is not null group by all
), best_name as (
    select customer_id, arg_max(name, (name_rank, n, last_at)) as display_name,
           arg_max(name_pinyin, (name_rank, n, last_at)) as name_pinyin
    from name_counts group by customer_id
)
select r.customer_id,
    b.display_name, b.name_pinyin,
    arg_max(phone, coalesce(event_at, '1900-01-01'::timestamp)) filter (where phone is not null) as phone,
    mode(email) filter (where email is not null) as email,
    mode(wechat) filter (where wechat is not null) as wechat,
    mode(birth_date) filter (where birth_date is not null) as birth_date,
    arg_max(province, coalesce(event_at, '1900-01-01'::timestamp)) filter (where city is not null) as province,
    arg_max(city, coalesce(event_at, '1900-01-01'::timestamp)) filter (where city is not null) as city,
    arg_max(district, coalesce(event_at, '1900-01-01'::timestamp)) filter (where city is not null) as district,
    arg_max(address, coalesce(event_at, '1900-01-01'::timestamp)) filter (where address is not null) as address,
    coalesce(bool_or(marketing_opt_out), false) as marketing_opt_out,
    min(event_at) as first_seen_at,
    max(event_at) as last_seen_at,
    count(*)::bigint as source_record_count,
    string_agg(distinct source_system, ',' order by source_system) as source_systems,
    string_agg(distinct salesperson, ',' order by salesperson) as salespeople
from ranked r left join best_name b using (customer_id)
group by r.customer_id, b.display_name, b.name_pinyin
order by r.customer_id
"""


def build_crosswalk(canonical: pa.Table, customer_of_record: dict[int, str], pairs: pa.Table) -> pa.Table:
    con = duckdb.connect()
    assignment = pa.table(
        {"record_id": pa.array(list(customer_of_record), pa.int64()), "customer_id": pa.array(list(customer_of_record.values()), pa.string())}
    )
    con.register("canonical", canonical)
    con.register("assignment", assignment)
    con.register("pairs", pairs)
    con.execute(f"create temp table record_match as {RECORD_MATCH_SQL}")
    return con.sql(CROSSWALK_SQL).to_arrow_table()


def build_golden(crosswalk: pa.Table) -> pa.Table:
    con = duckdb.connect()
    con.register("crosswalk", crosswalk)
    return con.sql(GOLDEN_SQL).to_arrow_table()
