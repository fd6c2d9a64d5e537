"""The SQL store on every backend: schema sync, transactions, concurrency,
fork safety, health check and lock timeouts.

Most tests run once per backend (``db_url``: SQLite, MariaDB, PostgreSQL);
the SQLite-only ones (WAL, busy timeout, a database file whose directory
does not exist yet) say so in their names.
"""

import contextlib
import gc
import io
import logging
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import traceback

import pytest
import sqlalchemy
import webtest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

import nova.db
from nova import config_files, exception
from nova.api import backends, errors
from nova.api.middleware import faultwrap
from nova.cmd import manage
from nova.db import engine as db_engine
from nova.db import models
from tests.helpers import app_db

TABLES = {"flavors", "flavor_extra_specs", "flavor_projects", "key_pairs"}
SECRET = "Sup3rS3cretPw"  # a password that must never be shown


# -- helpers ------------------------------------------------------------------

def write_conf(directory, url, **database):
    """A nova.conf with ``[database]``; returns its path."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"connection = {url}"]
    lines += [f"{key} = {value}" for key, value in database.items()]
    path = directory / "nova.conf"
    path.write_text("[database]\n" + "\n".join(lines) + "\n")
    return path


def build_conf(path):
    path = str(path)
    return config_files.build_conf(config_files.ConfigSources(
        directory=os.path.dirname(path), files=(path,), conf_d=(),
        files_setting=path, from_env=True))


def run_manage(conf_path, *args):
    """``nova-manage`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = manage.main(["--config-file", str(conf_path), *args])
    return code, out.getvalue(), err.getvalue()


def run_manage_cli(conf_path, *args):
    """The installed ``nova-manage`` console script, as an operator runs it."""
    script = pathlib.Path(sys.executable).with_name("nova-manage")
    command = ([str(script)] if script.exists()
               else [sys.executable, "-m", "nova.cmd.manage"])
    return subprocess.run(
        [*command, "--config-file", str(conf_path), *args],
        capture_output=True, text=True, timeout=120, check=False)


def sync(conf_path, revision="head"):
    code, out, err = run_manage(conf_path, "db", "sync", "--revision",
                                revision)
    assert code == 0, (out, err)
    return out


def table_names(url):
    engine = sqlalchemy.create_engine(db_engine.make_url(url))
    try:
        return set(sqlalchemy.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def new_flavor(name, **values):
    values.setdefault("memory_mb", 512)
    values.setdefault("vcpus", 1)
    return models.Flavor(flavorid=name, name=name, **values)


def flavor_names(db):
    with db.reader() as session:
        return sorted(session.scalars(select(models.Flavor.name)))


def backend_connection_id(db):
    """The server's id for the connection a transaction uses (None: SQLite)."""
    query = {"mysql": "SELECT CONNECTION_ID()",
             "postgresql": "SELECT pg_backend_pid()"}.get(db.backend)
    if query is None:
        return None
    with db.reader() as session:
        return session.execute(sqlalchemy.text(query)).scalar()


def run_in_thread(func, timeout):
    """Run ``func`` in a thread; returns (result, exception, seconds)."""
    outcome = {}

    def target():
        started = time.monotonic()
        try:
            outcome["result"] = func()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome["exc"] = exc
        outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout}s"
    return outcome.get("result"), outcome.get("exc"), outcome["elapsed"]


@pytest.fixture
def dbs():
    """Databases made by a test, disposed of at its end."""
    made = []

    def make(conf_path):
        db = backends.for_conf(build_conf(conf_path)).db
        made.append(db)
        return db

    yield make
    for db in made:
        db.dispose()


@pytest.fixture
def conf_path(db_url, tmp_path):
    return write_conf(tmp_path / "manage", db_url)


@pytest.fixture
def synced(conf_path):
    sync(conf_path)
    return conf_path


# -- 1. nova-manage db sync ---------------------------------------------------

def test_db_sync_creates_schema_and_is_idempotent(db_url, conf_path):
    version = run_manage_cli(conf_path, "db", "version")
    assert (version.returncode, version.stdout.strip()) == (0, "none")

    first = run_manage_cli(conf_path, "db", "sync")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        f"Database upgraded from revision none to {nova.db.SCHEMA_HEAD}.")
    assert TABLES <= table_names(db_url)

    version = run_manage_cli(conf_path, "db", "version")
    assert (version.returncode, version.stdout.strip()) == (
        0, nova.db.SCHEMA_HEAD)

    again = run_manage_cli(conf_path, "db", "sync")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        f"Database already at revision {nova.db.SCHEMA_HEAD}; nothing to do.")
    assert again.stderr == ""
    assert TABLES <= table_names(db_url)


def test_db_sync_upgrades_an_older_schema_keeping_data(db_url, conf_path,
                                                       dbs):
    assert sync(conf_path, "0001").strip() == (
        "Database upgraded from revision none to 0001.")
    assert run_manage(conf_path, "db", "version")[1].strip() == "0001"
    assert "key_pairs" not in table_names(db_url)

    # The API refuses to serve on the old schema...
    db = dbs(conf_path)
    with pytest.raises(exception.SchemaOutOfDate) as info, db.reader():
        pass
    assert errors.to_api_error(info.value).code == 503
    assert "nova-manage db sync" in info.value.message

    # ...whose data an operator already has.
    engine = sqlalchemy.create_engine(db_engine.make_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(models.Flavor.__table__.insert().values(
                flavorid="42", name="m1.kept", memory_mb=2048, vcpus=2,
                root_gb=20, ephemeral_gb=0, swap=0, rxtx_factor=1.0,
                disabled=False, is_public=True,
                created_at=models.utcnow()))
    finally:
        engine.dispose()

    assert sync(conf_path).strip() == (
        f"Database upgraded from revision 0001 to {nova.db.SCHEMA_HEAD}.")
    assert "key_pairs" in table_names(db_url)

    # The same Database (no restart) now serves, and the row survived.
    with db.reader() as session:
        kept = session.scalars(select(models.Flavor)).one()
        assert (kept.flavorid, kept.name, kept.memory_mb, kept.vcpus,
                kept.root_gb, kept.is_public) == ("42", "m1.kept", 2048, 2,
                                                  20, True)
        assert session.scalars(select(models.KeyPair)).all() == []


def test_models_match_migrations(db_url, synced):
    engine = db_engine.create_engine(build_conf(synced).database)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "compare_server_default": True})
            diffs = compare_metadata(context, models.Base.metadata)
    finally:
        engine.dispose()
    assert diffs == []


def test_nova_manage_reports_an_unreachable_server_without_password(
        tmp_path, unreachable_url):
    conf_path = write_conf(tmp_path, unreachable_url, connect_timeout=2)
    for action in ("sync", "version"):
        result = run_manage_cli(conf_path, "db", action)
        assert result.returncode == 1
        assert result.stderr.startswith("nova-manage: OperationalError: ")
        assert "Traceback" not in result.stderr
        assert SECRET not in result.stdout + result.stderr


FUTURE_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
{body}
"""


def future_migrations(tmp_path, monkeypatch, body):
    """The shipped migrations plus a made-up next one running ``body``."""
    from nova.db import migration

    target = tmp_path / "migrations"
    shutil.copytree(migration.MIGRATIONS, target,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (target / "versions" / "9001_future.py").write_text(
        FUTURE_MIGRATION.format(head=nova.db.SCHEMA_HEAD,
                                body=textwrap.indent(body, "    ")))
    monkeypatch.setattr(migration, "MIGRATIONS", str(target))


def flavor_with_references(db):
    with db.writer() as session:
        flavor = new_flavor("m1.big", description="big")
        session.add(flavor)
        session.flush()
        session.add(models.FlavorExtraSpec(flavor_id=flavor.id, key="k",
                                           value="v"))
        session.add(models.FlavorProject(flavor_id=flavor.id,
                                         project_id="p"))


def count_rows(url, *tables):
    engine = sqlalchemy.create_engine(db_engine.make_url(url))
    try:
        with engine.connect() as conn:
            return [conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}")
                    .scalar() for table in tables]
    finally:
        engine.dispose()


def test_sqlite_table_rebuild_migration_keeps_referencing_rows(
        tmp_path, monkeypatch, dbs):
    """A future migration that makes SQLite rebuild ``flavors`` (batch
    mode: copy, drop, rename) must not cascade-delete extra specs."""
    conf_path, _ = sqlite_conf(tmp_path)
    url = build_conf(conf_path).database.connection
    flavor_with_references(dbs(conf_path))
    future_migrations(tmp_path, monkeypatch, (
        'with op.batch_alter_table("flavors") as batch:\n'
        '    batch.alter_column("description", existing_type=sa.Text,\n'
        '                       type_=sa.String(1000))\n'))

    assert sync(conf_path).strip() == (
        f"Database upgraded from revision {nova.db.SCHEMA_HEAD} to 9001.")
    assert count_rows(url, "flavors", "flavor_extra_specs",
                      "flavor_projects") == [1, 1, 1]

    # Foreign keys are enforced again for whoever uses the database next.
    engine = db_engine.create_engine(build_conf(conf_path).database)
    try:
        with pytest.raises(sqlalchemy.exc.IntegrityError), \
                engine.begin() as conn:
            conn.execute(models.FlavorExtraSpec.__table__.insert().values(
                flavor_id=12345, key="orphan", value="x"))
    finally:
        engine.dispose()


def test_sqlite_migration_leaving_broken_references_is_undone(
        tmp_path, monkeypatch, dbs):
    conf_path, _ = sqlite_conf(tmp_path)
    url = build_conf(conf_path).database.connection
    flavor_with_references(dbs(conf_path))
    future_migrations(tmp_path, monkeypatch,
                      'op.execute("DELETE FROM flavors")\n')

    code, out, err = run_manage(conf_path, "db", "sync")
    assert code == 1
    assert "referencing missing rows" in err
    assert run_manage(conf_path, "db", "version")[1].strip() == (
        nova.db.SCHEMA_HEAD)
    assert count_rows(url, "flavors", "flavor_extra_specs",
                      "flavor_projects") == [1, 1, 1]


# -- 2. transactions ----------------------------------------------------------

def test_writer_commits_and_reader_reads(db_url, synced, dbs):
    db = dbs(synced)
    with db.writer() as session:
        flavor = new_flavor("m1.small", memory_mb=2048, vcpus=1,
                            description="small")
        session.add(flavor)
        session.flush()
        session.add(models.FlavorExtraSpec(flavor_id=flavor.id,
                                           key="hw:cpu_policy",
                                           value="dedicated"))
        session.add(models.KeyPair(name="k", user_id="u", fingerprint="f",
                                   public_key="ssh-ed25519 AAAA"))

    other = dbs(synced)  # another process's view: its own engine
    with other.reader() as session:
        got = session.scalars(select(models.Flavor)).one()
        assert (got.name, got.memory_mb, got.description) == (
            "m1.small", 2048, "small")
        assert (got.root_gb, got.disabled, got.is_public,
                got.rxtx_factor) == (0, False, True, 1.0)
        assert got.created_at is not None and got.updated_at is None
        spec = session.scalars(select(models.FlavorExtraSpec)).one()
        assert (spec.flavor_id, spec.key, spec.value) == (
            got.id, "hw:cpu_policy", "dedicated")
        assert session.scalars(select(models.KeyPair.type)).one() == "ssh"


def test_writer_that_raises_rolls_back(db_url, synced, dbs):
    db = dbs(synced)
    with db.writer() as session:
        session.add(new_flavor("before"))

    with pytest.raises(RuntimeError, match="boom"), db.writer() as session:
        session.add(new_flavor("half-1"))
        session.flush()  # on the server already, inside the transaction
        session.add(new_flavor("half-2"))
        session.flush()
        before = session.scalars(select(models.Flavor).where(
            models.Flavor.name == "before")).one()
        before.memory_mb = 1
        session.flush()
        raise RuntimeError("boom")

    assert flavor_names(db) == ["before"]
    assert flavor_names(dbs(synced)) == ["before"]
    with db.reader() as session:
        assert session.scalars(select(models.Flavor.memory_mb)).one() == 512

    # A database error half-way (duplicate name) also leaves nothing behind.
    with pytest.raises(sqlalchemy.exc.IntegrityError), \
            db.writer() as session:
        session.add(new_flavor("fresh"))
        session.flush()
        session.add(models.Flavor(flavorid="other", name="before",
                                  memory_mb=1, vcpus=1))
        session.flush()
    assert flavor_names(db) == ["before"]

    # And the Database is usable afterwards.
    with db.writer() as session:
        session.add(new_flavor("after"))
    assert flavor_names(db) == ["after", "before"]


def test_reader_never_commits(db_url, synced, dbs):
    db = dbs(synced)
    with db.reader() as session:
        session.add(new_flavor("ghost"))
        session.flush()
        assert session.scalars(select(models.Flavor.name)).all() == ["ghost"]
    assert flavor_names(db) == []


# -- 3. concurrency -----------------------------------------------------------

def sqlite_conf(tmp_path, **database):
    path = tmp_path / "state" / "nova.sqlite"
    conf_path = write_conf(tmp_path / "etc", f"sqlite:///{path}", **database)
    sync(conf_path)
    return conf_path, path


def test_sqlite_uses_wal(tmp_path, dbs):
    conf_path, path = sqlite_conf(tmp_path)
    db = dbs(conf_path)
    with db.reader() as session:
        mode = session.execute(sqlalchemy.text("PRAGMA journal_mode"))
        assert mode.scalar() == "wal"
    # Persistent in the file: any other client sees WAL too.
    plain = sqlite3.connect(path)
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        plain.close()


def test_sqlite_wal_is_checkpointed_as_configured(tmp_path, dbs):
    """``[database] sqlite_wal_autocheckpoint``: the log is copied into the
    database once it holds that many pages (0: never by itself), so its
    file grows with every commit only when checkpoints are off; the
    default is 10000 pages."""
    def wal_sizes(pages):
        options = {} if pages is None else {
            "sqlite_wal_autocheckpoint": pages}
        conf_path, path = sqlite_conf(tmp_path / f"wal-{pages}", **options)
        db = dbs(conf_path)
        with db.reader() as session:
            setting = session.execute(sqlalchemy.text(
                "PRAGMA wal_autocheckpoint")).scalar()
        sizes = []
        for i in range(40):
            with db.writer() as session:
                session.add(new_flavor(f"wal-{i}"))
            sizes.append(os.path.getsize(f"{path}-wal"))
        return setting, sizes

    setting, never = wal_sizes(0)
    assert setting == 0
    assert never == sorted(never) and never[-1] >= 40 * 4096
    setting, every_page = wal_sizes(1)
    assert setting == 1
    assert max(every_page) < never[-1] / 4
    assert wal_sizes(None)[0] == 10000


def hammer(db, flavor_id, threads, rounds, lock_rows):
    """``threads`` threads each doing ``rounds`` read-modify-write
    increments of one row, each in its own writer() transaction."""
    barrier = threading.Barrier(threads)
    failures = []

    def work():
        try:
            barrier.wait(timeout=30)
            for _ in range(rounds):
                with db.writer() as session:
                    query = select(models.Flavor).where(
                        models.Flavor.id == flavor_id)
                    if lock_rows:
                        query = query.with_for_update()
                    flavor = session.scalars(query).one()
                    value = flavor.memory_mb
                    time.sleep(0)  # let the other thread run in between
                    flavor.memory_mb = value + 1
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    workers = [threading.Thread(target=work, daemon=True)
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers), "hung"
    assert failures == []


def counter_row(db):
    with db.writer() as session:
        flavor = new_flavor("counter", memory_mb=0)
        session.add(flavor)
        session.flush()
        return flavor.id


@pytest.mark.timeout(180)
def test_sqlite_concurrent_writers_lose_no_update(tmp_path, dbs):
    """Plain read-modify-write, no FOR UPDATE: BEGIN IMMEDIATE serialises
    the writers and the busy timeout makes them queue, not fail."""
    conf_path, _ = sqlite_conf(tmp_path)
    db = dbs(conf_path)
    flavor_id = counter_row(db)
    hammer(db, flavor_id, threads=2, rounds=200, lock_rows=False)
    with dbs(conf_path).reader() as session:
        assert session.get(models.Flavor, flavor_id).memory_mb == 400


@pytest.mark.timeout(180)
def test_concurrent_locked_increments_lose_no_update(db_url, synced, dbs):
    """On the servers a read-modify-write must lock the row it reads
    (``with_for_update()``); on SQLite that is a no-op and still exact."""
    db = dbs(synced)
    flavor_id = counter_row(db)
    hammer(db, flavor_id, threads=2, rounds=200, lock_rows=True)
    with dbs(synced).reader() as session:
        assert session.get(models.Flavor, flavor_id).memory_mb == 400


# -- 4. fork safety -----------------------------------------------------------

def wait_child(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"forked child {pid} did not finish in {timeout}s")


@pytest.mark.timeout(120)
def test_fork_gives_the_child_its_own_engine(db_url, synced, dbs, tmp_path):
    db = dbs(synced)
    with db.writer() as session:
        session.add(new_flavor("parent"))
    parent_engine = db.engine
    parent_connection = backend_connection_id(db)
    report = tmp_path / "child-report.txt"

    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 9
        try:
            with db.reader() as session:
                names = list(session.scalars(select(models.Flavor.name)))
            gc.collect()  # drop whatever was inherited from the parent
            if db.engine is parent_engine:
                code = 2
                report.write_text("the child reused the parent's engine")
            elif names != ["parent"]:
                code = 3
                report.write_text(f"the child read {names!r}")
            else:
                with db.writer() as session:
                    session.add(new_flavor("child"))
                code = 0
        except BaseException:  # noqa: BLE001 - reported via exit code
            code = 4
            with contextlib.suppress(Exception):
                report.write_text(traceback.format_exc())
        finally:
            os._exit(code)

    code = wait_child(pid, 60)
    assert code == 0, report.read_text() if report.exists() else code

    # The parent's engine, and its pooled connection, are untouched.
    assert db.engine is parent_engine
    assert backend_connection_id(db) == parent_connection
    assert flavor_names(db) == ["child", "parent"]
    with db.writer() as session:
        session.add(new_flavor("parent-again"))
    assert flavor_names(dbs(synced)) == ["child", "parent", "parent-again"]


# -- 5. the compute API's health check and faults -----------------------------

def api_config(config_dir, url, **database):
    config_dir.paste()
    lines = "\n".join(f"{key} = {value}" for key, value in database.items())
    config_dir.write("nova.conf", (
        "[api]\nauth_strategy = noauth2\n"
        f"[database]\nconnection = {url}\n{lines}\n"))
    return config_dir.path / "nova.conf"


def fault_for_db_request(config_dir):
    """A compute request that needs the store, through the fault wrapper.

    There are no resource routes yet: a tiny app does what a handler will
    do (``backends.for_conf(conf).db.reader()``) behind FaultWrapper.
    """
    conf = config_files.build_conf(config_files.find_config(config_dir.env))
    db = backends.for_conf(conf).db

    def handler(environ, start_response):
        with db.reader() as session:
            session.scalars(select(models.Flavor)).all()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"fine"]

    try:
        app = webtest.TestApp(faultwrap.FaultWrapper(handler), lint=True)
        return app.get("/v2.1/flavors", expect_errors=True)
    finally:
        db.dispose()


@pytest.fixture
def loaded():
    """Apps loaded by a test; their pools are disposed of at its end."""
    apps = []

    def load(config_dir):
        app = config_dir.testapp("osapi_compute")
        apps.append(app)
        return app

    yield load
    for app in apps:
        app_db(app).dispose()


def test_healthcheck_ok_on_a_synced_database(db_url, config_dir, loaded):
    sync(api_config(config_dir, db_url))
    app = loaded(config_dir)

    resp = app.get("/healthcheck")
    assert (resp.status_int, resp.text) == (200, "OK\n")
    assert resp.headers["Cache-Control"] == "no-cache"
    resp = app.get("/healthcheck", headers={"Accept": "application/json"})
    assert resp.json == {"status": "OK", "database": "OK"}
    resp = app.head("/healthcheck")
    assert (resp.status_int, resp.body) == (200, b"")

    resp = fault_for_db_request(config_dir)
    assert (resp.status_int, resp.text) == (200, "fine")


def test_schema_not_synced_gives_503_until_db_sync(db_url, config_dir, loaded,
                                                   caplog):
    conf_path = api_config(config_dir, db_url)
    app = loaded(config_dir)

    resp = app.get("/healthcheck", expect_errors=True)
    assert (resp.status_int, resp.text) == (503, "database unavailable\n")
    resp = app.get("/healthcheck", headers={"Accept": "application/json"},
                   expect_errors=True)
    assert resp.status_int == 503
    assert resp.json == {"status": "FAIL", "database": "unavailable"}
    assert "nova-manage db sync" in caplog.text  # the reason is logged

    resp = fault_for_db_request(config_dir)
    assert resp.status_int == 503
    assert resp.content_type == "application/json"
    fault = resp.json["serviceUnavailable"]
    assert fault["code"] == 503
    assert "revision none" in fault["message"]
    assert "nova-manage db sync" in fault["message"]

    sync(conf_path, "0001")  # half-way is not good enough
    assert app.get("/healthcheck", expect_errors=True).status_int == 503
    fault = fault_for_db_request(config_dir).json["serviceUnavailable"]
    assert "revision 0001" in fault["message"]
    assert "nova-manage db sync" in fault["message"]

    sync(conf_path)  # the same loaded app recovers without a restart
    resp = app.get("/healthcheck")
    assert (resp.status_int, resp.text) == (200, "OK\n")
    assert fault_for_db_request(config_dir).status_int == 200


def http_db_request(app):
    """``GET /v2.1/flavors`` through the pipeline: a route that reads the
    database."""
    return app.get("/v2.1/flavors", headers={"X-Auth-Token": "admin:admin"},
                   expect_errors=True)


def test_compute_request_gets_503_fault_until_db_sync(db_url, config_dir,
                                                      loaded):
    conf_path = api_config(config_dir, db_url)
    app = loaded(config_dir)

    resp = http_db_request(app)
    assert resp.status_int == 503
    assert resp.content_type == "application/json"
    fault = resp.json["serviceUnavailable"]
    assert fault["code"] == 503
    assert "nova-manage db sync" in fault["message"]

    sync(conf_path)
    resp = http_db_request(app)
    assert resp.status_int == 200
    assert resp.json == {"flavors": []}


def test_sqlite_missing_directory_at_startup_then_recovers(config_dir,
                                                           tmp_path, loaded):
    directory = tmp_path / "not-yet" / "state"
    conf_path = api_config(config_dir, f"sqlite:///{directory}/nova.sqlite")

    app = loaded(config_dir)  # loads although the database cannot open
    resp = app.get("/healthcheck", expect_errors=True)
    assert (resp.status_int, resp.text) == (503, "database unavailable\n")
    assert fault_for_db_request(config_dir).status_int == 503
    assert not directory.exists()  # the API does not create it

    sync(conf_path)  # nova-manage creates the directory and the schema
    assert directory.is_dir()
    resp = app.get("/healthcheck")
    assert (resp.status_int, resp.text) == (200, "OK\n")


@pytest.fixture(params=["mariadb", "postgresql"])
def unreachable_url(request):
    """A server URL with a password, to a port where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    scheme = "mysql+pymysql" if request.param == "mariadb" else (
        "postgresql+psycopg")
    return f"{scheme}://nova:{SECRET}@127.0.0.1:{port}/nova"


def test_server_unreachable_at_startup_gives_503_without_password(
        config_dir, unreachable_url, loaded, caplog):
    caplog.set_level(logging.DEBUG)
    api_config(config_dir, unreachable_url, connect_timeout=2)
    app = loaded(config_dir)  # loads without connecting

    for accept in ("text/plain", "application/json"):
        started = time.monotonic()
        resp = app.get("/healthcheck", headers={"Accept": accept},
                       expect_errors=True)
        assert time.monotonic() - started < 10
        assert resp.status_int == 503
        assert SECRET not in resp.text
        assert SECRET not in str(resp.headers)

    resp = fault_for_db_request(config_dir)
    assert resp.status_int == 503
    assert resp.json["serviceUnavailable"]["message"] == (
        "The database is unavailable; try again later.")
    assert SECRET not in resp.text
    resp = http_db_request(app)
    assert resp.status_int == 503
    assert resp.json["serviceUnavailable"]["message"] == (
        "The database is unavailable; try again later.")
    assert SECRET not in resp.text + str(resp.headers)

    assert "Health check failed" in caplog.text
    assert "Database unavailable" in caplog.text
    assert SECRET not in caplog.text


# -- 6. lock timeout ----------------------------------------------------------

@pytest.mark.timeout(60)
def add_flavor(db, name, how):
    """A flavor written by the ORM writer or by a planned transaction
    (``Database.transaction``): both wait for SQLite's write lock. The
    busy timeout of the connection that wrote, as it was once it had the
    lock."""
    if how == "orm":
        with db.writer() as session:
            session.add(new_flavor(name))
            driver = session.connection().connection.driver_connection
            return driver.execute("PRAGMA busy_timeout").fetchone()[0]
    with db.transaction(write=True) as tx:
        timeout = tx._raw.dbapi_connection.execute(
            "PRAGMA busy_timeout").fetchone()[0]
        tx.insert(sqlalchemy.insert(models.Flavor.__table__).values(
            flavorid=sqlalchemy.bindparam("name"),
            name=sqlalchemy.bindparam("name"), memory_mb=512, vcpus=1,
            root_gb=0, ephemeral_gb=0, swap=0, rxtx_factor=1.0,
            is_public=True, disabled=False,
            created_at=sqlalchemy.bindparam("now")),
            {"name": name, "now": models.utcnow()})
    return timeout


WRITERS = pytest.mark.parametrize("how", ["orm", "planned"])


@WRITERS
def test_sqlite_lock_timeout_maps_to_503(tmp_path, dbs, how):
    conf_path, path = sqlite_conf(tmp_path, lock_timeout=0.5)
    db = dbs(conf_path)
    assert flavor_names(db) == []  # engine and schema check are warm

    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        def write():
            add_flavor(db, "blocked", how)

        _, exc, elapsed = run_in_thread(write, timeout=10)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert isinstance(exc, sqlalchemy.exc.OperationalError), exc
    assert 0.4 <= elapsed < 2, elapsed  # waited for the lock, then gave up
    error = errors.to_api_error(exc)
    assert error.code == 503
    assert error.message == "The database is unavailable; try again later."

    add_flavor(db, "free", how)  # the lock is gone: works again
    assert flavor_names(db) == ["free"]


@pytest.mark.timeout(60)
@WRITERS
def test_sqlite_writers_queue_within_the_lock_timeout(tmp_path, dbs, how):
    conf_path, path = sqlite_conf(tmp_path, lock_timeout=5)
    db = dbs(conf_path)
    assert flavor_names(db) == []

    holder = sqlite3.connect(path, isolation_level=None, timeout=0,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        def write():
            return add_flavor(db, "queued", how)

        timeout, exc, elapsed = run_in_thread(write, timeout=10)
    finally:
        release.join(5)
        holder.close()
    assert exc is None
    assert 0.3 <= elapsed < 4, elapsed
    assert flavor_names(db) == ["queued"]
    # The wait (in naps of its own) left the busy timeout as configured.
    assert timeout == 5000


@pytest.mark.timeout(60)
@pytest.mark.parametrize("db_url", ["mariadb", "postgresql"], indirect=True)
def test_server_lock_timeout_maps_to_503(db_url, tmp_path, dbs):
    conf_path = write_conf(tmp_path / "etc", db_url, lock_timeout=1)
    sync(conf_path)
    db = dbs(conf_path)
    flavor_id = counter_row(db)

    holder = sqlalchemy.create_engine(db_engine.make_url(db_url))
    try:
        with holder.connect() as conn:
            conn.execute(select(models.Flavor.__table__).where(
                models.Flavor.id == flavor_id).with_for_update())

            def write():
                with db.writer() as session:
                    flavor = session.scalars(select(models.Flavor).where(
                        models.Flavor.id == flavor_id)
                        .with_for_update()).one()
                    flavor.memory_mb += 1

            _, exc, elapsed = run_in_thread(write, timeout=20)
            conn.rollback()
    finally:
        holder.dispose()

    assert isinstance(exc, sqlalchemy.exc.OperationalError), exc
    assert 0.8 <= elapsed < 4, elapsed
    assert errors.to_api_error(exc).code == 503
    with db.reader() as session:
        assert session.get(models.Flavor, flavor_id).memory_mb == 0
