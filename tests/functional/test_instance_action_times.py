"""An instance action and its events never finish before they start, on
every backend, whatever time the caller passes (issue #16: a failed resize
recorded its finish with the time it began, before the start that
``record`` took later). The same failure through the API is in
tests/functional/test_resize.py."""

import datetime
import types
import uuid

import sqlalchemy as sa

from nova.compute import instance_actions
from nova.db.models import InstanceAction, InstanceActionEvent, utcnow

CALLER = types.SimpleNamespace(request_id="req-times", user_id="u1",
                               project_id="p1", user_name="u1",
                               is_admin=False)


def _times(db, server_uuid):
    with db.reader() as session:
        action = session.execute(sa.select(
            InstanceAction.start_time, InstanceAction.finish_time).where(
            InstanceAction.instance_uuid == server_uuid)).one()
        events = session.execute(sa.select(
            InstanceActionEvent.start_time,
            InstanceActionEvent.finish_time)).all()
    return [tuple(action), *map(tuple, events)]


def test_a_finish_before_now_is_recorded_as_now(db):
    server = types.SimpleNamespace(uuid=str(uuid.uuid4()), host="h1",
                                   task_deadline=None)
    before = utcnow() - datetime.timedelta(seconds=5)
    with db.writer() as session:
        instance_actions.record(
            session, server, "resize", CALLER,
            [("conductor_migrate_server", "Error", "no host")],
            finish=before, message="Error")
    rows = _times(db, server.uuid)
    assert len(rows) == 2
    for start, finish in rows:
        assert start > before
        assert finish == start


def test_ending_early_never_ends_before_the_start(db):
    later = utcnow() + datetime.timedelta(seconds=60)
    server = types.SimpleNamespace(uuid=str(uuid.uuid4()), host="h1",
                                   task_deadline=later)
    with db.writer() as session:
        instance_actions.record(
            session, server, "live-migration", CALLER,
            [("compute_live_migration", "Success", None)])
    ((start, finish), _event) = _times(db, server.uuid)
    assert finish == later
    # A clock that moved back (another API host's) asks for an end before
    # the start: the rows end as they started.
    with db.writer() as session:
        instance_actions.end_early(session, server.uuid, "live-migration",
                                   start - datetime.timedelta(seconds=1))
    for start, finish in _times(db, server.uuid):
        assert finish == start
