"""Superset's side of provisioning, in one process (importing Superset alone takes seconds).

Run by bi/provision.py inside the BI environment, configured by bi/superset_config.py:

    python -m bi.setup BUNDLE.zip ADMIN < password

does what `superset db upgrade`, `superset init`, an admin account and an assets import
(POST /api/v1/assets/import) would, each safe to repeat: migrations already applied are skipped,
roles are synced, the admin's password is set to the one given, and the bundle replaces what its
UUIDs name, the database's URI included (`superset import-dashboards` would keep an existing
database, dataset or chart as it was).
"""

from __future__ import annotations

import sys
from zipfile import ZipFile


def set_admin(security_manager, session, name: str, password: str) -> None:
    """The admin account with this password: made when missing, its password set when not."""
    from werkzeug.security import generate_password_hash

    user = security_manager.find_user(username=name)
    if user is None:
        role = security_manager.find_role("Admin")
        if not security_manager.add_user(name, "Customer 360", "admin", f"{name}@localhost", role, password=password):
            raise SystemExit("bi: could not make the admin account")
    else:
        user.password = generate_password_hash(password)
    session.commit()


def main(bundle_path: str, admin: str) -> None:
    from flask import g
    from flask_migrate import upgrade
    from superset.app import create_app

    password = sys.stdin.read()
    app = create_app()
    with app.app_context():
        from superset import appbuilder, db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle

        upgrade()
        appbuilder.add_permissions(update_perms=True)
        security_manager.sync_role_definitions()
        db.session.commit()
        set_admin(security_manager, db.session, admin, password)
        g.user = security_manager.find_user(username=admin)  # the importer checks its permissions
        with ZipFile(bundle_path) as bundle:
            ImportAssetsCommand(get_contents_from_bundle(bundle)).run()
        db.session.commit()


if __name__ == "__main__":
    main(*sys.argv[1:3])
