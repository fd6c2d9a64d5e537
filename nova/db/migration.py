"""Schema migrations (Alembic), for ``nova-manage db sync``."""

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def _config(connection):
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def head():
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_current_head()


def current(engine):
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def sync(engine, revision="head"):
    """Upgrade the schema to ``revision``; does nothing when already there."""
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)
    return current(engine)
