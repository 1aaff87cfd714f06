"""Helpers every room may import: SQL over Arrow tables (arrow_sql), operations on sets of ids
(sets), counts of violations for the checks (audits). They import no other room of the project,
so any of them can use these without an import circle (tests/unit/test_architecture.py)."""
