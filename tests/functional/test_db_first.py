"""``Database.first``: the metadata API's per-request read, on every backend.

It must answer exactly what ``connection().execute(...).first()`` answers,
see every commit made elsewhere, keep threads apart, and fail the way
SQLAlchemy does (so a database that is down is still a 503). The first
tests run on every backend (``db``, a fixture of conftest.py); those named
for SQLite check its connection kept per thread.
"""

import datetime
import gc
import os
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from nova.api import errors
from nova.db import models
from tests.helpers import add_server, synced_database

Instance, FixedIP = models.Instance, models.FixedIP
COLUMNS = (Instance.uuid, Instance.project_id, Instance.revision)
BY_UUID = sa.select(*COLUMNS).where(Instance.uuid == sa.bindparam("uuid"),
                                    Instance.deleted == 0)
BY_ADDRESS = (sa.select(*COLUMNS)
              .join(FixedIP, FixedIP.instance_uuid == Instance.uuid)
              .where(FixedIP.address == sa.bindparam("address"),
                     Instance.deleted == 0))


@pytest.fixture
def sqlite_db(tmp_path):
    yield from synced_database(f"sqlite:///{tmp_path}/nova.sqlite", tmp_path)


def plain(db, statement, params):
    with db.connection() as conn:
        return conn.execute(statement, params).first()


def test_first_answers_what_execute_first_answers(db):
    live = add_server(db, "10.0.0.2")
    gone = add_server(db, "10.0.0.3", deleted=1)
    cases = [(BY_UUID, {"uuid": live}), (BY_UUID, {"uuid": gone}),
             (BY_UUID, {"uuid": "no-such-server"}),
             (BY_ADDRESS, {"address": "10.0.0.2"}),
             (BY_ADDRESS, {"address": "10.0.0.3"}),
             (BY_ADDRESS, {"address": "10.0.0.9"})]
    for _ in range(2):  # the first round also checks the schema
        for statement, params in cases:
            want = plain(db, statement, params)
            got = db.first(statement, params)
            assert (got is None) == (want is None), params
            if got is not None:
                assert tuple(got) == tuple(want) == (live, "p1", 1)
                assert (got.uuid, got.project_id, got.revision) == (
                    live, "p1", 1)


def test_first_sees_every_commit_made_elsewhere(db):
    ident = add_server(db, "10.0.0.2")
    for revision in range(1, 6):
        assert db.first(BY_UUID, {"uuid": ident}).revision == revision
        with db.writer() as session:
            session.execute(sa.update(Instance).where(
                Instance.uuid == ident).values(revision=revision + 1))
    with db.writer() as session:
        session.execute(sa.update(Instance).where(
            Instance.uuid == ident).values(deleted=1))
    assert db.first(BY_UUID, {"uuid": ident}) is None


def test_first_from_many_threads_at_once(db):
    servers = {f"10.0.0.{i}": add_server(db, f"10.0.0.{i}")
               for i in range(2, 10)}
    db.first(BY_UUID, {"uuid": "warm-up"})
    failures = []

    def reader(address, ident):
        try:
            for _ in range(100):
                row = db.first(BY_ADDRESS, {"address": address})
                if row is None or row.uuid != ident:
                    failures.append((address, row))
                    return
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append((address, exc))

    threads = [threading.Thread(target=reader, args=item)
               for item in servers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures


def test_first_on_sqlite_keeps_one_connection_per_thread(sqlite_db):
    db = sqlite_db
    ident = add_server(db, "10.0.0.2")
    db.first(BY_UUID, {"uuid": ident})  # schema check
    seen = {}

    def reader(name):
        for _ in range(3):
            assert db.first(BY_UUID, {"uuid": ident}).uuid == ident
        seen[name] = db._local.conn.dbapi_connection

    for name in ("a", "b"):
        thread = threading.Thread(target=reader, args=(name,))
        thread.start()
        thread.join(30)
    reader("main")
    assert len({id(conn) for conn in seen.values()}) == 3
    # Held apart from the pool, which still lends connections as before.
    with db.connection() as conn:
        assert conn.connection.dbapi_connection not in seen.values()
    # A finished thread's connection goes with it; dispose() closes the rest.
    gc.collect()
    assert list(db._held) == [db._local.conn]
    db.dispose()
    with pytest.raises(sqlite3.ProgrammingError):
        seen["main"].execute("SELECT 1")
    assert db.first(BY_UUID, {"uuid": ident}).uuid == ident


def test_first_on_sqlite_after_a_fork_uses_the_childs_own(sqlite_db):
    db = sqlite_db
    ident = add_server(db, "10.0.0.2")
    db.first(BY_UUID, {"uuid": ident})
    parent = db._local.conn
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            # A new engine for the new pid: the first read checks the
            # schema, the second is on a connection of the child's own.
            rows = [db.first(BY_UUID, {"uuid": ident}) for _ in range(2)]
            code = 0 if (all(r.uuid == ident for r in rows)
                         and db._local.conn is not parent) else 2
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert db._local.conn is parent
    assert db.first(BY_UUID, {"uuid": ident}).uuid == ident


def test_first_on_sqlite_fails_as_sqlalchemy_would(sqlite_db):
    db = sqlite_db
    ident = add_server(db, "10.0.0.2")
    db.first(BY_UUID, {"uuid": ident})
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE instances RENAME TO moved")
    with pytest.raises(sa.exc.OperationalError) as caught:
        db.first(BY_UUID, {"uuid": ident})
    assert errors.to_api_error(caught.value).code == 503
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE moved RENAME TO instances")
    assert db.first(BY_UUID, {"uuid": ident}).uuid == ident


FLAVORS = sa.select(*models.Flavor.__table__.columns).where(
    models.Flavor.is_public == sa.bindparam("public")).order_by(
    models.Flavor.flavorid).limit(sa.bindparam("limit"))


def test_all_converts_values_as_sqlalchemy_does(db):
    """Booleans, datetimes and floats (which SQLite stores as integers and
    text) come back as Python values, bound values are converted too, and
    the rows equal what a plain ``execute().all()`` gives."""
    when = datetime.datetime(2026, 1, 2, 3, 4, 5)
    with db.writer() as session:
        for n, public in ((1, True), (2, False), (3, True)):
            session.add(models.Flavor(
                flavorid=f"f{n}", name=f"flavor{n}", memory_mb=64 * n,
                vcpus=n, rxtx_factor=1.5, is_public=public,
                created_at=when))
    db.first(BY_UUID, {"uuid": "x"})  # the schema check, as a request's
    params = {"public": True, "limit": 10}
    rows = db.all(FLAVORS, params)
    with db.connection() as conn:
        expected = conn.execute(FLAVORS, params).all()
    assert [tuple(r) for r in rows] == [tuple(r) for r in expected]
    assert [r.flavorid for r in rows] == ["f1", "f3"]
    assert rows[0].is_public is True and rows[0].disabled is False
    assert rows[0].created_at == when and rows[0].rxtx_factor == 1.5
    assert db.all(FLAVORS, {"public": False, "limit": 10})[0].flavorid \
        == "f2"
    assert db.all(FLAVORS, {"public": True, "limit": 1})[0].flavorid == "f1"
    assert db.all(FLAVORS, {"public": True, "limit": 0}) == []
