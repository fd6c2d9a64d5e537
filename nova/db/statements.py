"""Statements compiled once and run on the driver's connection.

The hottest paths (an action on one server, the view of one server, the
metadata API's lookup) run a handful of statements built once
(``sa.bindparam`` for every value). ``Plan`` compiles each once per
dialect and lays out its values itself; ``Transaction`` runs plans on a
driver (DBAPI) connection, skipping SQLAlchemy's per-execution objects
(context, cursor wrapper, result, events), which cost several times the
indexed query itself on SQLite. Driver errors are raised as SQLAlchemy's,
so they map to the same API errors.

``Plan`` relies on SQLAlchemy's compiler beyond its documented API: the
``Compiled`` object's ``binds``, ``positiontup``, ``insert_prefetch``/
``update_prefetch``, ``effective_returning`` and
``construct_expanded_state()``, and ``BindParameter.required``/
``effective_value``/``expanding``. They are stable within a minor series,
not across them: pyproject.toml pins SQLAlchemy to the two series tested,
2.0 (from 2.0.30) and 2.1 (tests/unit/test_db_units.py and
tests/functional/test_row_actions.py cover every use on SQLite, MariaDB
and PostgreSQL).
"""

from __future__ import annotations

import collections
import datetime
import operator
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc

from nova.db.engine import begin_immediate

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import Any, Protocol, TypeAlias

    from sqlalchemy.orm import Session
    from sqlalchemy.sql.expression import Delete, Executable, Insert, Update

    class Record(Protocol):
        """A row of a SELECT: SQLAlchemy's ``Row`` or a ``Plan``'s named
        tuple, the selected columns as attributes either way."""

        def __getattr__(self, name: str) -> Any: ...
        def __iter__(self) -> Iterator[Any]: ...
        def __getitem__(self, index: int) -> Any: ...
        def __len__(self) -> int: ...
        def _asdict(self) -> dict[str, Any]: ...

    # Where the functions of the domain that take either run: an ORM
    # session (``Database.reader``/``writer``) or a ``Transaction``.
    Reads: TypeAlias = "Session | Transaction"

class Transaction:
    """Statements on one driver connection (``Database.transaction``).

    Driver errors are raised as SQLAlchemy's (so they map to the same API
    errors); a connection the driver reports as lost is invalidated, as
    SQLAlchemy would."""

    def __init__(self, db, raw, dialect, held):
        self._db, self._raw, self._dialect = db, raw, dialect
        self._held = held
        self._ended = False

    def first(self, statement: Executable,
              params: Mapping[str, Any] | None = None) -> Record | None:
        """The first row (a named tuple of the selected columns) or None."""
        return self._execute(statement, params, "one")

    def all(self, statement: Executable,
            params: Mapping[str, Any] | None = None) -> list[Record]:
        return self._execute(statement, params, "all")

    def run(self, statement: Update | Delete,
            params: Mapping[str, Any] | None = None) -> int:
        """An UPDATE or DELETE; the number of rows it matched."""
        return self._execute(statement, params, "count")

    def insert(self, statement: Insert,
               params: Mapping[str, Any] | None = None) -> Any:
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

    def driver(self, sql: str | None, commit: bool = False) -> None:
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

    def end(self) -> None:
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


class Plan:
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

    def learn(self, description: Sequence[Sequence[Any]]) -> None:
        """Pick the result processors from a cursor's ``description``."""
        processors = [
            impl.result_processor(self._dialect, column[1])
            for impl, column in zip(self._types, description, strict=True)]
        self.processors = processors if any(processors) else None

    def sql_args(self, params: Mapping[str, Any]
                 ) -> tuple[str, Sequence[Any] | Mapping[str, Any]]:
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
                     for name, n in zip(self.expanding_names, shape,
                                        strict=True)
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

    def make_all(self, rows: Sequence[Sequence[Any]]) -> list[Record]:
        if self.processors is None:  # as they come: no per-row call
            return list(map(self.row._make, rows))
        return [self.make(row) for row in rows]

    def make(self, row: Sequence[Any]) -> Record:
        if self.processors is None:
            return self.row(*row)
        return self.row(*[value if process is None else process(value)
                          for process, value
                          in zip(self.processors, row, strict=True)])


def rows(reads: Reads, statement: Executable,
         params: Mapping[str, Any] | None = None) -> Sequence[Record]:
    """Every row of a SELECT, in an ORM session or a ``Transaction``."""
    if isinstance(reads, Transaction):
        return reads.all(statement, params)
    return reads.execute(statement, params or {}).all()


def insert(writes: Reads, statement: Insert,
           params: Mapping[str, Any]) -> Any:
    """An INSERT of one row, in an ORM session or a ``Transaction``: its
    new primary key."""
    if isinstance(writes, Transaction):
        return writes.insert(statement, params)
    return writes.execute(statement, params).inserted_primary_key[0]
