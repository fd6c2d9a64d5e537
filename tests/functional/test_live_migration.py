"""Live migration (os-migrateLive) and a server's migrations
(/servers/{id}/migrations), through the whole pipeline, as upstream
Nova 34.

The server keeps its state (ACTIVE or PAUSED) and moves to the host the
scheduler picks (never its own), or to the host named: from 2.30 a wish
the scheduler checks, before 2.30 (or with ``force``) a host taken as is
if it is up, not the source, and has room. While the migration runs
(task_state "migrating" for the driver's ``action_time``) both hosts hold
the server's room; then the source is freed and the migration
"completed". Before 2.34 the conductor's refusals are the request's 400;
from 2.34 the request is accepted and the migration ends in error. Either
way the attempt is recorded.

Placement picks the enabled host with the most free RAM first: servers
boot on h1 below.
"""

import time

import pytest

from tests.helpers import (
    ADMIN,
    DEMO,
    HOST,
    IMAGE,
    NO_HOST,
    OTHER,
    action,
    boot_id,
    disable,
    events,
    fault,
    get,
    hypervisors,
    migrations,
    used_on,
    v,
    where,
)

TWO = "h1:nova:4:4096:100, h2:nova:4:2048:100"
RULE = "os_compute_api:os-migrate-server:migrate_live"
SM_RULE = "os_compute_api:servers:migrations:%s"
LIVE_EVENTS = [
    "conductor_live_migrate_instance",
    "compute_check_can_live_migrate_destination",
    "compute_check_can_live_migrate_source",
    "compute_pre_live_migration", "compute_live_migration",
    "compute_post_live_migration_at_destination"]


def body(version, host=None, **extra):
    """An os-migrateLive body as ``version`` wants it (before 2.25 both
    booleans, from 2.25 block_migration "auto")."""
    if version != "latest" and tuple(map(int, version.split("."))) < (2, 25):
        base = {"block_migration": False, "disk_over_commit": False}
    else:
        base = {"block_migration": "auto"}
    return {"os-migrateLive": {"host": host, **base, **extra}}


def live(app, server_id, host=None, version="2.25", who=ADMIN, status=202,
         **extra):
    return action(app, server_id, body(version, host, **extra), version,
                  who, status)


def sm(server_id, suffix=""):
    return f"/v2.1/servers/{server_id}/migrations{suffix}"


def server_migrations(app, server_id, version="2.80", who=ADMIN):
    return app.get(sm(server_id), headers=v(version, who)).json[
        "migrations"]


def force_complete(app, server_id, migration_id, version="2.22",
                   status=202, who=ADMIN):
    return app.post_json(sm(server_id, f"/{migration_id}/action"),
                         {"force_complete": None}, headers=v(version, who),
                         status=status)


def abort(app, server_id, migration_id, version="2.24", status=202,
          who=ADMIN):
    return app.delete(sm(server_id, f"/{migration_id}"),
                      headers=v(version, who), status=status)


def actions_of(app, server_id):
    return [a["action"] for a in app.get(
        f"/v2.1/servers/{server_id}/os-instance-actions",
        headers=ADMIN).json["instanceActions"]]


def task(app, server_id):
    server = get(app, server_id, "2.47")
    return (server["status"], server["OS-EXT-STS:task_state"],
            server["OS-EXT-STS:power_state"])


def force_down(app, host):
    app.put_json("/v2.1/os-services/force-down",
                 {"host": host, "binary": "nova-compute",
                  "forced_down": True}, headers=v("2.11"))


def untouched(app, server_id):
    """What a refused request must leave as it was."""
    return (where(app, server_id), task(app, server_id),
            migrations(app, server_id), actions_of(app, server_id),
            hypervisors(app), used_on(app))


# -- the happy paths ----------------------------------------------------------

@pytest.mark.parametrize("version", ["2.1", "2.25", "2.30", "2.34", "2.68",
                                     "latest"])
def test_live_migration_moves_a_running_server(make_cloud, version):
    app = make_cloud(TWO)
    server_id = boot_id(app, who=DEMO)
    assert where(app, server_id) == ("ACTIVE", "h1", "nova", "m1.tiny")
    resp = live(app, server_id, version=version)
    assert (resp.status_int, resp.body) == (202, b"")
    assert where(app, server_id) == ("ACTIVE", "h2", "nova", "m1.tiny")
    assert task(app, server_id) == ("ACTIVE", None, 1)
    # Readers see the source free as soon as the migration has ended...
    assert hypervisors(app) == {"h1": (0, 0, 0, 0, []),
                                "h2": (1, 512, 1, 1, [server_id])}
    (migration,) = migrations(app, server_id)
    assert {k: migration[k] for k in (
        "migration_type", "status", "source_compute", "source_node",
        "dest_compute", "dest_node", "dest_host", "user_id",
        "project_id")} == {
        "migration_type": "live-migration", "status": "completed",
        "source_compute": "h1", "source_node": "h1", "dest_compute": "h2",
        "dest_node": "h2", "dest_host": None, "user_id": "admin",
        "project_id": "admin"}
    assert migration["old_instance_type_id"] == \
        migration["new_instance_type_id"]
    assert "links" not in migration  # only while in progress
    message, done = events(app, server_id, "live-migration")
    assert message is None
    assert done == [(name, "Success", None) for name in LIVE_EVENTS]
    # ...placement's counters once the server is next changed.
    action(app, server_id, {"os-stop": None})
    assert used_on(app) == {"h1": 0, "h2": 512}
    # Nothing in progress is left.
    assert server_migrations(app, server_id) == []


def test_a_paused_server_stays_paused(make_cloud):
    app = make_cloud(TWO)
    server_id = boot_id(app)
    action(app, server_id, {"pause": None})
    live(app, server_id, version="2.1")
    assert where(app, server_id)[:2] == ("PAUSED", "h2")
    assert task(app, server_id) == ("PAUSED", None, 3)
    live(app, server_id, version="2.1")  # and back
    assert where(app, server_id)[:2] == ("PAUSED", "h1")
    action(app, server_id, {"unpause": None})
    assert task(app, server_id) == ("ACTIVE", None, 1)
    assert [m["status"] for m in migrations(app, server_id)] == [
        "completed", "completed"]


def test_a_named_host(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:2048:100, "
                     "h3:nova:4:1024:100")
    server_id = boot_id(app)
    # Before 2.30 the host is forced, from 2.30 the scheduler checks it.
    live(app, server_id, "h3", version="2.1")
    assert where(app, server_id)[:2] == ("ACTIVE", "h3")
    assert migrations(app, server_id)[0]["dest_compute"] == "h3"
    live(app, server_id, "h1", version="2.30")
    assert where(app, server_id)[:2] == ("ACTIVE", "h1")
    live(app, server_id, "h2", version="2.30", force=True)
    assert where(app, server_id)[:2] == ("ACTIVE", "h2")
    live(app, server_id, "h3", version="2.68")
    assert where(app, server_id)[:2] == ("ACTIVE", "h3")
    assert [m["dest_compute"] for m in migrations(app, server_id)] == [
        "h3", "h2", "h1", "h3"]


# -- in progress --------------------------------------------------------------

def test_in_progress_then_forced_to_complete(make_cloud):
    app = make_cloud(TWO, action_time=60)
    server_id = boot_id(app)
    live(app, server_id, version="2.80")
    assert task(app, server_id) == ("MIGRATING", "migrating", 1)
    assert where(app, server_id)[:2] == ("MIGRATING", "h2")
    # Both hosts hold the server's room meanwhile.
    assert hypervisors(app) == {"h1": (1, 512, 1, 0, []),
                                "h2": (1, 512, 1, 1, [server_id])}
    assert used_on(app) == {"h1": 512, "h2": 512}
    (listed,) = migrations(app, server_id)
    assert listed["status"] == "running"
    mid = listed["id"]
    # os-migrations links an in-progress live migration from 2.23.
    (at_223,) = migrations(app, server_id, "2.23")
    assert at_223["links"] == [
        {"rel": "self", "href": f"{HOST}/v2.1/servers/{server_id}/"
                                f"migrations/{mid}"},
        {"rel": "bookmark", "href": f"{HOST}/servers/{server_id}/"
                                    f"migrations/{mid}"}]
    assert "links" not in migrations(app, server_id, "2.1")[0]
    # The server's migrations.
    (shown,) = server_migrations(app, server_id)
    assert shown == {
        "created_at": listed["created_at"], "dest_compute": "h2",
        "dest_host": None, "dest_node": "h2", "disk_processed_bytes": None,
        "disk_remaining_bytes": None, "disk_total_bytes": None, "id": mid,
        "memory_processed_bytes": None, "memory_remaining_bytes": None,
        "memory_total_bytes": None, "server_uuid": server_id,
        "source_compute": "h1", "source_node": "h1", "status": "running",
        "updated_at": listed["updated_at"], "uuid": listed["uuid"],
        "user_id": "admin", "project_id": "admin"}
    keys = set(shown) - {"uuid", "user_id", "project_id"}
    for version, more in (("2.23", set()), ("2.58", set()),
                          ("2.59", {"uuid"}), ("2.79", {"uuid"}),
                          ("latest", {"uuid", "user_id", "project_id"})):
        (item,) = server_migrations(app, server_id, version)
        assert set(item) == keys | more, version
        one = app.get(sm(server_id, f"/{mid}"),
                      headers=v(version)).json["migration"]
        assert one == item, version
    # The routes' microversions.
    app.get(sm(server_id), headers=v("2.22"), status=404)
    app.get(sm(server_id, f"/{mid}"), headers=v("2.22"), status=404)
    abort(app, server_id, mid, version="2.23", status=404)
    force_complete(app, server_id, mid, version="2.21", status=404)
    # Nothing else while it runs.
    resp = action(app, server_id, {"pause": None}, status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Cannot 'pause' instance {server_id} while it is in task_state "
        f"migrating")
    resp = live(app, server_id, status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Cannot 'os-migrateLive' instance {server_id} while it is in "
        f"task_state migrating")

    assert force_complete(app, server_id, mid).body == b""
    assert task(app, server_id) == ("ACTIVE", None, 1)
    assert where(app, server_id)[:2] == ("ACTIVE", "h2")
    assert hypervisors(app) == {"h1": (0, 0, 0, 0, []),
                                "h2": (1, 512, 1, 1, [server_id])}
    assert used_on(app) == {"h1": 0, "h2": 512}
    assert migrations(app, server_id)[0]["status"] == "completed"
    assert events(app, server_id, "live_migration_force_complete") == (
        None, [("compute_live_migration_force_complete", "Success", None)])
    # The live migration's own events have finished too.
    message, done = events(app, server_id, "live-migration")
    assert done == [(name, "Success", None) for name in LIVE_EVENTS]
    assert server_migrations(app, server_id) == []
    resp = app.get(sm(server_id, f"/{mid}"), headers=v("2.23"), status=404)
    assert fault(resp, "itemNotFound", 404) == (
        f"Live migration {mid} for server {server_id} is not in progress.")
    resp = force_complete(app, server_id, mid, status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Instance {server_id} is in an invalid state for 'force_complete'")


def test_abort_brings_the_server_back(make_cloud):
    app = make_cloud("h1:az1:4:4096:100, h2:az2:4:2048:100", action_time=60)
    server_id = boot_id(app)
    assert where(app, server_id)[:3] == ("ACTIVE", "h1", "az1")
    live(app, server_id)
    assert where(app, server_id)[:3] == ("MIGRATING", "h2", "az2")
    (mid,) = [m["id"] for m in server_migrations(app, server_id)]
    assert abort(app, server_id, mid).body == b""
    assert where(app, server_id) == ("ACTIVE", "h1", "az1", "m1.tiny")
    assert task(app, server_id) == ("ACTIVE", None, 1)
    assert hypervisors(app) == {"h1": (1, 512, 1, 1, [server_id]),
                                "h2": (0, 0, 0, 0, [])}
    assert used_on(app) == {"h1": 512, "h2": 0}
    assert migrations(app, server_id)[0]["status"] == "cancelled"
    assert events(app, server_id, "live_migration_cancel") == (
        None, [("compute_live_migration_abort", "Success", None)])
    # What the live migration did instead of finishing on h2.
    _message, done = events(app, server_id, "live-migration")
    assert [e[0] for e in done] == LIVE_EVENTS[:-1] + [
        "compute_rollback_live_migration_at_destination"]
    resp = abort(app, server_id, mid, status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Instance {server_id} is in an invalid state for 'abort live "
        f"migration'")
    # It can go again.
    live(app, server_id)
    assert where(app, server_id)[:2] == ("MIGRATING", "h2")


def test_refusals_while_in_progress(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:1024:100",
                     action_time=60)
    other = boot_id(app, "other")
    live(app, other)
    other_mid = server_migrations(app, other)[0]["id"]
    server_id = boot_id(app)
    # A resize that found no host: a migration of the server, not live.
    action(app, server_id, {"resize": {"flavorRef": "3"}})
    resized = migrations(app, server_id)[0]["id"]
    live(app, server_id)
    (mid,) = [m["id"] for m in server_migrations(app, server_id)]
    before = untouched(app, server_id)
    abort(app, server_id, "%D9%A3", status=404)  # a digit, not ASCII
    for unknown in (999, other_mid, "abc", "1e3", 2 ** 40):
        resp = abort(app, server_id, unknown, status=404)
        assert fault(resp, "itemNotFound", 404) == (
            f"Migration {unknown} not found for instance {server_id}")
        resp = force_complete(app, server_id, unknown, status=400)
        assert fault(resp, "badRequest", 400) == (
            f"Migration {unknown} not found for instance {server_id}")
        resp = app.get(sm(server_id, f"/{unknown}"), headers=v("2.23"),
                       status=404)
        assert fault(resp, "itemNotFound", 404) == (
            f"In-progress live migration {unknown} is not found for "
            f"server {server_id}.")
    # The resize's migration is the server's, but no live one.
    resp = app.get(sm(server_id, f"/{resized}"), headers=v("2.23"),
                   status=404)
    assert fault(resp, "itemNotFound", 404) == (
        f"Migration {resized} for server {server_id} is not "
        f"live-migration.")
    resp = abort(app, server_id, resized, status=400)
    assert fault(resp, "badRequest", 400) == (
        f"Migration {resized} state of instance {server_id} is error. "
        f"Cannot abort live migration while the migration is in this "
        f"state.")
    resp = force_complete(app, server_id, resized, status=400)
    assert fault(resp, "badRequest", 400) == (
        f"Migration {resized} state of instance {server_id} is error. "
        f"Cannot force complete while the migration is in this state.")
    # Only force_complete is an action there; its value is null.
    for bad, message in (({"force_complete": {}}, None),
                         ({"complete": None},
                          "There is no such action: complete")):
        resp = app.post_json(sm(server_id, f"/{mid}/action"), bad,
                             headers=v("2.22"), status=400)
        if message:
            assert fault(resp, "badRequest", 400) == message
    # Unknown servers, and servers of other projects.
    for server in ("nope", "8a3d9ff8-2b35-4d8a-9e0c-0d8e2d2f6b00"):
        app.get(sm(server), headers=v("2.23"), status=404)
        abort(app, server, mid, status=404)
        force_complete(app, server, mid, status=404)
    app.get(sm(server_id), headers=v("2.23", OTHER), status=404)
    abort(app, server_id, mid, who=OTHER, status=404)
    assert untouched(app, server_id) == before
    # Unknown query parameters from 2.102.
    app.get(sm(server_id) + "?x=1", headers=v("2.101"))
    app.get(sm(server_id) + "?x=1", headers=v("2.102"), status=400)
    app.get(sm(server_id, f"/{mid}?x=1"), headers=v("2.102"), status=400)


def test_a_paused_server_cannot_be_forced_to_complete(make_cloud):
    app = make_cloud(TWO, action_time=2.5)
    server_id = boot_id(app)
    action(app, server_id, {"pause": None})
    time.sleep(2.6)
    live(app, server_id)
    (mid,) = [m["id"] for m in server_migrations(app, server_id)]
    resp = force_complete(app, server_id, mid, status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Cannot 'force_complete' instance {server_id} while it is in "
        f"vm_state paused")
    abort(app, server_id, mid)  # an abort takes any vm_state
    assert where(app, server_id)[:2] == ("PAUSED", "h1")


def test_after_its_deadline_it_is_no_longer_in_progress(make_cloud):
    app = make_cloud(TWO, action_time=2)
    server_id = boot_id(app)
    live(app, server_id)
    (mid,) = [m["id"] for m in server_migrations(app, server_id)]
    running = app.get("/v2.1/os-migrations?status=running",
                      headers=ADMIN).json["migrations"]
    assert [m["id"] for m in running] == [mid]
    time.sleep(2.1)
    assert server_migrations(app, server_id) == []
    assert app.get("/v2.1/os-migrations?status=running",
                   headers=ADMIN).json["migrations"] == []
    done = app.get("/v2.1/os-migrations?status=completed",
                   headers=v("2.23")).json["migrations"]
    assert [(m["id"], m["status"]) for m in done] == [(mid, "completed")]
    assert done[0]["updated_at"] > done[0]["created_at"]
    resp = abort(app, server_id, mid, status=409)
    fault(resp, "conflictingRequest", 409)
    assert hypervisors(app)["h1"] == (0, 0, 0, 0, [])


def test_deleting_or_resetting_a_migrating_server(make_cloud):
    app = make_cloud(TWO, action_time=60)
    gone = boot_id(app, "gone")
    live(app, gone)
    app.delete(f"/v2.1/servers/{gone}", headers=ADMIN, status=204)
    assert migrations(app, gone)[0]["status"] == "error"
    assert used_on(app) == {"h1": 0, "h2": 0}
    reset = boot_id(app, "reset")
    live(app, reset)
    # The source of a live migration in progress is busy.
    h1 = app.get("/v2.1/os-services?host=h1", headers=v("2.53")).json[
        "services"][0]["id"]
    app.delete(f"/v2.1/os-services/{h1}", headers=v("2.53"), status=409)
    action(app, reset, {"os-resetState": {"state": "active"}})
    assert where(app, reset)[:2] == ("ACTIVE", "h2")
    assert migrations(app, reset)[0]["status"] == "error"
    assert hypervisors(app)["h1"] == (0, 0, 0, 0, [])
    assert used_on(app) == {"h1": 0, "h2": 512}
    assert server_migrations(app, reset) == []


# -- where it may go ----------------------------------------------------------

def test_no_valid_host_before_and_from_2_34(make_cloud):
    app = make_cloud("h1:nova:4:4096:100")
    server_id = boot_id(app)
    for version in ("2.1", "2.33"):
        # The conductor's answer is the request's...
        resp = live(app, server_id, version=version, status=400)
        assert fault(resp, "badRequest", 400) == NO_HOST
    # ...from 2.34 it is not waited for.
    live(app, server_id, version="2.34")
    # Each attempt is recorded; the server is as it was.
    assert where(app, server_id)[:2] == ("ACTIVE", "h1")
    assert task(app, server_id) == ("ACTIVE", None, 1)
    listed = migrations(app, server_id)
    assert [(m["status"], m["source_compute"], m["dest_compute"],
             m["migration_type"]) for m in listed] == [
        ("error", "h1", None, "live-migration")] * 3
    assert actions_of(app, server_id) == ["live-migration"] * 3 + ["create"]
    assert events(app, server_id, "live-migration") == (
        "Error", [("conductor_live_migrate_instance", "Error", NO_HOST)])
    assert "fault" not in get(app, server_id)  # shown only in ERROR
    assert hypervisors(app) == {"h1": (1, 512, 1, 1, [server_id])}
    assert used_on(app) == {"h1": 512}
    action(app, server_id, {"os-stop": None})  # it can still act


def test_a_host_that_does_not_exist_is_refused_writing_nothing(make_cloud):
    app = make_cloud(TWO)
    server_id = boot_id(app)
    before = untouched(app, server_id)
    for version in ("2.1", "2.30", "2.34", "latest"):
        resp = live(app, server_id, "nowhere", version=version, status=400)
        assert fault(resp, "badRequest", 400) == \
            "Compute host nowhere could not be found."
    assert untouched(app, server_id) == before


def test_the_servers_own_host(make_cloud):
    app = make_cloud(TWO)
    server_id = boot_id(app)
    own = f"Unable to migrate instance ({server_id}) to current host (h1)."
    # Forced (before 2.30, or force): the conductor's own check.
    resp = live(app, server_id, "h1", version="2.1", status=400)
    assert fault(resp, "badRequest", 400) == own
    resp = live(app, server_id, "h1", version="2.30", force=True,
                status=400)
    assert fault(resp, "badRequest", 400) == own
    # Checked by the scheduler (2.30): no valid host.
    resp = live(app, server_id, "h1", version="2.30", status=400)
    assert fault(resp, "badRequest", 400) == NO_HOST
    live(app, server_id, "h1", version="2.34")  # accepted, then refused
    assert where(app, server_id)[:2] == ("ACTIVE", "h1")
    listed = migrations(app, server_id)
    assert [(m["status"], m["dest_compute"]) for m in listed] == [
        ("error", None), ("error", None), ("error", "h1"), ("error", "h1")]
    assert events(app, server_id, "live-migration") == (
        "Error", [("conductor_live_migrate_instance", "Error", NO_HOST)])


def test_forced_hosts_skip_the_scheduler_but_not_the_checks(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:2048:100, "
                     "h3:nova:1:512:100")
    server_id = boot_id(app)
    disable(app, "h2")
    # A disabled host: the scheduler never picks it, a forced move goes.
    resp = live(app, server_id, "h2", version="2.33", status=400)
    assert fault(resp, "badRequest", 400) == NO_HOST
    live(app, server_id, "h2", version="2.29")
    assert where(app, server_id)[:2] == ("ACTIVE", "h2")
    # Upstream's RAM check of a forced host (512 MB of RAM: not more than
    # the server's 512).
    resp = live(app, server_id, "h3", version="2.1", status=400)
    assert fault(resp, "badRequest", 400) == (
        f"Migration pre-check error: Unable to migrate {server_id} to h3: "
        f"Lack of memory(host:512.0 <= instance:512)")
    # A host whose compute service is down, as destination or source.
    force_down(app, "h1")
    resp = live(app, server_id, "h1", version="2.1", status=400)
    assert fault(resp, "badRequest", 400) == \
        "Compute service of h1 is unavailable at this time."
    live(app, server_id, version="2.33")  # the scheduler skips h1
    assert where(app, server_id)[:2] == ("ACTIVE", "h3")
    force_down(app, "h3")
    resp = live(app, server_id, version="2.1", status=400)
    assert fault(resp, "badRequest", 400) == \
        "Compute service of h3 is unavailable at this time."
    assert where(app, server_id)[:2] == ("ACTIVE", "h3")
    assert [m["status"] for m in migrations(app, server_id)] == [
        "error", "completed", "error", "error", "completed", "error"]


def test_a_forced_host_without_room_is_no_valid_host(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:4096:1")
    server_id = boot_id(app, flavorRef="2")  # 2 GB of disk: h2 has one
    resp = live(app, server_id, "h2", version="2.1", status=400)
    assert fault(resp, "badRequest", 400) == (
        f"No valid host was found. Unable to move instance {server_id} to "
        f"host h2. There is not enough capacity on the host for the "
        f"instance.")
    assert hypervisors(app)["h2"] == (0, 0, 0, 0, [])


def test_the_scheduler_keeps_zone_group_and_hints(make_cloud):
    app = make_cloud("h1:az1:4:8192:100, h2:az2:4:4096:100, "
                     "h3:az1:4:2048:100")
    pinned = boot_id(app, "pinned", availability_zone="az1")
    assert where(app, pinned)[1:3] == ("h1", "az1")
    live(app, pinned)  # h2 has more room, but is in another zone
    assert where(app, pinned)[1:3] == ("h3", "az1")
    group = app.post_json("/v2.1/os-server-groups", {"server_group": {
        "name": "g", "policy": "anti-affinity"}}, headers=v("2.64")).json[
        "server_group"]["id"]
    a = boot_id(app, "a", group=group)
    b = boot_id(app, "b", group=group)
    assert (where(app, a)[1], where(app, b)[1]) == ("h1", "h2")
    live(app, a)  # h2 has b: only h3 is left
    assert where(app, a)[1] == "h3"
    c = boot_id(app, "c", group=group)
    assert where(app, c)[1] == "h1"
    resp = live(app, c, version="2.1", status=400)
    assert fault(resp, "badRequest", 400) == NO_HOST


def test_the_scheduler_keeps_the_host_hints(make_cloud):
    app = make_cloud(
        "h1:nova:4:8192:100, h2:nova:4:4096:100, h3:nova:4:2048:100",
        default_options="[filter_scheduler]\nenabled_filters = "
                        "ComputeFilter, DifferentHostFilter\n")
    b = boot_id(app, "b", availability_zone="nova:h2")
    x = app.post_json("/v2.1/servers", {
        "server": {"name": "x", "imageRef": IMAGE, "flavorRef": "1"},
        "os:scheduler_hints": {"different_host": [b]}},
        headers=ADMIN).json["server"]["id"]
    assert where(app, x)[1] == "h1"
    live(app, x)  # h2 has the most room left, but b is there
    assert where(app, x)[1] == "h3"


# -- the request --------------------------------------------------------------

@pytest.mark.parametrize("version,good,bad", [
    ("2.1", [{"block_migration": True, "disk_over_commit": "no"}],
     [{"block_migration": "auto", "disk_over_commit": False},
      {"block_migration": False}, {"disk_over_commit": False},
      {"block_migration": False, "disk_over_commit": False, "force": True}]),
    ("2.24", [{"block_migration": "yes", "disk_over_commit": False}],
     [{"block_migration": "auto", "disk_over_commit": False}]),
    ("2.25", [{"block_migration": "auto"}, {"block_migration": False}],
     [{"block_migration": "auto", "disk_over_commit": False},
      {"block_migration": "maybe"}, {},
      {"block_migration": "auto", "force": False}]),
    ("2.30", [{"block_migration": "auto", "force": False},
              {"block_migration": "auto"}],
     [{"block_migration": "auto", "force": "perhaps"}]),
    ("2.67", [{"block_migration": "auto", "force": "false"}], []),
    ("2.68", [{"block_migration": "auto"}],
     [{"block_migration": "auto", "force": False}]),
])
def test_the_body_by_microversion(make_cloud, version, good, bad):
    app = make_cloud(TWO)
    server_id = boot_id(app)
    for extra in bad:
        resp = action(app, server_id, {"os-migrateLive": {
            "host": None, **extra}}, version, status=400)
        assert "Invalid input" in fault(resp, "badRequest", 400), extra
    for extra in good:
        action(app, server_id, {"os-migrateLive": {"host": None, **extra}},
               version)
    assert len(migrations(app, server_id)) == len(good)


def test_host_is_required_nullable_and_a_host_name(make_cloud):
    app = make_cloud(TWO)
    server_id = boot_id(app)
    for bad in ({"block_migration": "auto"},
                {"block_migration": "auto", "host": ""},
                {"block_migration": "auto", "host": "h 2"},
                {"block_migration": "auto", "host": 2},
                {"block_migration": "auto", "host": None, "extra": 1}):
        resp = action(app, server_id, {"os-migrateLive": bad}, "2.25",
                      status=400)
        fault(resp, "badRequest", 400)
    action(app, server_id, {"os-migrateLive": None}, "2.25", status=400)
    resp = live(app, server_id, version="2.30", force=True, status=400)
    assert fault(resp, "badRequest", 400) == \
        "Can't force to a non-provided destination"
    assert migrations(app, server_id) == []


def test_only_active_or_paused_servers(make_cloud):
    app = make_cloud(TWO)
    server_id = boot_id(app)
    for act, state in (("os-stop", "stopped"), ("os-start", None),
                       ("suspend", "suspended")):
        action(app, server_id, {act: None})
        if state is None:
            continue
        before = untouched(app, server_id)
        resp = live(app, server_id, "h2", status=409)
        assert fault(resp, "conflictingRequest", 409) == (
            f"Cannot 'os-migrateLive' instance {server_id} while it is in "
            f"vm_state {state}")
        assert untouched(app, server_id) == before


# -- who may ------------------------------------------------------------------

def test_policy_admins_only_by_default(make_cloud):
    app = make_cloud(TWO, action_time=60)
    server_id = boot_id(app, who=DEMO)
    before = untouched(app, server_id)
    resp = live(app, server_id, who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == \
        f"Policy doesn't allow {RULE} to be performed."
    resp = live(app, server_id, "h2", who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == \
        f"Policy doesn't allow {RULE}:host to be performed."
    assert untouched(app, server_id) == before
    live(app, server_id)
    mid = server_migrations(app, server_id)[0]["id"]
    for request, rule in (
            (lambda: app.get(sm(server_id), headers=v("2.23", DEMO),
                             status=403), "index"),
            (lambda: app.get(sm(server_id, f"/{mid}"),
                             headers=v("2.23", DEMO), status=403), "show"),
            (lambda: abort(app, server_id, mid, who=DEMO, status=403),
             "delete"),
            (lambda: force_complete(app, server_id, mid, who=DEMO,
                                    status=403), "force_complete")):
        assert fault(request(), "forbidden", 403) == \
            f"Policy doesn't allow {SM_RULE % rule} to be performed."
    assert task(app, server_id)[1] == "migrating"


def test_a_project_manager(config_dir, make_cloud):
    """Upstream's defaults let a project's manager live migrate (no host),
    list, force and abort; noauth2 knows no manager role: here the
    project's members are made managers."""
    config_dir.write("policy.yaml", """
        "project_manager_api": "role:member and project_id:%(project_id)s"
        """)
    app = make_cloud(TWO, action_time=60)
    server_id = boot_id(app, who=DEMO)
    resp = live(app, server_id, "h2", who=DEMO, status=403)
    assert fault(resp, "forbidden", 403) == \
        f"Policy doesn't allow {RULE}:host to be performed."
    live(app, server_id, who=DEMO)
    # Without index:host the host fields are there, but null.
    (item,) = server_migrations(app, server_id, who=DEMO)
    assert [item[k] for k in ("source_compute", "source_node",
                              "dest_compute", "dest_node", "dest_host")] \
        == [None] * 5
    app.get(sm(server_id, f"/{item['id']}"), headers=v("2.23", DEMO),
            status=403)  # show is the admin's
    force_complete(app, server_id, item["id"], who=DEMO)
    assert where(app, server_id)[:2] == ("ACTIVE", "h2")
    live(app, server_id, who=DEMO)
    abort(app, server_id, server_migrations(app, server_id)[0]["id"],
          who=DEMO)
    assert where(app, server_id)[:2] == ("ACTIVE", "h2")
    # A locked server refuses a manager's move, after the force flag.
    action(app, server_id, {"lock": None}, who=DEMO)
    resp = live(app, server_id, version="2.30", force=True, who=DEMO,
                status=400)
    assert fault(resp, "badRequest", 400) == \
        "Can't force to a non-provided destination"
    resp = live(app, server_id, who=DEMO, status=409)
    assert fault(resp, "conflictingRequest", 409) == \
        f"Instance {server_id} is locked"
    live(app, server_id)  # an admin may
    (mid,) = [m["id"] for m in server_migrations(app, server_id)]
    for request in (lambda: abort(app, server_id, mid, who=DEMO,
                                  status=409),
                    lambda: force_complete(app, server_id, mid, who=DEMO,
                                           status=409)):
        assert fault(request(), "conflictingRequest", 409) == \
            f"Instance {server_id} is locked"


def test_the_live_migration_sql_on_every_database(make_cloud, db_url):
    """The queries of live migration (the source's hold, the statuses as
    of now, the server's migrations in progress) on SQLite, MariaDB and
    PostgreSQL."""
    app = make_cloud(TWO, action_time=2, url=db_url)
    server_id = boot_id(app)
    live(app, server_id)
    assert hypervisors(app)["h1"] == (1, 512, 1, 0, [])
    (mid,) = [m["id"] for m in server_migrations(app, server_id)]
    app.get(sm(server_id, f"/{mid}"), headers=v("2.23"))
    running = app.get("/v2.1/os-migrations?status=running",
                      headers=ADMIN).json["migrations"]
    assert [m["id"] for m in running] == [mid]
    time.sleep(2.1)
    assert server_migrations(app, server_id) == []
    assert hypervisors(app)["h1"] == (0, 0, 0, 0, [])
    done = app.get("/v2.1/os-migrations?status=completed",
                   headers=ADMIN).json["migrations"]
    assert [m["id"] for m in done] == [mid]
    action(app, server_id, {"lock": None})  # settles: h1 freed
    assert used_on(app) == {"h1": 0, "h2": 512}
    live(app, server_id)
    (mid,) = [m["id"] for m in server_migrations(app, server_id)]
    abort(app, server_id, mid)
    assert migrations(app, server_id)[0]["status"] == "cancelled"
    assert used_on(app) == {"h1": 0, "h2": 512}
