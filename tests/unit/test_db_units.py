"""The store's pieces that need no database server."""

import datetime
import itertools
import pathlib
import re

import pytest
import sqlalchemy
from alembic.config import Config
from alembic.script import ScriptDirectory

import nova.db
from nova import exception
from nova.api import errors
from nova.db import engine as db_engine
from nova.db import migration, statements


def test_schema_head_constant_is_the_newest_migration():
    # The API compares the database against nova.db.SCHEMA_HEAD without
    # importing Alembic; adding a migration must move the constant too.
    assert nova.db.SCHEMA_HEAD == migration.head()


def test_migrations_form_one_line_named_after_their_revisions():
    config = Config()
    config.set_main_option("script_location", migration.MIGRATIONS)
    scripts = ScriptDirectory.from_config(config)
    assert scripts.get_heads() == [nova.db.SCHEMA_HEAD]
    chain = list(scripts.walk_revisions())  # newest first
    assert chain[-1].down_revision is None
    for newer, older in itertools.pairwise(chain):
        assert newer.down_revision == older.revision
    for script in chain:
        name = pathlib.Path(script.path).name
        assert re.fullmatch(rf"{script.revision}_\w+\.py", name), name


@pytest.mark.parametrize(("given", "driver"), [
    ("mysql://nova:pw@db/nova", "mysql+pymysql"),
    ("mysql+pymysql://nova:pw@db/nova", "mysql+pymysql"),
    ("postgresql://nova:pw@db/nova", "postgresql+psycopg"),
    ("postgres://nova:pw@db/nova", "postgresql+psycopg"),
    ("postgresql+psycopg://nova:pw@db/nova", "postgresql+psycopg"),
    ("sqlite:////var/lib/nova/nova.sqlite", "sqlite"),
])
def test_urls_without_a_driver_get_the_installed_one(given, driver):
    url = db_engine.make_url(given)
    assert url.drivername == driver
    assert url.password == (None if driver == "sqlite" else "pw")


def _operational_error():
    return sqlalchemy.exc.OperationalError(
        "UPDATE flavors SET name=? WHERE id=?", ("secret-name", 1),
        Exception("database is locked\nsecond line"))


def test_describe_gives_the_driver_reason_without_sql_or_values():
    text = db_engine.describe(_operational_error())
    assert text == "Exception: database is locked"


@pytest.mark.parametrize("make", [
    _operational_error,
    lambda: sqlalchemy.exc.InterfaceError("SELECT 1", (), Exception("gone")),
    lambda: sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
    lambda: sqlalchemy.exc.DisconnectionError("server closed"),
])
def test_database_trouble_is_a_503_without_details(make, caplog):
    error = errors.to_api_error(make())
    assert error.code == 503
    assert error.message == "The database is unavailable; try again later."
    assert "secret-name" not in caplog.text


def test_schema_out_of_date_is_a_503():
    error = errors.to_api_error(exception.SchemaOutOfDate("run it"))
    assert (error.code, error.message) == (503, "run it")


def test_planned_sqlite_datetimes_are_stored_as_sqlalchemy_stores_them():
    """A planned statement binds a naive datetime as the same text as
    SQLAlchemy's own SQLite processor (compared and sorted as text, the
    two must never differ: whole seconds keep their ".000000"); other
    values go through SQLAlchemy's processor as before."""
    from sqlalchemy.dialects import sqlite

    from nova.db import tables

    dialect = sqlite.dialect()
    stmt = sqlalchemy.select(tables.instances.c.id).where(
        tables.instances.c.updated_at > sqlalchemy.bindparam("since"))
    plan = statements.Plan(stmt, dialect)
    ours = dict(plan.binders)["since"][0]
    theirs = tables.PreciseDateTime.dialect_impl(dialect).bind_processor(
        dialect)
    assert ours is not theirs
    for value in (datetime.datetime(2026, 11, 26, 4, 5, 6),
                  datetime.datetime(2026, 11, 26, 4, 5, 6, 7),
                  datetime.datetime(1, 1, 1), datetime.datetime.max,
                  datetime.date(2026, 2, 3),
                  datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(
                      datetime.timedelta(hours=2))), None):
        assert ours(value) == theirs(value), value
    assert ours(datetime.datetime(2026, 1, 1)) == "2026-01-01 00:00:00.000000"
