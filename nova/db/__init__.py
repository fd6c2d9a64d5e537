"""The SQL store both APIs share (SQLAlchemy 2 + Alembic).

``SCHEMA_HEAD`` is the newest migration's revision; the API refuses to
serve (503, "run nova-manage db sync") while the database is behind it. A
test checks it against the migrations directory, so that the API need not
import Alembic at start-up.
"""
SCHEMA_HEAD = "0013"
