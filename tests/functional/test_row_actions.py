"""The actions that change only the server's own row (reboot, stop, start,
pause, suspend, lock, changePassword, ...), which run in a
``nova.db.statements.Transaction`` without the ORM, on every backend: the same
answers, records and refusals as the ORM path, nothing written by a
refused action, the view read back up to date, and the cases that need
the ORM (a due second transition, the periodic sweep) taken there."""

import datetime
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from nova.compute import transitions
from nova.db import api as db_api
from nova.db import models, statements
from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    OTHER,
    URL,
    action,
    add_server,
    boot_id,
    fault,
    get,
    make_flavor,
    v,
    write_compute_config,
)


@pytest.fixture
def backend_cloud(config_dir, tmp_path, db_url, make_image):
    write_compute_config(config_dir, tmp_path, """
        build_time = 0
        action_time = 0
        """, url=db_url)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    make_flavor(app, "m1.small", ram=1024, flavor_id="2")
    app.db_url = db_url
    return app


def state(app, server_id, who=ADMIN):
    server = get(app, server_id, who=who)
    return (server["status"], server["OS-EXT-STS:task_state"],
            server["OS-EXT-STS:power_state"], server["updated"])


def recorded(app, server_id):
    """[(action, request id, [event names])], newest first."""
    out = []
    for item in app.get(f"{URL}/{server_id}/os-instance-actions",
                        headers=ADMIN).json["instanceActions"]:
        detail = app.get(f"{URL}/{server_id}/os-instance-actions/"
                         f"{item['request_id']}", headers=v("2.51")).json
        out.append((item["action"], item["request_id"],
                    [e["event"] for e in detail["instanceAction"].get(
                        "events", [])]))
    return out


def revision(app, server_id):
    engine = sa.create_engine(app.db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(models.Instance.revision).where(
                models.Instance.uuid == server_id)).scalar()
    finally:
        engine.dispose()


SEQUENCE = [
    ({"reboot": {"type": "SOFT"}}, "ACTIVE", 1, "reboot",
     "compute_reboot_instance"),
    ({"pause": None}, "PAUSED", 3, "pause", "compute_pause_instance"),
    ({"unpause": None}, "ACTIVE", 1, "unpause", "compute_unpause_instance"),
    ({"suspend": None}, "SUSPENDED", 4, "suspend",
     "compute_suspend_instance"),
    ({"reboot": {"type": "HARD"}}, "ACTIVE", 1, "reboot",
     "compute_reboot_instance"),
    ({"os-stop": None}, "SHUTOFF", 4, "stop", "compute_stop_instance"),
    ({"os-start": None}, "ACTIVE", 1, "start", "compute_start_instance"),
    ({"changePassword": {"adminPass": "n3w-pass"}}, "ACTIVE", 1,
     "changePassword", "compute_set_admin_password"),
    ({"lock": {"locked_reason": "maintenance"}}, "ACTIVE", 1, "lock", None),
    ({"unlock": None}, "ACTIVE", 1, "unlock", None),
]


def test_each_action_changes_the_view_and_records_itself(backend_cloud):
    app = backend_cloud
    server_id = boot_id(app, who=DEMO)
    seen = [state(app, server_id, DEMO)]  # read first: the view is memoised
    before = revision(app, server_id)
    for number, (body, status, power, name, event) in enumerate(SEQUENCE):
        resp = action(app, server_id, body, version="2.73", who=DEMO)
        assert resp.body == b""
        now = state(app, server_id, DEMO)
        assert now[:3] == (status, None, power), body
        seen.append(now)
        records = recorded(app, server_id)
        assert records[0][0] == name
        assert records[0][1] == resp.headers["x-openstack-request-id"]
        assert records[0][2] == ([event] if event else [])
        assert len(records) == number + 2  # the create, then each action
    # Every action moved the revision once: the view read back is new.
    assert revision(app, server_id) == before + len(SEQUENCE)
    locked = get(app, server_id, version="2.73")
    assert (locked["locked"], locked["locked_reason"]) == (False, None)


def test_a_refused_action_writes_nothing(backend_cloud):
    app = backend_cloud
    server_id = boot_id(app, who=DEMO)
    action(app, server_id, {"os-stop": None}, who=DEMO)
    before = (recorded(app, server_id), revision(app, server_id),
              state(app, server_id))
    for body in ({"pause": None}, {"reboot": {"type": "SOFT"}},
                 {"changePassword": {"adminPass": "x"}}, {"os-stop": None}):
        resp = action(app, server_id, body, who=DEMO, status=409)
        assert fault(resp, "conflictingRequest", 409).startswith("Cannot '")
    assert (recorded(app, server_id), revision(app, server_id),
            state(app, server_id)) == before


def test_locks_owners_and_missing_servers(backend_cloud):
    app = backend_cloud
    server_id = boot_id(app, who=DEMO)
    action(app, server_id, {"lock": None}, who=ADMIN)
    resp = action(app, server_id, {"reboot": {"type": "HARD"}}, who=DEMO,
                  status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Instance {server_id} is locked")
    # The owner cannot take an admin's lock off without the override rule.
    fault(action(app, server_id, {"unlock": None}, who=DEMO, status=403),
          "forbidden", 403)
    action(app, server_id, {"reboot": {"type": "HARD"}}, who=ADMIN)
    action(app, server_id, {"unlock": None}, who=ADMIN)
    action(app, server_id, {"reboot": {"type": "HARD"}}, who=DEMO)
    # Another project's server and a server that does not exist: 404.
    for who, ident in ((OTHER, server_id), (ADMIN, str(uuid.uuid4())),
                       (ADMIN, "not-a-uuid")):
        resp = action(app, ident, {"pause": None}, who=who, status=404)
        assert fault(resp, "itemNotFound", 404) == (
            f"Instance {ident} could not be found.")
    app.delete(f"{URL}/{server_id}", headers=ADMIN, status=204)
    fault(action(app, server_id, {"pause": None}, status=404),
          "itemNotFound", 404)


def test_concurrent_actions_on_one_server_never_lose_a_record(
        backend_cloud):
    """Hard reboots from several threads at once: each answered 202 (or
    409/503 when the database made it wait too long), and exactly the
    answered ones are recorded, with one revision each."""
    app = backend_cloud
    server_id = boot_id(app, who=DEMO)
    before = revision(app, server_id)
    codes = []

    def worker():
        for _ in range(5):
            resp = action(app, server_id, {"reboot": {"type": "HARD"}},
                          who=DEMO, status="*")
            codes.append(resp.status_int)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(codes) <= {202, 409, 503} and codes.count(202) >= 1
    reboots = [r for r in recorded(app, server_id) if r[0] == "reboot"]
    assert len(reboots) == codes.count(202)
    assert revision(app, server_id) == before + codes.count(202)


def test_a_due_resize_confirmation_is_applied_before_the_action(
        config_dir, tmp_path, db_url, make_image, monkeypatch):
    """A server whose automatic resize confirmation is due: the action
    sees it confirmed (the ORM path applies what it frees), not a server
    still awaiting confirmation."""
    write_compute_config(config_dir, tmp_path, """
        build_time = 0
        action_time = 0
        """, url=db_url, default_options="""
        resize_confirm_window = 1
        allow_resize_to_same_host = True
        """)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    make_flavor(app, "m1.small", ram=1024, flavor_id="2")
    server_id = boot_id(app)
    action(app, server_id, {"resize": {"flavorRef": "2"}})
    assert get(app, server_id)["status"] == "VERIFY_RESIZE"
    time.sleep(1.2)
    # Not the periodic sweep's doing: it is kept from running.
    monkeypatch.setattr(transitions, "_next_sweep", [time.monotonic()
                                                        + 3600])
    action(app, server_id, {"reboot": {"type": "HARD"}})
    migrations = app.get("/v2.1/os-migrations", headers=ADMIN).json[
        "migrations"]
    assert [m["status"] for m in migrations] == ["confirmed"]
    assert get(app, server_id)["flavor"]["id"] == "2"
    hypervisor = app.get("/v2.1/os-hypervisors/detail", headers=ADMIN).json[
        "hypervisors"][0]
    assert hypervisor["memory_mb_used"] == 1024


def test_row_actions_do_not_take_the_orm_path(backend_cloud, monkeypatch):
    """What makes them cheap (bench/actions.py): no ORM write transaction
    unless the periodic sweep is due."""
    app = backend_cloud
    server_id = boot_id(app)
    monkeypatch.setattr(transitions, "_next_sweep", [time.monotonic()
                                                        + 3600])

    def refuse(self):
        raise AssertionError("the ORM writer was used")

    monkeypatch.setattr(db_api.Database, "writer", refuse)
    for body, _status, _power, _name, _event in SEQUENCE:
        action(app, server_id, body, version="2.73")
    action(app, server_id, {"trigger_crash_dump": None}, version="2.17")


# -- the transaction itself ---------------------------------------------------

ACTIONS = models.InstanceAction.__table__
INSERT = sa.insert(ACTIONS).values(
    {name: sa.bindparam(name) for name in (
        "action", "instance_uuid", "request_id", "start_time",
        "created_at")})
BY_UUIDS = sa.select(ACTIONS.c.id, ACTIONS.c.action,
                     ACTIONS.c.start_time).where(
    ACTIONS.c.instance_uuid.in_(sa.bindparam("uuids", expanding=True))
).order_by(ACTIONS.c.id)
RENAME = sa.update(ACTIONS).where(
    ACTIONS.c.instance_uuid == sa.bindparam("uuid")).values(
    action=sa.bindparam("new"))


def values(name, ident, when):
    return {"action": name, "instance_uuid": ident, "request_id": "req-1",
            "start_time": when, "created_at": when}


def test_transaction_inserts_reads_updates_and_commits(db):
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with db.transaction(write=True) as tx:
        first = tx.insert(INSERT, values("x", a, when))
        second = tx.insert(INSERT, values("y", b, when))
        assert isinstance(first, int) and second > first
        assert tx.run(RENAME, {"uuid": a, "new": "z"}) == 1
        assert tx.run(RENAME, {"uuid": "none", "new": "z"}) == 0
    with db.transaction() as tx:
        rows = tx.all(BY_UUIDS, {"uuids": [a, b, str(uuid.uuid4())]})
        assert [(r.id, r.action, r.start_time) for r in rows] == [
            (first, "z", when), (second, "y", when)]
        assert tx.all(BY_UUIDS, {"uuids": []}) == []
        assert tx.first(BY_UUIDS, {"uuids": [b]}).id == second
    with db.reader() as session:  # the ORM agrees
        assert statements.rows(session, BY_UUIDS,
                               {"uuids": [a]})[0].action == "z"


def test_transaction_rolls_back_on_any_error(db):
    when = datetime.datetime(2026, 1, 2)
    ident = str(uuid.uuid4())
    with pytest.raises(RuntimeError):
        with db.transaction(write=True) as tx:
            tx.insert(INSERT, values("x", ident, when))
            raise RuntimeError("half-way")
    with pytest.raises(sa.exc.IntegrityError):
        with db.transaction(write=True) as tx:
            tx.insert(INSERT, values("x", ident, when))
            tx.insert(INSERT, {**values("x", ident, when), "action": None})
    with db.transaction() as tx:
        assert tx.all(BY_UUIDS, {"uuids": [ident]}) == []
    # The connection is still good for the next one.
    with db.transaction(write=True) as tx:
        tx.insert(INSERT, values("x", ident, when))
    assert len(db.all(BY_UUIDS, {"uuids": [ident]})) == 1


def test_a_planned_statement_must_name_every_value(db):
    """Python-side defaults are SQLAlchemy's execution's job: a plan that
    would silently leave them out is refused."""
    partial = sa.insert(ACTIONS).values(action=sa.bindparam("action"),
                                        instance_uuid=sa.bindparam("u"),
                                        request_id=sa.bindparam("r"),
                                        start_time=sa.bindparam("s"))
    with pytest.raises(ValueError, match="every value"):
        with db.transaction(write=True) as tx:
            tx.insert(partial, {"action": "x", "u": "u", "r": "r",
                                "s": datetime.datetime(2026, 1, 1)})


def test_the_view_follows_state_and_other_changes_in_any_order(
        backend_cloud, config_dir):
    """A state-only change (lock, reboot) redoes only the state fields of
    the view read before it; any other change (name, metadata) shows too,
    before and after state-only ones."""
    app = backend_cloud
    server_id = boot_id(app, "first", who=DEMO)

    def view():
        return get(app, server_id, version="2.73", who=DEMO)

    before = view()
    action(app, server_id, {"lock": {"locked_reason": "r1"}}, version="2.73",
           who=DEMO)
    locked = view()
    assert (locked["locked"], locked["locked_reason"]) == (True, "r1")
    assert {k: v for k, v in locked.items()
            if k not in ("locked", "locked_reason", "updated")} == {
        k: v for k, v in before.items()
        if k not in ("locked", "locked_reason", "updated")}
    app.put_json(f"{URL}/{server_id}", {"server": {"name": "second"}},
                 headers=v("2.73", DEMO))
    renamed = view()
    assert (renamed["name"], renamed["locked_reason"]) == ("second", "r1")
    action(app, server_id, {"unlock": None}, who=DEMO)
    app.post_json(f"{URL}/{server_id}/metadata", {"metadata": {"k": "v"}},
                  headers=v("2.73", DEMO))
    action(app, server_id, {"os-stop": None}, who=DEMO)
    last = view()
    assert (last["name"], last["metadata"], last["locked"],
            last["status"], last["OS-EXT-STS:power_state"]) == (
        "second", {"k": "v"}, False, "SHUTOFF", 4)
    assert "progress" not in last and "progress" in before
    assert last["updated"] >= before["updated"]  # whole seconds
    # What another process reads (nothing kept in memory: an app of its
    # own, whose render cache is empty) is the same.
    assert get(config_dir.testapp(), server_id, version="2.73",
               who=DEMO) == last


def test_a_change_beyond_the_state_moves_the_view_revision(db):
    """``save`` of an ``Editable``: state columns keep ``view_revision``,
    anything else moves it with the revision (the views kept by it would
    be stale otherwise)."""
    from nova.compute import server_rows

    ident = add_server(db, "10.0.0.9")

    def revisions():
        row = db.first(sa.select(
            models.Instance.revision, models.Instance.view_revision).where(
            models.Instance.uuid == ident), {})
        return tuple(row)

    start = revisions()
    with db.transaction(write=True) as tx:
        server = server_rows.get_editable(tx, ident)
        server.vm_state, server.locked = "stopped", True
        server_rows.save(tx, server)
    assert revisions() == (start[0] + 1, start[1])
    with db.transaction(write=True) as tx:
        server = server_rows.get_editable(tx, ident)
        server.locked = True  # the same value: nothing written
        server_rows.save(tx, server)
    assert revisions() == (start[0] + 1, start[1])
    with db.transaction(write=True) as tx:
        server = server_rows.get_editable(tx, ident)
        server.display_name, server.task_state = "renamed", None
        server_rows.save(tx, server)
    assert revisions() == (start[0] + 2, start[0] + 2)
    with pytest.raises(AttributeError):
        server.no_such_column = 1
