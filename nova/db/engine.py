"""Engines, per backend: URLs, connection settings, SQLite's write lock.

- SQLite: WAL journal (checkpointed every ``[database]
  sqlite_wal_autocheckpoint`` pages), a busy timeout of ``[database]
  lock_timeout``, and ``BEGIN IMMEDIATE`` for writers so two writers queue
  instead of failing half-way with "database is locked" on upgrade from a
  read lock; a writer waits for the lock in short naps
  (``begin_immediate``).
- MariaDB (PyMySQL) and PostgreSQL (psycopg 3): pre-ping on checkout (so
  connections broken by a server restart are replaced), connect and lock
  timeouts from ``[database]``; both at READ COMMITTED (MariaDB's default
  is REPEATABLE READ), which the quota checks rely on.
"""

from __future__ import annotations

import math
import sqlite3
import time
from typing import TYPE_CHECKING

import sqlalchemy
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

if TYPE_CHECKING:
    from oslo_config import cfg
    from sqlalchemy.engine import URL, Engine

_DRIVERS = {"mysql": "mysql+pymysql", "postgresql": "postgresql+psycopg",
            "postgres": "postgresql+psycopg"}


def make_url(connection: str) -> URL:
    url = sqlalchemy.engine.make_url(connection)
    if url.drivername in _DRIVERS:
        url = url.set(drivername=_DRIVERS[url.drivername])
    return url


def create_engine(conf_db: cfg.ConfigOpts.GroupAttr) -> Engine:
    """An engine for ``[database]`` (the option group object)."""
    url = make_url(conf_db.connection)
    backend = url.get_backend_name()
    kwargs = {"echo": conf_db.connection_debug, "future": True}
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": conf_db.lock_timeout,
                                  "check_same_thread": False}
        engine = sqlalchemy.create_engine(url, **kwargs)
        _setup_sqlite(engine, url, conf_db.sqlite_wal_autocheckpoint,
                      conf_db.lock_timeout)
        return engine
    kwargs.update(pool_pre_ping=True,
                  pool_size=conf_db.max_pool_size,
                  max_overflow=conf_db.max_overflow,
                  pool_timeout=conf_db.pool_timeout,
                  pool_recycle=conf_db.connection_recycle_time)
    if backend == "mysql":
        # PostgreSQL's default: every statement sees what was committed
        # before it began. Quota checks count rows after taking a lock row
        # (nova.compute.quotas); under InnoDB's REPEATABLE READ such a count
        # would read the snapshot of the transaction's first read, from
        # before the lock was granted, and miss what its holder committed.
        kwargs["isolation_level"] = "READ COMMITTED"
        kwargs["connect_args"] = {
            "connect_timeout": conf_db.connect_timeout,
            "charset": "utf8mb4",
            "init_command": "SET SESSION innodb_lock_wait_timeout = %d"
                            % max(1, math.ceil(conf_db.lock_timeout)),
        }
    elif backend == "postgresql":
        kwargs["connect_args"] = {
            "connect_timeout": conf_db.connect_timeout,
            "options": "-c lock_timeout=%d" % int(conf_db.lock_timeout * 1000),
        }
    return sqlalchemy.create_engine(url, **kwargs)


# A writer waits for SQLite's write lock in short naps, from 50 us up to
# 2 ms: SQLite's own busy handler sleeps 1 ms at first and longer after,
# while a writer of this API holds the lock for a tenth of that.
_FIRST_NAP = 50e-6
_LONGEST_NAP = 2e-3


def begin_immediate(conn: sqlite3.Connection, timeout: float) -> None:
    """``BEGIN IMMEDIATE`` on a sqlite3 connection, waiting at most
    ``timeout`` seconds for the write lock (then raising SQLite's "database
    is locked"). The connection's busy timeout is set aside meanwhile and
    put back after."""
    conn.execute("PRAGMA busy_timeout=0")
    try:
        deadline = None
        nap = _FIRST_NAP
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + timeout
                elif now >= deadline:
                    raise
                time.sleep(min(nap, max(0.0, deadline - now)))
                nap = min(nap * 2, _LONGEST_NAP)
    finally:
        conn.execute("PRAGMA busy_timeout=%d" % round(timeout * 1000))


def _setup_sqlite(engine, url, autocheckpoint, lock_timeout):
    in_memory = url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_autocheckpoint=%d" % autocheckpoint)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Straight to the driver: the same statement on the same connection,
        # without a SQLAlchemy execution (context, cursor, events) of its
        # own, which cost as much as the read that follows.
        writer = conn.get_execution_options().get("nova_writer")
        statement = "BEGIN IMMEDIATE" if writer else "BEGIN"
        try:
            if writer:
                begin_immediate(conn.connection.driver_connection,
                                lock_timeout)
            else:
                conn.connection.driver_connection.execute(statement)
        except sqlite3.Error as exc:
            # Wrapped as SQLAlchemy would, so "database is locked" is a 503.
            raise sa_exc.OperationalError(statement, None, exc) from exc


def is_missing_table(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text or "doesn't exist" in text


def describe(exc: BaseException) -> str:
    """A loggable reason: the driver's message, never the SQL or its values."""
    orig = getattr(exc, "orig", None)
    if orig is not None:
        return f"{type(orig).__name__}: {str(orig).splitlines()[0][:300]}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
