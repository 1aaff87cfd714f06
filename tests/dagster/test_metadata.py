"""Run metadata: a preview shows only the columns on the allow-list, and says how many it left out."""

from __future__ import annotations

import pyarrow as pa

from assets.metadata import markdown_preview, table_metadata


def test_a_preview_shows_ids_figures_and_enumerations_and_counts_the_rest():
    golden = pa.table(
        {
            "customer_id": ["C00000001"],
            "display_name": ["王芳"],
            "wechat": ["13812345678"],
            "address": ["上海市浦东新区工业大道298号"],
            "source_record_count": [3],
            "marketing_opt_out": [False],
            "source_systems": ["sales,tmall"],
        }
    )
    preview = markdown_preview(golden)
    assert preview.splitlines()[:3] == [
        "| customer_id | source_record_count | marketing_opt_out |",
        "|---|---|---|",
        "| C00000001 | 3 | False |",
    ]
    assert preview.splitlines()[-1].startswith("4 of 7 columns left out")
    assert "王芳" not in preview and "138" not in preview and "上海" not in preview


def test_a_column_not_on_the_allow_list_is_left_out_even_when_it_is_new():
    birthdays = pa.table({"customer_id": ["C1"], "turning": [40], "days_until": [3], "nickname": ["Fang"]})
    preview = table_metadata(birthdays)["preview"].value
    assert "turning" not in preview and "days_until" not in preview and "Fang" not in preview
    assert preview.endswith("3 of 4 columns left out: a preview shows ids, figures and enumerations only.")
    assert markdown_preview(pa.table({"full_name": ["Wang Fang"]})).startswith("1 of 1 columns left out")
