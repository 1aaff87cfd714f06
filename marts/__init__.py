"""Customer-360 marts: what BI tools, marketing and customer care read, built from the golden
tables and the order and ticket facts the sources carry. Pure: SQL over Arrow tables with DuckDB,
no Dagster; one module per mart, each a function from input tables to the mart's table.

orders -> value; tickets -> audience (+ suppressions); salespeople -> birthdays.
"""
