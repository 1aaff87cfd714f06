"""The BI dashboard: Apache Superset's Customer 360 over the warehouse (make bi, docs/bi.md).

Runs in its own environment (.venv-bi, bi/requirements.lock): Superset pins SQLAlchemy 1.4. Its
modules import only the standard library, PyYAML, SQLAlchemy's URL parser and config/, never the
pipeline; bi/setup.py alone imports Superset.
"""
