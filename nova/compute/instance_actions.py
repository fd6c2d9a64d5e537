"""Instance actions: what was done to a server, by whom, with its events
(os-instance-actions); independent of HTTP.

Every action of the API writes one, with Core INSERTs built once (in an
ORM session or a ``nova.db.statements.Transaction``): an event's finish time is
the transition's deadline, shown once passed.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.db import statements
from nova.db.models import InstanceAction, InstanceActionEvent, utcnow

if TYPE_CHECKING:
    import datetime
    from collections.abc import Iterable, Mapping
    from typing import Protocol

    from sqlalchemy.orm import Session

    from nova.compute.driver import Server
    from nova.db.statements import Reads

    class Caller(Protocol):
        """Who asks, as the actions record it (the compute API's
        ``server_common.caller``)."""

        request_id: str | None
        user_id: str | None
        project_id: str | None
        user_name: str | None
        is_admin: bool

NO_HOST = ("No valid host was found. There are not enough hosts "
           "available.")


def record(session: Reads, instance: Server, action: str, context: Caller,
           events: Iterable[tuple[str, str, str | None]] = (),
           finish: datetime.datetime | None = None,
           message: str | None = None, host: str | None = None) -> int:
    """An instance action; ``events`` are (name, result, details) finishing
    at ``finish`` (default: the server's pending deadline, or now).

    Everything starts now, and nothing finishes before it starts: a
    ``finish`` earlier than now (a caller's "now", taken before the work
    that led here, or a deadline already passed) is now.

    Core INSERTs, not ORM objects: every action of the API writes one;
    ``session`` is an ORM session or a ``nova.db.statements.Transaction``."""
    now = utcnow()
    if finish is None:
        finish = instance.task_deadline or now
    finish = max(finish, now)
    action_id = statements.insert(session, _INSERT_ACTION, dict(
        action=action, instance_uuid=instance.uuid,
        request_id=(context.request_id or "req-" + str(uuid.uuid4())),
        user_id=context.user_id, project_id=context.project_id,
        start_time=now, finish_time=finish, message=message,
        created_at=now, updated_at=now))
    where = host if host is not None else instance.host
    for name, result, details in events:
        statements.insert(session, _INSERT_EVENT, {
            "action_id": action_id, "event": name, "start_time": now,
            "finish_time": finish, "result": result, "details": details,
            "traceback": None, "host": where})
    return action_id


def end_early(session: Session, instance_uuid: str, action: str,
              when: datetime.datetime,
              renames: Mapping[str, str] | None = None) -> None:
    """The server's latest ``action`` ends at ``when``, before the
    deadline it was recorded with (a live migration forced to complete,
    or aborted): so do its events still running, some renamed (what
    happened instead). Nothing ends before it started: a row that started
    after ``when`` ends as it started."""
    action_id = session.execute(
        sa.select(InstanceAction.id).where(
            InstanceAction.instance_uuid == instance_uuid,
            InstanceAction.action == action)
        .order_by(InstanceAction.id.desc()).limit(1)).scalar()
    if action_id is None:
        return
    session.execute(
        sa.update(InstanceAction).where(
            InstanceAction.id == action_id, InstanceAction.finish_time > when)
        .values(finish_time=_not_before(InstanceAction.start_time, when))
        .execution_options(synchronize_session=False))
    running = (InstanceActionEvent.action_id == action_id,
               InstanceActionEvent.finish_time > when)
    for old, new in (renames or {}).items():
        session.execute(
            sa.update(InstanceActionEvent)
            .where(*running, InstanceActionEvent.event == old)
            .values(event=new)
            .execution_options(synchronize_session=False))
    session.execute(
        sa.update(InstanceActionEvent).where(*running)
        .values(finish_time=_not_before(InstanceActionEvent.start_time, when))
        .execution_options(synchronize_session=False))


def _not_before(start, when):
    """``when``, or the row's ``start`` when that is later (SQL)."""
    when = sa.literal(when, start.type)
    return sa.case((start > when, start), else_=when)


_ACTIONS = InstanceAction.__table__


_EVENTS = InstanceActionEvent.__table__


def _insert_of(table, names):
    """An INSERT built once, every value named: SQLAlchemy finds its
    compiled form in its cache, ``Transaction`` compiles it once."""
    return sa.insert(table).values(
        {name: sa.bindparam(name, type_=table.c[name].type)
         for name in names})


_INSERT_ACTION = _insert_of(_ACTIONS, (
    "action", "instance_uuid", "request_id", "user_id", "project_id",
    "start_time", "finish_time", "message", "created_at", "updated_at"))


_INSERT_EVENT = _insert_of(_EVENTS, (
    "action_id", "event", "start_time", "finish_time", "result", "details",
    "traceback", "host"))


def list_actions(session: Session, instance_uuid: str, *,
                 limit: int | None = None, marker: str | None = None,
                 changes_since: datetime.datetime | None = None,
                 changes_before: datetime.datetime | None = None
                 ) -> list[InstanceAction]:
    query = sa.select(InstanceAction).where(
        InstanceAction.instance_uuid == instance_uuid)
    now = utcnow()
    updated = sa.case(
        (InstanceAction.finish_time <= now, InstanceAction.finish_time),
        else_=InstanceAction.created_at)
    if changes_since is not None:
        query = query.where(updated >= changes_since)
    if changes_before is not None:
        query = query.where(updated <= changes_before)
    if marker is not None:
        row = session.execute(sa.select(
            InstanceAction.created_at, InstanceAction.id).where(
            InstanceAction.instance_uuid == instance_uuid,
            InstanceAction.request_id == marker)).first()
        if row is None:
            raise exception.Invalid(f"Marker {marker} could not be found.")
        query = query.where(sa.or_(
            InstanceAction.created_at < row.created_at,
            sa.and_(InstanceAction.created_at == row.created_at,
                    InstanceAction.id < row.id)))
    query = query.order_by(InstanceAction.created_at.desc(),
                           InstanceAction.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def get_action(session: Session, instance_uuid: str, request_id: str
               ) -> tuple[InstanceAction, list[InstanceActionEvent]]:
    row = session.execute(sa.select(InstanceAction).where(
        InstanceAction.instance_uuid == instance_uuid,
        InstanceAction.request_id == request_id).order_by(
            InstanceAction.id.desc())).scalars().first()
    if row is None:
        raise exception.NotFound(f"Action {request_id} not found")
    events = list(session.execute(sa.select(InstanceActionEvent).where(
        InstanceActionEvent.action_id == row.id).order_by(
            InstanceActionEvent.id)).scalars())
    return row, events
