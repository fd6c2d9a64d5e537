"""Schema migrations (Alembic), for ``nova-manage db sync``."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def _config(connection):
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def head() -> str | None:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_current_head()


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def sync(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the schema to ``revision``; does nothing when already there.

    SQLite: foreign keys are not enforced while the migrations run. Batch
    mode rebuilds a table by copying it and dropping the original, and
    with enforcement on that drop would cascade-delete every row that
    references it (all extra specs of all flavors). The references are
    checked before the migrations' transaction commits instead.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _sqlite_foreign_keys(conn, False)
        try:
            with conn.begin():
                command.upgrade(_config(conn), revision)
                if sqlite:
                    _sqlite_check_foreign_keys(conn)
        finally:
            if sqlite:
                _sqlite_foreign_keys(conn, True)
    return current(engine)


def _sqlite_foreign_keys(conn, enabled):
    # Outside any transaction: inside one, SQLite ignores this pragma.
    conn.connection.dbapi_connection.execute(
        "PRAGMA foreign_keys=%s" % ("ON" if enabled else "OFF"))


def _sqlite_check_foreign_keys(conn):
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise RuntimeError(
            f"The migration left {len(broken)} row(s) referencing missing "
            f"rows (tables: {', '.join(tables)}); nothing was changed.")
