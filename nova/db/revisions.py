"""A server's revisions: the rule every writer follows, and what they key.

``instances.revision`` moves on every write of a server's row, and every
change to what the server's views show from other rows (metadata, tags,
addresses, faults) writes the row too (``updated_at``).
``instances.view_revision`` moves with it, except when the write changed
nothing but the server's state (``STATE_COLUMNS``, what a reboot or a lock
changes). Views rendered from a server are kept by these numbers (the
compute API's ``nova.api.compute.render_cache``, the metadata API's
instance cache): a writer that did not move them would leave stale views
behind, in this process and in every other.

``moved`` is the one function that gives the new values, used by every
writer: the ORM (whose version counter moves ``revision`` by the same
rule, ``nova.db.models``), the Core path of the hot actions
(``nova.compute.server_rows.save``) and the metadata API's password.

What identifies one version of a server's detailed view
(``PAGE_KEY_COLUMNS``): its id, its revision, whether its pending
transitions are due (the state shown depends on the clock) and its image
(whose properties the view shows from 2.98).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova.db.tables import STATE_COLUMNS, instances

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Protocol

    from sqlalchemy.sql.expression import ColumnElement

    class Deadlines(Protocol):
        """What ``due_of`` reads of a server: an ORM ``Instance`` or a
        row of the ``instances`` columns."""

        @property
        def task_deadline(self) -> datetime.datetime | None: ...
        @property
        def then_deadline(self) -> datetime.datetime | None: ...


def moved(revision: int | ColumnElement[Any], *,
          state_only: bool = False) -> dict[str, Any]:
    """The revision columns after a write of a server whose revision is
    ``revision`` (an int, or the column itself in an UPDATE statement):
    ``{"revision": ..., "view_revision": ...}``, without ``view_revision``
    when the write changed only ``STATE_COLUMNS`` (``state_only``)."""
    values = {"revision": revision + 1}
    if not state_only:
        values["view_revision"] = revision + 1
    return values


def is_state_only(columns: Iterable[str]) -> bool:
    """Whether a write of ``columns`` (names) leaves the view but for its
    state fields as it was."""
    return set(columns) <= STATE_COLUMNS


# "due" is worked out by the database against the bound "now" (no
# timestamp to convert per row): 1 when the pending transition is due, plus
# 2 when the later one (then_deadline) is.
def _due_column():
    now = sa.bindparam("now", type_=instances.c.task_deadline.type)
    return (sa.case((instances.c.task_deadline <= now, 1), else_=0)
            + sa.case((instances.c.then_deadline <= now, 2), else_=0)
            ).label("due")


PAGE_KEY_COLUMNS = (instances.c.uuid, instances.c.revision, _due_column(),
                    instances.c.image_ref)


def due_of(instance: Deadlines, now: datetime.datetime) -> int:
    """``due`` of a whole row, as PAGE_KEY_COLUMNS computes it."""
    due = 0
    if instance.task_deadline is not None and instance.task_deadline <= now:
        due += 1
    if instance.then_deadline is not None and instance.then_deadline <= now:
        due += 2
    return due


# What a view's state fields are made of (views.servers.state_fields).
STATE_VIEW_COLUMNS = tuple(
    instances.c[name] for name in sorted(STATE_COLUMNS)) + (
    instances.c.then_deadline, instances.c.then_vm_state,
    instances.c.then_power_state, instances.c.created_at,
    instances.c.launched_at)
