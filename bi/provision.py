"""`make bi`: Superset with the Customer 360 dashboard over the warehouse, provisioned, then served.

    .venv-bi/bin/python -m bi.provision [--serve] [--host H] [--port P]

The bundle (bi/bundle/, Superset's import format) is zipped here with the warehouse's URI filled
in; bi/setup.py, inside Superset, migrates its metadata database, syncs its roles, makes the admin
account (or sets its password to the configured one) and imports the zip with overwrite. Every
step can run again without duplicating anything: the bundle's fixed UUIDs replace the database,
datasets, charts and dashboard a previous provision made.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from zipfile import ZipFile

import yaml

from bi.home import (
    ADMIN,
    BUNDLE,
    DASHBOARD_SLUG,
    URI_PLACEHOLDER,
    BIError,
    admin_password,
    state_dir,
    superset_database,
)
from config.settings import setting

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # superset and gunicorn sit beside the BI environment's python
CONFIG = Path(__file__).resolve().parent / "superset_config.py"


def bundle(uri: str, engine_params: dict, target: Path) -> Path:
    """The bundle as one zip (a root folder, as Superset's export writes it), the warehouse filled in."""
    with ZipFile(target, "w") as archive:
        for path in sorted(BUNDLE.rglob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            if URI_PLACEHOLDER in text:
                database = yaml.safe_load(text)
                database["sqlalchemy_uri"] = uri
                database["extra"] = {**database.get("extra", {}), "engine_params": engine_params}
                text = yaml.safe_dump(database, sort_keys=False)
            archive.writestr(f"customer_360/{path.relative_to(BUNDLE).as_posix()}", text)
    return target


def superset_env() -> dict[str, str]:
    """The environment Superset's commands run in: this configuration, the project importable."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "SUPERSET_CONFIG_PATH": str(CONFIG), "PYTHONPATH": path, "FLASK_APP": "superset"}


def provision() -> None:
    uri, engine_params = superset_database(setting("warehouse"))
    home = state_dir()
    # the zip may hold the warehouse's password: private, and gone once imported
    with tempfile.TemporaryDirectory(dir=home) as scratch:
        archive = bundle(uri, engine_params, Path(scratch) / "bundle.zip")
        done = subprocess.run(
            [sys.executable, "-m", "bi.setup", str(archive), ADMIN],
            env=superset_env(),
            input=admin_password()[0],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    if done.returncode != 0:  # Superset's own account of what failed, then ours in one line
        sys.stderr.write(done.stderr[-6000:])
        raise BIError(f"provisioning Superset failed (exit {done.returncode}); its log is above")


def serve(host: str, port: int) -> None:
    """Superset in the foreground (Ctrl-C stops it): gunicorn, one worker with threads."""
    os.chdir(ROOT)
    command = [str(BIN / "gunicorn"), "--bind", f"{host}:{port}", "--workers", "1", "--threads", "8"]
    command += ["--timeout", "120", "--log-level", "warning", "superset.app:create_app()"]
    os.execve(command[0], command, superset_env())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bi.provision", description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true", help="serve Superset after provisioning")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    args = parser.parse_args(argv)
    try:
        provision()
    except BIError as exc:
        print(f"bi: {exc}", file=sys.stderr)
        return 2
    where = admin_password()[1]
    print(f"Customer 360: http://{args.host}:{args.port}/superset/dashboard/{DASHBOARD_SLUG}/")
    print(f"Log in as {ADMIN}, with the password in {where}")
    if args.serve:
        sys.stdout.flush()
        serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
