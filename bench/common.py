"""Shared helpers of the benchmarks: a throw-away config directory.

``config_dir()`` makes a temporary OS_NOVA_CONFIG_DIR holding a copy of the
shipped api-paste.ini and a nova.conf for the default-for-bench setup
(``[api] auth_strategy = noauth2``, SQLite in the same directory), runs
``nova-manage db sync`` against it and removes the directory at the end.
``auth_strategy="keystone"`` adds a ``[keystone_authtoken]`` section that
points at 127.0.0.1:1; nothing contacts it while the app is built.
"""

import contextlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PASTE = ROOT / "nova" / "etc" / "api-paste.ini"
PYTHON = sys.executable
BIN = pathlib.Path(PYTHON).parent  # the venv's bin/ (gunicorn, nova-manage)

ENV_DIR = "OS_NOVA_CONFIG_DIR"

_KEYSTONE = """
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:1/identity
auth_url = http://127.0.0.1:1/identity
auth_type = password
username = nova
password = bench
project_name = service
user_domain_name = Default
project_domain_name = Default
"""


def nova_conf(directory, auth_strategy="noauth2"):
    text = (f"[api]\nauth_strategy = {auth_strategy}\n\n"
            f"[database]\nconnection = sqlite:///"
            f"{os.path.join(directory, 'nova.sqlite')}\n")
    if auth_strategy == "keystone":
        text += _KEYSTONE
    return text


@contextlib.contextmanager
def config_dir(auth_strategy="noauth2", sync=True):
    """Yield a fresh config directory (a ``pathlib.Path``); removed after."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="nova-bench-"))
    try:
        shutil.copyfile(PASTE, path / "api-paste.ini")
        (path / "nova.conf").write_text(nova_conf(str(path), auth_strategy))
        if sync:
            db_sync(path)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def env_for(directory, **extra):
    """The process environment for an API reading ``directory``."""
    env = dict(os.environ)
    env.pop("OS_NOVA_CONFIG_FILES", None)
    env[ENV_DIR] = str(directory)
    # Measure as deployed: byte-code caches used, no import tracing.
    for var in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME",
                "PYTHONVERBOSE", "PYTHONTRACEMALLOC", "PYTHONDEVMODE"):
        env.pop(var, None)
    env.update(extra)
    return env


def db_sync(directory):
    proc = subprocess.run(
        [PYTHON, "-c", "import sys; from nova.cmd import manage; "
                       "sys.exit(manage.main(['db', 'sync']))"],
        env=env_for(directory), cwd=directory, capture_output=True,
        text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"nova-manage db sync failed ({proc.returncode}):"
                           f"\n{proc.stdout}{proc.stderr}")


def median(values):
    values = sorted(values)
    n = len(values)
    if n == 0:
        return float("nan")
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2
