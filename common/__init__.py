"""Helpers every room may import: SQL over Arrow tables (arrow_sql), operations on sets of ids
(sets). They know nothing of customers, sources or the warehouse: no import of any other room."""
