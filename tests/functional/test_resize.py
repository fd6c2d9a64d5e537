"""Resize across hosts, through the whole pipeline, as upstream Nova 34.

The scheduler places the new flavor on another host (the server's own
only with ``[DEFAULT] allow_resize_to_same_host``), among enabled hosts
with room, in the server's pinned availability zone, as its server
group's policy allows. While the resize waits for confirmation the server
is on its new host and the source still holds the old flavor; confirming
frees the source, reverting moves the server back. When no host fits the
request is still accepted (202): the server stays as it was, and the
migration, the instance action and a fault say why.

Placement picks the enabled host with the most free RAM first, so the
hosts' sizes below decide where servers go.
"""

import functools
import time

import pytest

from tests.helpers import (
    ADMIN,
    DEMO,
    boot_id,
    disable,
    events,
    get,
    hypervisors,
    migrations,
    statistics,
    used_on,
    v,
    where,
)

NO_HOST_RESIZE = "No valid host was found. No valid host found for resize"

# The boots of this module: the new server's id, any 2xx taken.
boot = functools.partial(boot_id, status=None)


def resize(app, server_id, flavor, who=ADMIN):
    resp = app.post_json(f"/v2.1/servers/{server_id}/action",
                         {"resize": {"flavorRef": flavor}}, headers=who,
                         status=202)
    assert resp.body == b""


def act(app, server_id, name, status=202):
    return app.post_json(f"/v2.1/servers/{server_id}/action", {name: None},
                         headers=ADMIN, status=status)


def group(app, policy, who=ADMIN):
    return app.post_json("/v2.1/os-server-groups", {"server_group": {
        "name": policy, "policy": policy}}, headers=v("2.64", who)).json[
        "server_group"]["id"]


# -- the happy paths ----------------------------------------------------------

def test_resize_moves_the_server_and_confirm_frees_the_source(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:4096:100")
    server_id = boot(app, who=DEMO)
    assert where(app, server_id) == ("ACTIVE", "h1", "nova", "m1.tiny")
    resize(app, server_id, "2", who=DEMO)
    assert where(app, server_id) == ("VERIFY_RESIZE", "h2", "nova",
                                     "m1.small")
    # Both hosts hold the server: h2 its new flavor, h1 its old one for a
    # revert (upstream's resource tracker counts that as used, not as a
    # running VM).
    assert hypervisors(app) == {"h1": (1, 512, 1, 0, []),
                                "h2": (2, 1024, 2, 1, [server_id])}
    assert statistics(app) == (2, 3, 1536, 3, 1)
    assert used_on(app) == {"h1": 512, "h2": 1024}
    (migration,) = migrations(app, server_id)
    assert {k: migration[k] for k in (
        "source_compute", "source_node", "dest_compute", "dest_node",
        "status", "migration_type", "instance_uuid")} == {
        "source_compute": "h1", "source_node": "h1", "dest_compute": "h2",
        "dest_node": "h2", "status": "finished", "migration_type": "resize",
        "instance_uuid": server_id}
    assert migration["old_instance_type_id"] != \
        migration["new_instance_type_id"]
    message, done = events(app, server_id, "resize")
    assert message is None
    assert [e[:2] for e in done] == [
        ("conductor_migrate_server", "Success"),
        ("compute_prep_resize", "Success"),
        ("compute_resize_instance", "Success"),
        ("compute_finish_resize", "Success")]

    act(app, server_id, "confirmResize", status=204)
    assert where(app, server_id) == ("ACTIVE", "h2", "nova", "m1.small")
    assert hypervisors(app) == {"h1": (0, 0, 0, 0, []),
                                "h2": (2, 1024, 2, 1, [server_id])}
    assert statistics(app) == (2, 2, 1024, 2, 1)
    assert used_on(app) == {"h1": 0, "h2": 1024}
    assert migrations(app, server_id)[0]["status"] == "confirmed"
    # The next resize moves it again, back to h1.
    resize(app, server_id, "1", who=DEMO)
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h1")
    assert [m["status"] for m in migrations(app, server_id)] == [
        "finished", "confirmed"]


def test_revert_moves_the_server_back_with_its_old_flavor(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:4096:100")
    server_id = boot(app, who=DEMO)
    app.post_json(f"/v2.1/servers/{server_id}/action", {"os-stop": None},
                  headers=DEMO)
    resize(app, server_id, "2", who=DEMO)
    assert where(app, server_id) == ("VERIFY_RESIZE", "h2", "nova",
                                     "m1.small")
    act(app, server_id, "revertResize")
    # A stopped server comes back stopped, on its first host.
    assert where(app, server_id) == ("SHUTOFF", "h1", "nova", "m1.tiny")
    assert hypervisors(app) == {"h1": (1, 512, 1, 1, [server_id]),
                                "h2": (0, 0, 0, 0, [])}
    assert used_on(app) == {"h1": 512, "h2": 0}
    assert migrations(app, server_id)[0]["status"] == "reverted"
    _message, done = events(app, server_id, "revertResize")
    assert [e[0] for e in done] == ["compute_revert_resize",
                                    "compute_finish_revert_resize"]
    act(app, server_id, "confirmResize", status=409)
    # The server's room on h1 is its own again: deleting it frees all.
    app.delete(f"/v2.1/servers/{server_id}", headers=DEMO, status=204)
    assert used_on(app) == {"h1": 0, "h2": 0}


def test_the_confirm_window_confirms_a_move_by_itself(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:4096:100",
                     default_options="resize_confirm_window = 1\n")
    server_id = boot(app)
    resize(app, server_id, "2")
    assert migrations(app, server_id)[0]["status"] == "finished"
    time.sleep(1.2)
    # Readers see the confirmation at once: the server on h2, ACTIVE, the
    # source free in the hypervisors' figures.
    assert where(app, server_id)[:2] == ("ACTIVE", "h2")
    assert migrations(app, server_id)[0]["status"] == "confirmed"
    assert hypervisors(app)["h1"] == (0, 0, 0, 0, [])
    # The next change of the server frees placement's room on h1 too.
    act(app, server_id, "os-stop")
    assert used_on(app) == {"h1": 0, "h2": 1024}
    act(app, server_id, "revertResize", status=409)


# -- one host -----------------------------------------------------------------

def test_one_host_refuses_a_resize_unless_allowed_to_same_host(make_cloud):
    app = make_cloud("h1:nova:4:4096:100")
    server_id = boot(app, who=DEMO)
    resize(app, server_id, "2", who=DEMO)  # accepted, as upstream
    server = get(app, server_id, "2.47")
    assert where(app, server_id) == ("ACTIVE", "h1", "nova", "m1.tiny")
    assert "fault" not in server  # shown only in ERROR, as upstream
    message, done = events(app, server_id, "resize")
    assert (message, done) == ("Error", [
        ("conductor_migrate_server", "Error", NO_HOST_RESIZE)])
    (migration,) = migrations(app, server_id)
    assert (migration["status"], migration["source_compute"],
            migration["source_node"], migration["dest_compute"],
            migration["dest_node"]) == ("error", "h1", "h1", None, None)
    assert hypervisors(app) == {"h1": (1, 512, 1, 1, [server_id])}
    assert used_on(app) == {"h1": 512}
    # Nothing to confirm or revert, and the server can still act.
    act(app, server_id, "confirmResize", status=409)
    act(app, server_id, "os-stop")
    assert where(app, server_id)[0] == "SHUTOFF"


def test_a_failed_resize_never_finishes_before_it_started(make_cloud):
    # The failure was recorded with the time the resize began, and its
    # action and event with a start taken later: finish < start by the
    # time the scheduling took (issue #16).
    app = make_cloud("h1:nova:4:4096:100")
    server_id = boot(app, who=DEMO)
    for _ in range(3):
        resize(app, server_id, "2", who=DEMO)
    listed = app.get(f"/v2.1/servers/{server_id}/os-instance-actions",
                     headers=v("2.84")).json["instanceActions"]
    failed = [a for a in listed if a["action"] == "resize"]
    assert len(failed) == 3
    for action in failed:
        assert action["message"] == "Error"
        shown = app.get(
            f"/v2.1/servers/{server_id}/os-instance-actions/"
            f"{action['request_id']}", headers=v("2.84")).json[
            "instanceAction"]
        (event,) = shown["events"]
        assert event["result"] == "Error"
        # Same format (microseconds, no zone): text order is time order.
        assert event["finish_time"] >= event["start_time"], event
        assert shown["updated_at"] >= shown["start_time"], shown


def test_one_host_resizes_in_place_when_allowed(make_cloud):
    app = make_cloud("h1:nova:4:4096:100",
                     default_options="allow_resize_to_same_host = True\n")
    server_id = boot(app)
    resize(app, server_id, "2")
    assert where(app, server_id) == ("VERIFY_RESIZE", "h1", "nova",
                                     "m1.small")
    # The host holds the old flavor (for a revert) and the new one.
    assert hypervisors(app) == {"h1": (3, 1536, 3, 1, [server_id])}
    assert used_on(app) == {"h1": 1536}
    (migration,) = migrations(app, server_id)
    assert (migration["source_compute"], migration["dest_compute"],
            migration["status"]) == ("h1", "h1", "finished")
    act(app, server_id, "confirmResize", status=204)
    assert hypervisors(app) == {"h1": (2, 1024, 2, 1, [server_id])}
    assert used_on(app) == {"h1": 1024}
    resize(app, server_id, "1")
    act(app, server_id, "revertResize")
    assert where(app, server_id) == ("ACTIVE", "h1", "nova", "m1.small")
    assert hypervisors(app) == {"h1": (2, 1024, 2, 1, [server_id])}
    assert used_on(app) == {"h1": 1024}


def test_allowed_to_same_host_still_prefers_the_best_host(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:8192:100",
                     default_options="allow_resize_to_same_host = True\n")
    server_id = boot(app, host="h1", version="2.74",
                     networks="none")
    resize(app, server_id, "2")
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h2")


# -- what the scheduler honours -----------------------------------------------

def test_the_destination_needs_room_for_the_new_flavor(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:1024:100")
    server_id = boot(app)  # on h1, the one with more free RAM
    resize(app, server_id, "3")  # 2048 MB: h2 cannot take it
    assert where(app, server_id) == ("ACTIVE", "h1", "nova", "m1.tiny")
    assert migrations(app, server_id)[0]["status"] == "error"
    resize(app, server_id, "2")  # 1024 MB: h2 can
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h2")
    assert used_on(app) == {"h1": 512, "h2": 1024}


def test_disabled_hosts_get_no_resized_servers(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:8192:100, "
                     "h3:nova:4:4096:100")
    server_id = boot(app, host="h1", version="2.74",
                     networks="none")
    disable(app, "h2")  # the host with the most room
    resize(app, server_id, "2")
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h3")
    act(app, server_id, "revertResize")
    disable(app, "h3")
    resize(app, server_id, "2")
    assert where(app, server_id)[:2] == ("ACTIVE", "h1")
    assert migrations(app, server_id)[0]["status"] == "error"


def test_a_server_stays_in_its_pinned_zone(make_cloud):
    app = make_cloud("h1:az1:4:4096:100, h2:az2:4:8192:100, "
                     "h3:az1:4:4096:100")
    pinned = boot(app, "pinned", availability_zone="az1")
    assert where(app, pinned)[1:3] == ("h1", "az1")
    resize(app, pinned, "2")
    # h2 has the most room but is in another zone.
    assert where(app, pinned) == ("VERIFY_RESIZE", "h3", "az1", "m1.small")
    # A server asked for no zone may move to another (as upstream, whose
    # request spec has no zone then), and shows its new host's; reverting
    # brings back its old zone with its old host.
    free = boot(app, "free")
    assert where(app, free)[1:3] == ("h2", "az2")
    resize(app, free, "2")
    assert where(app, free)[1:3] == ("h1", "az1")
    act(app, free, "revertResize")
    assert where(app, free) == ("ACTIVE", "h2", "az2", "m1.tiny")
    # A pinned zone whose hosts cannot take the resize: no valid host.
    act(app, pinned, "confirmResize", status=204)
    resize(app, pinned, "3")
    resize_of_pinned = migrations(app, pinned)[0]
    assert resize_of_pinned["status"] == "finished"  # h1 had room
    act(app, pinned, "confirmResize", status=204)
    disable(app, "h3")
    resize(app, pinned, "1")  # only h1 is left in az1: it is the source
    assert where(app, pinned)[:2] == ("ACTIVE", "h1")
    assert migrations(app, pinned)[0]["status"] == "error"


# -- server groups ------------------------------------------------------------

# h1 has the most room, h2 the next, h3 the least: a is placed on h1, its
# anti-affinity partner b on h2; resizing b, h1 would be preferred.
GROUP_HOSTS = "h1:nova:4:8192:100, h2:nova:4:4096:100, h3:nova:4:2048:100"


def test_anti_affinity_members_never_land_together_after_resize(
        make_cloud):
    app = make_cloud(GROUP_HOSTS)
    group_id = group(app, "anti-affinity")
    a = boot(app, "a", group=group_id)
    b = boot(app, "b", group=group_id)
    assert (where(app, a)[1], where(app, b)[1]) == ("h1", "h2")
    resize(app, b, "2")
    assert where(app, b)[:2] == ("VERIFY_RESIZE", "h3")
    act(app, b, "confirmResize", status=204)
    # a: h1 is its own (excluded), h3 has b, h2 is free again.
    resize(app, a, "2")
    assert where(app, a)[:2] == ("VERIFY_RESIZE", "h2")
    act(app, a, "confirmResize", status=204)
    # With no member-free host left, the resize finds no host.
    c = boot(app, "c", group=group_id)
    assert where(app, c)[1] == "h1"
    resize(app, c, "2")
    assert where(app, c)[:2] == ("ACTIVE", "h1")
    assert migrations(app, c)[0]["status"] == "error"
    hosts = {where(app, s)[1] for s in (a, b, c)}
    assert hosts == {"h1", "h2", "h3"}


def test_anti_affinity_allows_a_member_its_own_host(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:4096:100",
                     default_options="allow_resize_to_same_host = True\n")
    group_id = group(app, "anti-affinity")
    a = boot(app, "a", group=group_id)
    b = boot(app, "b", group=group_id)
    assert (where(app, a)[1], where(app, b)[1]) == ("h1", "h2")
    resize(app, a, "2")  # h2 has b; h1 is a's own host
    assert where(app, a)[:2] == ("VERIFY_RESIZE", "h1")


def test_soft_anti_affinity_prefers_a_host_without_members(make_cloud):
    app = make_cloud(GROUP_HOSTS)
    group_id = group(app, "soft-anti-affinity")
    boot(app, "a", group=group_id)
    b = boot(app, "b", group=group_id)
    resize(app, b, "2")
    assert where(app, b)[:2] == ("VERIFY_RESIZE", "h3")
    act(app, b, "revertResize")
    disable(app, "h3")
    resize(app, b, "2")  # only h1 is left: soft, so allowed
    assert where(app, b)[:2] == ("VERIFY_RESIZE", "h1")


@pytest.mark.parametrize("allowed", [False, True])
def test_affinity_members_resize_only_where_they_are(make_cloud, allowed):
    """Upstream: affinity keeps a member with its group, so a resize needs
    allow_resize_to_same_host (upstream's option help says so)."""
    app = make_cloud(GROUP_HOSTS, default_options=(
        f"allow_resize_to_same_host = {allowed}\n"))
    group_id = group(app, "affinity")
    a = boot(app, "a", group=group_id)
    b = boot(app, "b", group=group_id)
    assert (where(app, a)[1], where(app, b)[1]) == ("h1", "h1")
    resize(app, a, "2")
    if allowed:
        assert where(app, a)[:2] == ("VERIFY_RESIZE", "h1")
    else:
        assert where(app, a)[:2] == ("ACTIVE", "h1")
        assert events(app, a, "resize")[0] == "Error"


def test_a_lone_affinity_member_cannot_leave_its_host(make_cloud):
    app = make_cloud(GROUP_HOSTS)
    group_id = group(app, "affinity")
    a = boot(app, "a", group=group_id)
    resize(app, a, "2")
    assert where(app, a)[:2] == ("ACTIVE", "h1")


# -- os-migrations ------------------------------------------------------------

# The keys of upstream's os-migrations samples (api_samples/os-migrations):
# v2.1; v2.23 adds migration_type (and links, for a live migration in
# progress only); v2.59 uuid; v2.80 user_id and project_id.
MIGRATION_KEYS = {
    "2.1": {"created_at", "dest_compute", "dest_host", "dest_node", "id",
            "instance_uuid", "new_instance_type_id", "old_instance_type_id",
            "source_compute", "source_node", "status", "updated_at"},
}
MIGRATION_KEYS["2.23"] = MIGRATION_KEYS["2.1"] | {"migration_type"}
MIGRATION_KEYS["2.59"] = MIGRATION_KEYS["2.23"] | {"uuid"}
MIGRATION_KEYS["2.80"] = MIGRATION_KEYS["2.59"] | {"user_id", "project_id"}


def test_os_migrations_of_a_move_have_upstreams_shape(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:4096:100")
    moved = boot(app, "moved", who=DEMO)
    resize(app, moved, "2", who=DEMO)
    act(app, moved, "confirmResize", status=204)
    stuck = boot(app, "stuck", host="h2", version="2.74",
                 networks="none")
    disable(app, "h1")
    resize(app, stuck, "2")  # no host: an error migration
    for version, keys in MIGRATION_KEYS.items():
        listed = app.get("/v2.1/os-migrations",
                         headers=v(version)).json["migrations"]
        assert [set(m) for m in listed] == [keys, keys], version
    newest, oldest = app.get("/v2.1/os-migrations",
                             headers=v("2.80")).json["migrations"]
    assert {k: oldest[k] for k in (
        "instance_uuid", "source_compute", "source_node", "dest_compute",
        "dest_node", "dest_host", "status", "migration_type", "user_id",
        "project_id")} == {
        "instance_uuid": moved, "source_compute": "h1", "source_node": "h1",
        "dest_compute": "h2", "dest_node": "h2", "dest_host": None,
        "status": "confirmed", "migration_type": "resize",
        "user_id": "demo", "project_id": "demo"}
    assert (newest["instance_uuid"], newest["status"],
            newest["source_compute"], newest["dest_compute"]) == (
        stuck, "error", "h2", None)
    for item in (newest, oldest):
        assert isinstance(item["id"], int)
        assert isinstance(item["old_instance_type_id"], int)
        assert isinstance(item["new_instance_type_id"], int)
        assert len(item["created_at"]) == len("2016-06-23T14:42:02.000000")
    # The filters name either end of a move.
    for query, expected in (("host=h1", [moved]), ("host=h2", [stuck, moved]),
                            ("source_compute=h2", [stuck]),
                            ("status=error", [stuck])):
        listed = app.get(f"/v2.1/os-migrations?{query}",
                         headers=ADMIN).json["migrations"]
        assert [m["instance_uuid"] for m in listed] == expected, query


def test_the_source_of_an_unconfirmed_resize_cannot_be_deleted(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:4096:100")
    server_id = boot(app)
    resize(app, server_id, "2")
    h1 = app.get("/v2.1/os-services?host=h1", headers=v("2.53")).json[
        "services"][0]["id"]
    # h1 hosts no server now, but holds the old flavor for a revert.
    resp = app.delete(f"/v2.1/os-services/{h1}", headers=v("2.53"),
                      status=409)
    assert resp.json["conflictingRequest"]["message"] == (
        "Unable to delete compute service that has in-progress "
        "migrations. Complete the migrations or delete the instances "
        "first.")
    act(app, server_id, "confirmResize", status=204)
    app.delete(f"/v2.1/os-services/{h1}", headers=v("2.53"), status=204)
    assert list(hypervisors(app)) == ["h2"]


# -- cold migration (the migrate action) --------------------------------------

def migrate(app, server_id, body=None, version="2.1", who=ADMIN,
            status=202):
    return app.post_json(f"/v2.1/servers/{server_id}/action",
                         {"migrate": body}, headers=v(version, who),
                         status=status)


def test_migrate_moves_the_server_with_its_flavor_until_confirmed(
        make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:2048:100")
    server_id = boot(app, who=DEMO)
    assert where(app, server_id)[:2] == ("ACTIVE", "h1")
    assert migrate(app, server_id).body == b""
    assert where(app, server_id) == ("VERIFY_RESIZE", "h2", "nova",
                                     "m1.tiny")
    # The source holds the flavor for a revert, as for a resize.
    assert hypervisors(app) == {"h1": (1, 512, 1, 0, []),
                                "h2": (1, 512, 1, 1, [server_id])}
    (migration,) = migrations(app, server_id)
    assert (migration["migration_type"], migration["status"],
            migration["source_compute"], migration["dest_compute"]) == (
        "migration", "finished", "h1", "h2")
    assert migration["old_instance_type_id"] == \
        migration["new_instance_type_id"]
    for kind, found in (("migration", 1), ("resize", 0)):
        assert len(app.get(f"/v2.1/os-migrations?migration_type={kind}",
                           headers=v("2.23")).json["migrations"]) == found
    message, done = events(app, server_id, "migrate")
    assert message is None and [e[:2] for e in done] == [
        ("conductor_migrate_server", "Success"),
        ("compute_prep_resize", "Success"),
        ("compute_resize_instance", "Success"),
        ("compute_finish_resize", "Success")]
    act(app, server_id, "confirmResize", status=204)
    assert where(app, server_id) == ("ACTIVE", "h2", "nova", "m1.tiny")
    assert hypervisors(app) == {"h1": (0, 0, 0, 0, []),
                                "h2": (1, 512, 1, 1, [server_id])}
    assert migrations(app, server_id)[0]["status"] == "confirmed"


def test_a_reverted_migration_goes_back_stopped_as_it_was(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:2048:100")
    server_id = boot(app)
    act(app, server_id, "os-stop")
    migrate(app, server_id)
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h2")
    act(app, server_id, "revertResize")
    assert where(app, server_id) == ("SHUTOFF", "h1", "nova", "m1.tiny")
    assert hypervisors(app) == {"h1": (1, 512, 1, 1, [server_id]),
                                "h2": (0, 0, 0, 0, [])}
    assert migrations(app, server_id)[0]["status"] == "reverted"


def test_migrate_to_a_named_host_from_2_56(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:2048:100, "
                     "h3:nova:4:1024:100")
    server_id = boot(app)
    # Before 2.56 a host is not part of the request: ignored, as upstream
    # (the scheduler picks h2, the roomiest).
    migrate(app, server_id, {"host": "h3"}, version="2.55")
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h2")
    act(app, server_id, "revertResize")
    migrate(app, server_id, {"host": "h3"}, version="2.56")
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h3")
    act(app, server_id, "confirmResize", status=204)
    migrate(app, server_id, {"host": None}, version="2.56")  # any host
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h1")
    act(app, server_id, "confirmResize", status=204)

    def refused(body, status=400):
        return migrate(app, server_id, body, version="2.56",
                       status=status).json

    assert refused({"host": "h1"})["badRequest"]["message"] == \
        "Cannot migrate to the host where the server exists."
    assert refused({"host": "nowhere"})["badRequest"]["message"] == \
        "Compute host nowhere could not be found."
    for bad in ({"host": ""}, {"host": 7}, {"hots": "h2"}, "h2"):
        assert "badRequest" in refused(bad), bad
    assert where(app, server_id)[:2] == ("ACTIVE", "h1")
    assert [m["status"] for m in migrations(app, server_id)] == [
        "confirmed", "confirmed", "reverted"]


def test_a_named_host_without_room_is_no_valid_host(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:1:256:100")
    server_id = boot(app)
    migrate(app, server_id, {"host": "h2"}, version="2.56")
    assert where(app, server_id)[:2] == ("ACTIVE", "h1")
    message, done = events(app, server_id, "migrate")
    assert (message, done) == ("Error", [
        ("conductor_migrate_server", "Error", NO_HOST_RESIZE)])
    assert migrations(app, server_id)[0]["status"] == "error"
    assert hypervisors(app)["h2"] == (0, 0, 0, 0, [])


def test_one_host_cannot_migrate_even_when_resize_may_stay(make_cloud):
    app = make_cloud("h1:nova:4:4096:100",
                     default_options="allow_resize_to_same_host = true")
    server_id = boot(app)
    migrate(app, server_id)
    assert where(app, server_id)[:2] == ("ACTIVE", "h1")
    assert events(app, server_id, "migrate")[0] == "Error"


def test_migrate_is_for_admins_and_follows_the_state(make_cloud):
    app = make_cloud("h1:nova:4:4096:100, h2:nova:4:2048:100")
    server_id = boot(app, who=DEMO)
    forbidden = migrate(app, server_id, who=DEMO, status=403).json
    assert forbidden["forbidden"]["message"] == (
        "Policy doesn't allow os_compute_api:os-migrate-server:migrate to "
        "be performed.")
    act(app, server_id, "pause")
    conflict = migrate(app, server_id, status=409).json["conflictingRequest"]
    assert conflict["message"] == (
        f"Cannot 'migrate' instance {server_id} while it is in vm_state "
        f"paused")
    act(app, server_id, "unpause")
    migrate(app, server_id)
    # Awaiting confirmation: not again.
    migrate(app, server_id, status=409)
    assert where(app, server_id)[:2] == ("VERIFY_RESIZE", "h2")
