"""Engines and transactions, per process and per backend.

``Database(conf)`` is cheap and does not connect: the first request does.
So a database that is down at start-up is not latched: requests get 503
until it is back, then work again without a restart.

- SQLite: WAL journal (checkpointed every ``[database]
  sqlite_wal_autocheckpoint`` pages), a busy timeout of ``[database]
  lock_timeout``, and ``BEGIN IMMEDIATE`` for writers so two writers queue
  instead of failing half-way with "database is locked" on upgrade from a
  read lock.
- MariaDB (PyMySQL) and PostgreSQL (psycopg 3): pre-ping on checkout (so
  connections broken by a server restart are replaced), connect and lock
  timeouts from ``[database]``; both at READ COMMITTED (MariaDB's default
  is REPEATABLE READ), which the quota checks rely on.
- Connections are never shared across a fork: the engine is re-created,
  without closing the parent's sockets, when the pid changes (prefork
  servers import the app in the master). Each transaction checks a
  connection out of the pool for itself, so threads never share one.
- ``first()``: a lone SELECT on every request's hot path (the metadata
  API's lookup), compiled once and run on the driver's connection; on
  SQLite each thread keeps its own connection for it.
- The ORM (``sqlalchemy.orm``) is imported by the first ``reader()`` or
  ``writer()`` session, not with this module: a process that uses Core
  alone (the metadata API: ``first()``, ``connection()``,
  ``core_writer()``; the health check) never imports it.
"""

import collections
import contextlib
import datetime
import logging
import math
import operator
import os
import sqlite3
import threading
import time
import weakref

import sqlalchemy
from sqlalchemy import event, exc as sa_exc

from nova import db as nova_db
from nova import exception

LOG = logging.getLogger(__name__)

_DRIVERS = {"mysql": "mysql+pymysql", "postgresql": "postgresql+psycopg",
            "postgres": "postgresql+psycopg"}


def make_url(connection):
    url = sqlalchemy.engine.make_url(connection)
    if url.drivername in _DRIVERS:
        url = url.set(drivername=_DRIVERS[url.drivername])
    return url


def create_engine(conf_db):
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


def begin_immediate(conn, timeout):
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


class Database:
    """The store of one process; transactions come from ``reader``/``writer``."""

    def __init__(self, conf_db):
        self.conf_db = conf_db
        self.backend = make_url(conf_db.connection).get_backend_name()
        self._engine = None
        self._pid = None
        self._lock = threading.Lock()
        self._schema_ok = False
        self._plans = {}  # statement -> _Plan, for first()
        self._local = threading.local()  # SQLite: the thread's first() conn
        self._held = weakref.WeakSet()  # those alive, closed by dispose()

    @property
    def engine(self):
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

    def dispose(self):
        for conn in list(self._held):
            conn.close()
        self._held = weakref.WeakSet()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def check_schema(self, connection):
        if self._schema_ok:
            return
        try:
            current = connection.exec_driver_sql(
                "SELECT version_num FROM alembic_version").scalar()
        except sa_exc.OperationalError as exc:
            if _is_missing_table(exc):
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
    def reader(self):
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
    def connection(self):
        """A plain connection for Core reads on a hot path (no ORM session)."""
        with self.engine.connect() as conn:
            self.check_schema(conn)
            yield conn

    def first(self, statement, params):
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

    def all(self, statement, params):
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
            plan = self._plans[statement] = _Plan(statement, dialect)
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
    def transaction(self, write=False):
        """A transaction on the driver's connection, without the ORM: the
        statements of the hottest paths (an action on one server, the
        view of one server) built once and compiled once (``_Plan``),
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
    def writer(self):
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
    def core_writer(self):
        """``writer()`` without the ORM: a connection in a write
        transaction (BEGIN IMMEDIATE on SQLite), committed when the block
        ends cleanly."""
        self.engine  # noqa: B018 - make sure the engines exist for this pid
        with self._writer_engine.begin() as conn:
            self.check_schema(conn)
            yield conn

    def ping(self):
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


class Transaction:
    """Statements on one driver connection (``Database.transaction``).

    Driver errors are raised as SQLAlchemy's (so they map to the same API
    errors); a connection the driver reports as lost is invalidated, as
    SQLAlchemy would."""

    def __init__(self, db, raw, dialect, held):
        self._db, self._raw, self._dialect = db, raw, dialect
        self._held = held
        self._ended = False

    def first(self, statement, params=None):
        """The first row (a named tuple of the selected columns) or None."""
        return self._execute(statement, params, "one")

    def all(self, statement, params=None):
        return self._execute(statement, params, "all")

    def run(self, statement, params=None):
        """An UPDATE or DELETE; the number of rows it matched."""
        return self._execute(statement, params, "count")

    def insert(self, statement, params=None):
        """An INSERT of one row; its new primary key."""
        return self._execute(statement, params, "key")

    def _execute(self, statement, params, fetch):
        plan = self._db._plan(statement, self._dialect)
        sql, args = plan.sql_args(params or {})
        error = self._dialect.loaded_dbapi.Error
        try:
            cursor = self._raw.cursor()
            try:
                cursor.execute(sql, args)
                if fetch == "count":
                    return cursor.rowcount
                if fetch == "key":
                    return cursor.fetchone()[0] if plan.returning \
                        else cursor.lastrowid
                if plan.processors is False:
                    plan.learn(cursor.description)
                if fetch == "all":
                    return plan.make_all(cursor.fetchall())
                row = cursor.fetchone()
                return None if row is None else plan.make(row)
            finally:
                cursor.close()
        except error as exc:
            raise self._failed(exc, sql, args) from exc

    def driver(self, sql, commit=False):
        """A statement of the driver's own (SQLite's BEGIN), or commit."""
        error = self._dialect.loaded_dbapi.Error
        try:
            if commit:
                self._ended = True
                if self._held:
                    self._raw.dbapi_connection.execute("COMMIT")
                else:
                    self._raw.commit()
            elif sql == "BEGIN IMMEDIATE":
                begin_immediate(self._raw.dbapi_connection,
                                self._db.conf_db.lock_timeout)
            else:
                self._raw.dbapi_connection.execute(sql)
        except error as exc:
            self._ended = False
            raise self._failed(exc, sql or "COMMIT", ()) from exc

    def end(self):
        """SQLite: roll back what is open on the thread's connection
        (quietly: the connection may be what failed). On the servers the
        pool's reset does it when the connection goes back."""
        if self._ended:
            return
        self._ended = True
        conn = self._raw.dbapi_connection
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except self._dialect.loaded_dbapi.Error:
            # Unusable: the thread opens a new one.
            self._db._local.conn = None
            self._raw.close()

    def _failed(self, exc, sql, args):
        error = self._dialect.loaded_dbapi.Error
        lost = self._dialect.is_disconnect(exc, self._raw, None)
        if self._held:
            if lost:
                # Forget the thread's connection: the next one is new.
                self._db._local.conn = None
                self._ended = True
                self._raw.close()
        elif lost:
            self._ended = True
            self._raw.invalidate(exc)
        return sa_exc.DBAPIError.instance(
            sql, args, exc, error, connection_invalidated=lost,
            dialect=self._dialect)


_SAMPLE_TIMES = (datetime.datetime(2026, 11, 26, 4, 5, 6, 7),
                 datetime.datetime(999, 1, 2), datetime.datetime(2026, 1, 1))


def _quicker(process):
    """``process``, or the same conversion done quicker: SQLite's DATETIME
    processor formats with a dict of seven fields, which a naive datetime's
    ``isoformat`` gives in a fraction of the time when its storage format
    is the default one (checked here on samples, not assumed)."""
    try:
        same = all(process(t) == t.isoformat(" ", "microseconds")
                   for t in _SAMPLE_TIMES)
    except Exception:  # noqa: BLE001 - not a datetime processor
        same = False
    if not same:
        return process
    datetime_class = datetime.datetime

    def naive_iso(value):
        if value.__class__ is datetime_class and value.tzinfo is None:
            return value.isoformat(" ", "microseconds")
        return process(value)

    return naive_iso


class _Plan:
    """A statement compiled once for one dialect (``Database.first``,
    ``Transaction``): values bound by name (``sa.bindparam``), a list
    for an expanding one (``IN``), converted by the column types' own
    processors."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.insert_prefetch or compiled.update_prefetch:
            # Python-side defaults are filled by SQLAlchemy's execution,
            # which a plan skips: such statements name every value.
            raise ValueError("a planned statement must give every value "
                             "(columns with Python defaults are missing)")
        self.compiled = compiled
        self.sql = compiled.string
        self.expanding_names = [name for name, bind in
                                compiled.binds.items() if bind.expanding]
        self.expanding = bool(self.expanding_names)
        self._shapes = {}  # lengths of the lists -> (SQL, layout)
        self.returning = bool(compiled.effective_returning)
        self.fixed = {name: bind.effective_value for name, bind in
                      compiled.binds.items() if not bind.required}
        self.required = {name: bind.key for name, bind in
                         compiled.binds.items() if bind.required}
        self.binders = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.binders[name] = (_quicker(process), bind.expanding)
        self.order = (list(compiled.positiontup) if compiled.positional
                      else None)
        # The same, as tuples and a getter: this runs for every statement.
        self._required = tuple(self.required.items())
        self._binders = tuple(self.binders.items())
        if self.order:
            getter = operator.itemgetter(*self.order)
            self._ordered = getter if len(self.order) > 1 else (
                lambda values: (getter(values),))
        else:
            self._ordered = lambda values: ()
        columns = list(statement.selected_columns) if getattr(
            statement, "is_select", False) else []
        # Result processors need the driver's type of each column (the
        # cursor's description), known after the first execution.
        self._types = [c.type.dialect_impl(dialect) for c in columns]
        self._dialect = dialect
        self.processors = False  # not yet known
        self.row = collections.namedtuple(
            "Row", [c.key for c in columns]) if columns else None

    def learn(self, description):
        """Pick the result processors from a cursor's ``description``."""
        processors = [
            impl.result_processor(self._dialect, column[1])
            for impl, column in zip(self._types, description)]
        self.processors = processors if any(processors) else None

    def sql_args(self, params):
        values = dict(self.fixed)
        for name, key in self._required:
            values[name] = params[key]
        for name, (process, expanding) in self._binders:
            values[name] = [process(v) for v in values[name]] \
                if expanding else process(values[name])
        if self.expanding:
            return self._expanded(values)
        if self.order is None:
            return self.sql, values
        return self.sql, self._ordered(values)

    def _expanded(self, values):
        """SQL and arguments with each list spelled out: the SQL of each
        list length built once (SQLAlchemy's expansion, kept), then only
        the values are laid out."""
        shape = tuple(len(values[name]) for name in self.expanding_names)
        found = self._shapes.get(shape)
        if found is None:
            state = self.compiled.construct_expanded_state(values)
            names = state.positiontup if self.order is not None \
                else list(state.parameters)
            # Each parameter of the expanded SQL: (name, index in the
            # list, or None for a plain value).
            lists = {f"{name}_{i + 1}": (name, i)
                     for name, n in zip(self.expanding_names, shape)
                     for i in range(n)}
            found = (state.statement,
                     [lists.get(name, (name, None)) for name in names])
            if len(self._shapes) < 64:
                self._shapes[shape] = found
        sql, layout = found
        if self.order is None:
            return sql, {
                (name if index is None else f"{name}_{index + 1}"):
                (values[name] if index is None else values[name][index])
                for name, index in layout}
        return sql, tuple(values[name] if index is None
                          else values[name][index]
                          for name, index in layout)

    def make_all(self, rows):
        if self.processors is None:  # as they come: no per-row call
            return list(map(self.row._make, rows))
        return [self.make(row) for row in rows]

    def make(self, row):
        if self.processors is None:
            return self.row(*row)
        return self.row(*[value if process is None else process(value)
                          for process, value in zip(self.processors, row)])


def rows(reads, statement, params=None):
    """Every row of a SELECT, in an ORM session or a ``Transaction``."""
    if isinstance(reads, Transaction):
        return reads.all(statement, params)
    return reads.execute(statement, params or {}).all()


def insert(writes, statement, params):
    """An INSERT of one row, in an ORM session or a ``Transaction``: its
    new primary key."""
    if isinstance(writes, Transaction):
        return writes.insert(statement, params)
    return writes.execute(statement, params).inserted_primary_key[0]


def _is_missing_table(exc):
    text = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text or "doesn't exist" in text


def describe(exc):
    """A loggable reason: the driver's message, never the SQL or its values."""
    orig = getattr(exc, "orig", None)
    if orig is not None:
        return f"{type(orig).__name__}: {str(orig).splitlines()[0][:300]}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"


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
