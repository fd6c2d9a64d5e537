"""Fixtures shared by every test: config directories, loaded apps, databases.

Databases: ``db_url`` runs a test once per backend (SQLite, MariaDB,
PostgreSQL). MariaDB and PostgreSQL get a fresh database per test session,
dropped at the end. Outside CI a backend whose server cannot be reached is
skipped with a message naming it; in CI (``CI=true``) that is a failure.
"""

import json
import os
import pathlib
import tempfile
import textwrap
import uuid

import pytest
import webtest

from nova import config_files, loading

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Upstream Nova 34's real responses, beside the checkout (the workplace's
# shared/ folder); NOVA_TEST_SAMPLES points elsewhere.
SAMPLES = pathlib.Path(os.environ.get("NOVA_TEST_SAMPLES") or (
    ROOT.parent / "shared" / "reference" / "nova-34-samples"))
PASTE = ROOT / "nova" / "etc" / "api-paste.ini"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

MYSQL_ADMIN_URL = os.environ.get(
    "NOVA_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
PG_ADMIN_URL = os.environ.get(
    "NOVA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def unavailable(what):
    """Skip outside CI, fail in CI: a needed server is not there."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} is unavailable")


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


def sync_db(url, revision="head"):
    """Run ``nova-manage db sync`` against ``url``."""
    from nova.cmd import manage

    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf_file:
        conf_file.write(f"[database]\nconnection = {url}\n")
        conf_file.flush()
        assert manage.main(["--config-file", conf_file.name, "db", "sync",
                            "--revision", revision]) == 0


@pytest.fixture
def noauth_config(config_dir, tmp_path):
    """A config dir for noauth2 on a synced SQLite file; returns ConfigDir."""
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    config_dir.paste()
    config_dir.write("nova.conf", f"""
        [api]
        auth_strategy = noauth2
        [database]
        connection = {url}
        """)
    sync_db(url)
    config_dir.db_url = url
    return config_dir


@pytest.fixture
def compute(noauth_config):
    """The compute API through the whole paste pipeline, noauth2, SQLite."""
    return noauth_config.testapp("osapi_compute")


# -- compute resources --------------------------------------------------------

def write_compute_config(config_dir, tmp_path, compute_options="", url=None,
                         default_options=""):
    """noauth2 on a synced database (default: a SQLite file), with extra
    ``[compute]`` and ``[DEFAULT]`` lines."""
    url = url or f"sqlite:///{tmp_path}/nova.sqlite"
    config_dir.paste()
    config_dir.write("nova.conf", "[DEFAULT]\n" + textwrap.dedent(
        default_options) + textwrap.dedent(f"""
        [api]
        auth_strategy = noauth2
        [database]
        connection = {url}
        [compute]
        """) + textwrap.dedent(compute_options))
    sync_db(url)
    config_dir.db_url = url
    return config_dir


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


def conf_of(config_dir):
    """The parsed ``ConfigOpts`` of a config directory."""
    return config_files.build_conf(config_files.find_config(config_dir.env))


class Images:
    """Adds images to the local catalogue, as ``nova-manage image create``
    does: ``nova.compute.images.create`` in a writer transaction."""

    def __init__(self, config_dir):
        self.config_dir = config_dir
        self._db = None

    @property
    def db(self):
        """The store of the config dir (read once it is written)."""
        if self._db is None:
            from nova.db import api as db_api

            self._db = db_api.Database(conf_of(self.config_dir).database)
        return self._db

    def __call__(self, name="cirros", **values):
        from nova.compute import images

        with self.db.writer() as session:
            return images.create(session, name=name, **values).id

    def close(self):
        if self._db is not None:
            self._db.dispose()


@pytest.fixture
def make_image(config_dir):
    """``make_image(name, visibility=..., owner=..., min_ram=...)`` -> id."""
    images = Images(config_dir)
    yield images
    images.close()


def make_flavor(app, name, ram=512, vcpus=1, disk=1, flavor_id=None,
                version="2.1", **extra):
    """Create a flavor as admin through the API; returns its view."""
    flavor = {"name": name, "ram": ram, "vcpus": vcpus, "disk": disk,
              **extra}
    if flavor_id is not None:
        flavor["id"] = flavor_id
    resp = app.post_json("/v2.1/flavors", {"flavor": flavor}, headers={
        "X-Auth-Token": "admin:admin",
        "OpenStack-API-Version": f"compute {version}"})
    assert resp.status_int == 200, resp.body
    return resp.json["flavor"]


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
    _wipe(server_url)
    return server_url


def _wipe(url):
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        meta = sqlalchemy.MetaData()
        meta.reflect(engine)
        with engine.begin() as conn:
            for table in reversed(meta.sorted_tables):
                table.drop(conn)
    finally:
        engine.dispose()


def sample(name):
    """(status, headers, body) of an upstream Nova 34 sample; outside CI
    skips when the reference samples are not there, in CI fails."""
    path = SAMPLES / f"{name}.txt"
    if not path.is_file():
        unavailable(f"upstream sample {path} (set NOVA_TEST_SAMPLES)")
    head, _sep, body = path.read_text().partition("\n\n")
    lines = head.splitlines()
    headers = {}
    for line in lines[1:]:
        key, _colon, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    status = int(lines[0].split()[1])
    return status, headers, (json.loads(body) if body.strip() else None)
