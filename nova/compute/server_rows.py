"""Changes of a server's row outside the ORM: the hot actions.

A reboot, a lock or a pause is a state check, a transition and an
instance-action record: ``get_editable`` reads the row locked in a
``nova.db.statements.Transaction``, the action changes attributes of the
``Editable``, ``save`` writes what changed with the revisions moved
(``nova.db.revisions.moved``), checked against the revision read as the
ORM's version counter is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute.servers import is_uuid, not_found
from nova.db import revisions
from nova.db.models import Instance

if TYPE_CHECKING:
    from typing import Any

    from nova.db.statements import Record, Transaction

class Editable:
    """A server row read for a change in a
    ``nova.db.statements.Transaction``:
    its columns as attributes, every assignment that changes a value
    remembered, written by ``save`` (the hot actions: a reboot is a state
    check, a transition and an instance-action record, no ORM)."""

    def __init__(self, row: Record) -> None:
        self.__dict__.update(row._asdict())
        self.__dict__["_changes"] = {}

    if TYPE_CHECKING:
        # The row's columns, set from ``row`` above.
        def __getattr__(self, name: str) -> Any: ...

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.__dict__:
            raise AttributeError(f"servers have no column {name!r}")
        if self.__dict__[name] != value or type(
                self.__dict__[name]) is not type(value):
            self.__dict__[name] = value
            self._changes[name] = value


_ROW = sa.select(Instance.__table__).where(
    Instance.uuid == sa.bindparam("uuid"), Instance.deleted == 0)


_ROW_LOCKED = {
    False: _ROW.with_for_update(),
    True: _ROW.where(Instance.project_id == sa.bindparam("project_id"))
    .with_for_update()}


_UPDATES = {}  # the changed columns -> UPDATE statement


def get_editable(tx: Transaction, server_id: str, *,
                 project_id: str | None = None) -> Editable:
    """The server (not deleted), locked for the transaction ``tx``, as an
    ``Editable``; 404 as ``get``."""
    if not is_uuid(server_id):
        raise not_found(server_id)
    row = tx.first(_ROW_LOCKED[project_id is not None],
                   {"uuid": server_id, "project_id": project_id})
    if row is None:
        raise not_found(server_id)
    return Editable(row)


def save(tx: Transaction, server: Editable) -> None:
    """Write what changed of an ``Editable``, moving its revisions
    (``revisions.moved``; checked against the revision read, as the ORM's
    version counter is)."""
    changes = server._changes
    if not changes:
        return
    moved = revisions.moved(server.revision, state_only=revisions
                            .is_state_only(changes))
    if "view_revision" in moved:
        # More than the state: the view's other fields may change too.
        changes["view_revision"] = moved["view_revision"]
    names = tuple(sorted(changes))
    statement = _UPDATES.get(names)
    if statement is None:
        table = Instance.__table__
        statement = _UPDATES[names] = sa.update(table).where(
            table.c.id == sa.bindparam("w_id"),
            table.c.revision == sa.bindparam("w_revision")).values(
            {**{name: sa.bindparam("v_" + name, type_=table.c[name].type)
                for name in names},
             "revision": sa.bindparam("w_next")})
    params = {"v_" + name: value for name, value in changes.items()}
    params.update(w_id=server.id, w_revision=server.revision,
                  w_next=moved["revision"])
    if tx.run(statement, params) != 1:
        raise exception.ConcurrentUpdate()
    server.__dict__["revision"] = moved["revision"]
    if "view_revision" in changes:
        server.__dict__["view_revision"] = changes["view_revision"]
    changes.clear()
