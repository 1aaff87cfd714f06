"""A mailbox made of its owner's name (wei.zhang@163.com) is no evidence beyond the name: strangers of
one name share such mailboxes at other providers, or one digit apart, so two of them alike weigh
nothing, while a mailbox that is not a name (kitty1990, a QQ number) still counts when it agrees."""

from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from linkage.features import few_link_records, link_records
from linkage.model import new_linker, settings
from sources.schema import CANONICAL_SCHEMA

ZHANG_WEI = {"name_std": "张伟", "name_pinyin": "zhang wei", "name_tokens": "wei zhang", "name_is_partial": False}
JOHN_SMITH = {
    "name_std": "John Smith",
    "name_pinyin": "john smith",
    "name_tokens": "john smith",
    "name_is_partial": False,
}
MR_WANG = {"name_std": "王", "name_pinyin": "wang", "name_tokens": None, "name_is_partial": True}
LI_LING = {"name_std": "李玲", "name_pinyin": "li ling", "name_tokens": "li ling", "name_is_partial": False}
HU_JIANHUA = {"name_std": "胡建华", "name_pinyin": "hu jianhua", "name_tokens": "hu jianhua", "name_is_partial": False}


def _canonical(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"record_id": i, "source_system": "sales", "source_row": i, **row} for i, row in enumerate(rows, 1)],
        schema=CANONICAL_SCHEMA,
    )


def test_a_mailbox_is_marked_named_when_it_is_its_owners_name_parts():
    rows = [
        {**ZHANG_WEI, "email_std": "wei.zhang@163.com"},
        {**ZHANG_WEI, "email_std": "zhangwei1234@qq.com"},
        {**ZHANG_WEI, "email_std": "zhang_w87@126.com"},  # an initial is left over: still the name
        {**JOHN_SMITH, "email_std": "jsmith12@gmail.com"},
        {**ZHANG_WEI, "email_std": "12345678@qq.com"},  # a QQ number is no name
        {**ZHANG_WEI, "email_std": "lily.chen@163.com"},  # someone else's name
        {**MR_WANG, "email_std": "wei.zhang@163.com"},  # a surname alone cannot tell
        {**ZHANG_WEI, "email_std": None},
        # one token inside another (li in ling, hu in hua): each is taken out once
        {**LI_LING, "email_std": "liling12@qq.com"},
        {**LI_LING, "email_std": "ling.li7@163.com"},
        {**HU_JIANHUA, "email_std": "hujianhua66@qq.com"},
        {**LI_LING, "email_std": "lilingling@qq.com"},  # a name part more than the name has
    ]
    links = link_records(_canonical(rows), generic={})
    named = links.column("mailbox_named").to_pylist()
    assert named == [True, True, True, True, False, False, False, None, True, True, True, False]
    assert few_link_records(_canonical(rows), links.schema).column("mailbox_named").to_pylist() == named


def _email_weights(rows: list[dict]) -> dict[tuple[int, int], float]:
    links = link_records(_canonical(rows))
    # Splink's default m and u: every agreement level weighs above 0
    linker = new_linker(links, replace(settings(), retain_intermediate_calculation_columns=True))
    predictions = linker.inference.predict().as_duckdbpyrelation().to_arrow_table()
    pairs = zip(predictions.column("record_id_l").to_pylist(), predictions.column("record_id_r").to_pylist())
    return {tuple(sorted(p)): w for p, w in zip(pairs, pc.fill_null(predictions.column("mw_email"), 0.0).to_pylist())}


def test_two_mailboxes_named_after_one_name_weigh_nothing_and_other_mailboxes_still_count():
    city = {"city_std": "杭州市"}
    weights = _email_weights(
        [
            {**ZHANG_WEI, **city, "email_std": "wei.zhang@163.com"},
            {**ZHANG_WEI, **city, "email_std": "wei.zhang@qq.com"},  # the same name's mailbox elsewhere
            {**ZHANG_WEI, **city, "email_std": "zhangwei1234@163.com"},
            {**ZHANG_WEI, **city, "email_std": "zhangwei1235@163.com"},  # one digit apart
            {**JOHN_SMITH, **city, "email_std": "kitty1990@163.com"},
            {**JOHN_SMITH, **city, "email_std": "kitty1990@qq.com"},  # a mailbox that is not the name
        ]
    )
    assert weights[(1, 2)] == 0.0
    assert weights[(3, 4)] == 0.0
    assert weights[(5, 6)] > 0.0
