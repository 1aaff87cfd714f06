"""What a run looked like, for the people who run it: figures from the work tables, text and SVG
charts, and one self-contained HTML page per run. Pure Python over Arrow tables, no Dagster.

No personal data leaves through here: figures are counts by source, reason, size or tier, and
customers are named only by their customer_id.
"""
