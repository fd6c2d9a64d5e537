"""The store of one process: ``Database``, and its transactions.

``Database(conf)`` is cheap and does not connect: the first request does.
So a database that is down at start-up is not latched: requests get 503
until it is back, then work again without a restart.

- Connections are never shared across a fork: the engine is re-created,
  without closing the parent's sockets, when the pid changes (prefork
  servers import the app in the master). Each transaction checks a
  connection out of the pool for itself, so threads never share one.
- ``reader()``/``writer()``: ORM sessions. ``transaction()``: statements
  compiled once, on the driver's connection (``nova.db.statements``).
  ``first()``/``all()``: a lone SELECT on a request's hot path (the
  metadata API's lookup) the same way; on SQLite each thread keeps its own
  connection for it. ``connection()``/``core_writer()``: Core.
- The ORM (``sqlalchemy.orm``) is imported by the first ``reader()`` or
  ``writer()`` session, not with this module: a process that uses Core
  alone (the metadata API, the health check) never imports it.
- Engines and their per-backend settings: ``nova.db.engine``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

from nova import db as nova_db
from nova import exception
from nova.db.engine import create_engine, describe, is_missing_table, make_url
from nova.db.statements import Plan, Transaction

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import Any

    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.expression import Executable

    from nova.db.statements import Record

class Database:
    """The store of one process; transactions come from ``reader``,
    ``writer`` and ``transaction``."""

    def __init__(self, conf_db):
        self.conf_db = conf_db
        self.backend = make_url(conf_db.connection).get_backend_name()
        self._engine = None
        self._pid = None
        self._lock = threading.Lock()
        self._schema_ok = False
        self._plans = {}  # statement -> Plan, for first() and transaction()
        self._local = threading.local()  # SQLite: the thread's first() conn
        self._held = weakref.WeakSet()  # those alive, closed by dispose()

    @property
    def engine(self) -> Engine:
        pid = os.getpid()
        if self._engine is None or self._pid != pid:
            with self._lock:
                if self._engine is None or self._pid != pid:
                    if self._engine is not None:
                        # Inherited from the parent: forget its connections
                        # without closing the parent's sockets.
                        self._engine.dispose(close=False)
                    self._engine = create_engine(self.conf_db)
                    self._writer_engine = self._engine.execution_options(
                        nova_writer=True)
                    self._pid = pid
                    self._schema_ok = False
                    # A parent's are left alone, as above.
                    self._held = weakref.WeakSet()
        return self._engine

    def dispose(self) -> None:
        for conn in list(self._held):
            conn.close()
        self._held = weakref.WeakSet()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def check_schema(self, connection: Connection) -> None:
        if self._schema_ok:
            return
        try:
            current = connection.exec_driver_sql(
                "SELECT version_num FROM alembic_version").scalar()
        except sa_exc.OperationalError as exc:
            if is_missing_table(exc):
                current = None
            else:
                raise
        except sa_exc.ProgrammingError:
            current = None
        if current != nova_db.SCHEMA_HEAD:
            raise exception.SchemaOutOfDate(
                "The database schema is not up to date (revision "
                f"{current or 'none'}, this code needs "
                f"{nova_db.SCHEMA_HEAD}); the operator must run "
                "'nova-manage db sync'.")
        self._schema_ok = True

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only transaction, ended (rolled back) when the block ends.

        Objects loaded in it stay readable afterwards: closing the session
        detaches them without expiring their attributes.
        """
        engine = self.engine
        session_class, _stale = _orm()
        with session_class(bind=engine, expire_on_commit=False) as session:
            self.check_schema(session.connection())
            yield session

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """A plain connection for Core reads on a hot path (no ORM session)."""
        with self.engine.connect() as conn:
            self.check_schema(conn)
            yield conn

    def first(self, statement: Executable,
              params: Mapping[str, Any]) -> Record | None:
        """``connection().execute(statement, params).first()``, made cheap.

        For the reads every request makes (the metadata API's lookup of
        the asking server): a SELECT built once, its values bound by
        name (``sa.bindparam``). Its SQL is compiled once, and it runs on
        the driver's connection (on SQLite the thread's own, see
        ``_held_connection``; else one from the pool), skipping
        SQLAlchemy's per-execution objects (context, cursor wrapper,
        result, events), which cost about three times the indexed query
        itself on SQLite. Values that need converting (booleans on
        SQLite, say) go through the column type's own processors. No
        BEGIN of its own: a single SELECT is consistent by itself. The
        row is a named tuple of the selected columns. Driver errors are
        raised as SQLAlchemy's (so they map to the same API errors), and
        a connection the driver reports as lost is invalidated, as
        SQLAlchemy would. Until the schema has been found current, this
        is a plain ``connection()`` read, which checks it.
        """
        return self._run(statement, params, many=False)

    def all(self, statement: Executable,
            params: Mapping[str, Any]) -> Sequence[Record]:
        """Every row of ``statement``, the same fast way as ``first()``."""
        return self._run(statement, params, many=True)

    def _run(self, statement, params, many):
        if not self._schema_ok:
            with self.connection() as conn:
                result = conn.execute(statement, params)
                return result.all() if many else result.first()
        with self._raw() as tx:
            return tx.all(statement, params) if many else \
                tx.first(statement, params)

    def _plan(self, statement, dialect):
        plan = self._plans.get(statement)
        if plan is None:
            plan = self._plans[statement] = Plan(statement, dialect)
        return plan

    @contextlib.contextmanager
    def _raw(self, begin=None, commit=False):
        """A ``Transaction`` on a driver connection (see ``transaction``);
        ``begin``: SQLite's statement opening it (None: each statement on
        its own, for a lone SELECT)."""
        engine = self.engine
        dialect = engine.dialect
        error = dialect.loaded_dbapi.Error
        held = self.backend == "sqlite"
        try:
            raw = self._held_connection(engine) if held else \
                engine.raw_connection()
        except error as exc:
            raise sa_exc.DBAPIError.instance(
                None, None, exc, error, dialect=dialect) from exc
        tx = Transaction(self, raw, dialect, held)
        try:
            if begin is not None and held:
                tx.driver(begin)
            yield tx
            if commit:
                tx.driver(None, commit=True)
        except BaseException:
            if held:
                tx.end()
            raise
        else:
            if held and begin is not None and not commit:
                tx.end()
        finally:
            if not held:
                # Back to the pool, whose reset rolls back what is open.
                raw.close()

    def _held_connection(self, engine):
        """SQLite: this thread's own connection for ``first()``.

        Checking a connection out of the pool and back costs more than the
        query, with cold CPU caches (as between requests) several times
        more. So each thread keeps one, detached from the pool (which
        makes another in its place when it needs one): never shared
        between threads, nor used after a fork (it belongs to the engine,
        which a new pid replaces). Without a transaction of its own
        (each SELECT is one), it holds no lock between requests and sees
        every commit, as a pooled connection would.
        """
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.engine is not engine:
            conn = engine.raw_connection()
            conn.detach()
            self._local.conn, self._local.engine = conn, engine
            self._held.add(conn)
        return conn

    @contextlib.contextmanager
    def transaction(self, write: bool = False) -> Iterator[Transaction]:
        """A transaction on the driver's connection, without the ORM: the
        statements of the hottest paths (an action on one server, the
        view of one server) built once and compiled once (``Plan``),
        run through ``Transaction.first``/``all``/``run``/``insert``.

        ``write``: on SQLite ``BEGIN IMMEDIATE`` (writers queue on the
        busy timeout, as ``writer()``'s do), committed when the block ends
        cleanly; else a read snapshot (SQLite ``BEGIN``; the servers'
        default transaction), rolled back at the end. Any exception rolls
        back. SQLite runs it on the thread's own connection (see
        ``_held_connection``), the servers on one from the pool.
        """
        if not self._schema_ok:
            with self.connection():
                pass  # checks the schema, raising SchemaOutOfDate
        with self._raw(begin="BEGIN IMMEDIATE" if write else "BEGIN",
                       commit=write) as tx:
            yield tx

    @contextlib.contextmanager
    def writer(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends cleanly."""
        self.engine  # noqa: B018 - make sure the engines exist for this pid
        session_class, stale = _orm()
        try:
            with session_class(bind=self._writer_engine,
                               expire_on_commit=False) as session:
                with session.begin():
                    self.check_schema(session.connection())
                    yield session
        except stale as exc:
            # The version counter of instances caught another request
            # changing the same row between our read and our write: the
            # Core path (``servers.save``) raises the same.
            raise exception.ConcurrentUpdate() from exc

    @contextlib.contextmanager
    def core_writer(self) -> Iterator[Connection]:
        """``writer()`` without the ORM: a connection in a write
        transaction (BEGIN IMMEDIATE on SQLite), committed when the block
        ends cleanly."""
        self.engine  # noqa: B018 - make sure the engines exist for this pid
        with self._writer_engine.begin() as conn:
            self.check_schema(conn)
            yield conn

    def ping(self) -> str | None:
        """None when the database answers, else a short reason."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
                self.check_schema(conn)
        except exception.SchemaOutOfDate as exc:
            return exc.message
        except sa_exc.SQLAlchemyError as exc:
            return describe(exc)
        return None


_ORM = None


def _orm():
    """(``sqlalchemy.orm.Session``, the ORM's ``StaleDataError``),
    imported on first use."""
    global _ORM
    if _ORM is None:
        from sqlalchemy.orm import Session
        from sqlalchemy.orm.exc import StaleDataError

        _ORM = (Session, StaleDataError)
    return _ORM
