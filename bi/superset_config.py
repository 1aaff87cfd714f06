"""Superset's configuration for the Customer 360 dashboard (SUPERSET_CONFIG_PATH points here).

Superset loads this file by path; bi/provision.py puts the project on PYTHONPATH so the state
folder and the secrets come from the project's settings (bi/home.py), read once here.
"""

from bi.home import metadata_uri, secret_key

SECRET_KEY = secret_key()
SQLALCHEMY_DATABASE_URI = metadata_uri()
