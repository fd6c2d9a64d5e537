"""Fixtures shared by every test: config directories, loaded apps, databases,
and the real servers' tools and work trees.

Databases: ``db_url`` runs a test once per backend (SQLite, MariaDB,
PostgreSQL). MariaDB and PostgreSQL get a fresh database per test session,
dropped at the end. Outside CI a backend whose server cannot be reached is
skipped with a message naming it; in CI (``CI=true``) that is a failure.

Real servers (tests/deploy and tests/robustness): the tools (Apache with
apxs, mod_wsgi and uWSGI in .venv) come from ``tools/bootstrap.sh``, which
``deploy_tools`` runs once when one of them is missing; the modules that
start these servers use that fixture. Apache drops privileges to www-data,
so these tests need root; without it (or without the tools) they are
skipped outside CI and fail in CI, as the database tests do for their
servers. ``workdir`` and ``module_workdir`` are a work tree www-data can
read (``tests.deploy.servers.Workdir``), for a test or a module.
``rpm_tools`` adds what the RPM tests need (rpmbuild, rpmlint with its
spelling check, nss_wrapper, logrotate) to ``deploy_tools``.

Plain helpers and constants (``sync_db``, ``make_flavor``, ``sample``, ...)
are in ``tests/helpers.py``.
"""

import os
import shutil
import subprocess
import textwrap
import uuid

import pytest
import webtest

from nova import config_files, loading
from tests.deploy import rpmroot, servers
from tests.helpers import (
    PASTE,
    Images,
    bootstrap_for,
    sync_db,
    unavailable,
    wipe,
    write_compute_config,
    write_noauth_config,
)

MYSQL_ADMIN_URL = os.environ.get(
    "NOVA_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
PG_ADMIN_URL = os.environ.get(
    "NOVA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(name="unavailable")
def unavailable_fixture():
    """``unavailable(what)`` for test modules: skip outside CI, fail in CI."""
    return unavailable


@pytest.fixture(autouse=True)
def _fresh_process_state(monkeypatch):
    """Each test may load either API: forget which one this process holds."""
    monkeypatch.setattr(loading, "_loaded_api", None)
    yield


class ConfigDir:
    """A config directory for one test, and the environment pointing at it."""

    def __init__(self, path):
        self.path = path
        self.env = {config_files.ENV_DIR: str(path)}

    def write(self, name, text):
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
        return target

    def paste(self, name="api-paste.ini"):
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(PASTE.read_text())
        return target

    def load(self, api="osapi_compute", **env):
        environ = dict(self.env, **env)
        return loading.load_app(api, environ)

    def testapp(self, api="osapi_compute", **env):
        return webtest.TestApp(self.load(api, **env), lint=True)


@pytest.fixture
def config_dir(tmp_path):
    return ConfigDir(tmp_path / "etc-nova")


@pytest.fixture
def noauth_config(config_dir, tmp_path):
    """A config dir for noauth2 on a synced SQLite file; returns ConfigDir."""
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    write_noauth_config(config_dir, url)
    sync_db(url)
    config_dir.db_url = url
    return config_dir


@pytest.fixture
def compute(noauth_config):
    """The compute API through the whole paste pipeline, noauth2, SQLite."""
    return noauth_config.testapp("osapi_compute")


# -- compute resources --------------------------------------------------------

@pytest.fixture
def fast_config(config_dir, tmp_path):
    """noauth_config whose built-in driver takes no time: a server is
    ACTIVE (and a reboot, stop or start done) on the next read."""
    return write_compute_config(config_dir, tmp_path, """
        build_time = 0
        action_time = 0
        """)


@pytest.fixture
def fast_compute(fast_config):
    """The compute API (noauth2, SQLite) over ``fast_config``."""
    return fast_config.testapp("osapi_compute")


@pytest.fixture
def make_image(config_dir):
    """``make_image(name, visibility=..., owner=..., min_ram=...)`` -> id."""
    images = Images(config_dir)
    yield images
    images.close()


# -- SQL backends -------------------------------------------------------------

def _server_database(admin_url, backend):
    """Create a throwaway database on a server; yields its URL."""
    import sqlalchemy

    name = f"nova_test_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sqlalchemy.exc.OperationalError as exc:
        engine.dispose()
        where = sqlalchemy.engine.make_url(admin_url).render_as_string(
            hide_password=True)
        unavailable(f"{backend} at {where} ({exc.orig})")
    url = sqlalchemy.engine.make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            if backend == "PostgreSQL":
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        engine.dispose()


@pytest.fixture(scope="session")
def mysql_url():
    yield from _server_database(MYSQL_ADMIN_URL, "MariaDB")


@pytest.fixture(scope="session")
def pg_url():
    yield from _server_database(PG_ADMIN_URL, "PostgreSQL")


@pytest.fixture(params=["sqlite", "mariadb", "postgresql"])
def db_url(request, tmp_path):
    """An empty database URL on each backend in turn (schema not synced)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/nova.sqlite"
    server_url = request.getfixturevalue(
        "mysql_url" if request.param == "mariadb" else "pg_url")
    wipe(server_url)
    return server_url


# -- real servers -------------------------------------------------------------

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
    bootstrap_for(_missing_tools)


@pytest.fixture(scope="module")
def rpm_tools(deploy_tools):
    """The RPM tests' tools (rpmbuild, rpmlint with its spelling check,
    nss_wrapper, logrotate, ...), bootstrapped; and a git checkout, since
    the source tarball is ``git archive`` of it."""
    bootstrap_for(rpmroot.missing_tools)
    if subprocess.run(["git", "-C", str(servers.ROOT), "rev-parse", "HEAD"],
                      capture_output=True, timeout=60).returncode:
        unavailable("a git checkout (the source tarball is git archive)")


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
