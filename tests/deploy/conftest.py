"""Fixtures of the deployment tests: the servers' tools, a work tree.

The tools (Apache with apxs, mod_wsgi and uWSGI in .venv) come from
``tools/bootstrap.sh``, which ``deploy_tools`` runs once when one of them
is missing; the modules that start these servers use that fixture.
Apache drops privileges to www-data, so these tests need root; without
it (or without the tools) they are skipped outside CI and fail in CI, as
the database tests do for their servers.
"""

import os
import shutil
import subprocess

import pytest

from tests.deploy import servers
from tests.helpers import unavailable


def _missing_tools():
    missing = []
    if not os.path.exists(servers.APACHECTL):
        missing.append("apache2ctl (apt: apache2)")
    if not (shutil.which("apxs") or shutil.which("apxs2")):
        missing.append("apxs (apt: apache2-dev)")
    for tool in ("mod_wsgi-express", "uwsgi", "gunicorn"):
        if not (servers.VENV_BIN / tool).exists():
            missing.append(f".venv/bin/{tool}")
    if not shutil.which("openssl"):
        missing.append("openssl")
    return missing


@pytest.fixture(scope="session")
def deploy_tools():
    if os.geteuid() != 0:
        unavailable("root (the servers run as www-data)")
    if _missing_tools():
        proc = subprocess.run([str(servers.ROOT / "tools" / "bootstrap.sh")],
                              capture_output=True, text=True, timeout=900)
        missing = _missing_tools()
        if missing:
            unavailable(f"{', '.join(missing)} (tools/bootstrap.sh: "
                        f"{proc.stderr[-500:] or proc.stdout[-500:]})")


@pytest.fixture
def workdir():
    tree = servers.Workdir()
    yield tree
    tree.cleanup()


@pytest.fixture(scope="module")
def module_workdir():
    tree = servers.Workdir()
    yield tree
    tree.cleanup()
