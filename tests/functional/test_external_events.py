"""POST /os-server-external-events through the whole pipeline: codes,
statuses, 200/207, event names by microversion, what each event does to a
server of the built-in driver and flat network, and who may send them."""

import uuid

import pytest

from tests.fake_keystone import FakeKeystone
from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    URL,
    action,
    boot_id,
    fault,
    get,
    sync_db,
    v,
)

EVENTS = "/v2.1/os-server-external-events"


def send(app, events, version="2.1", who=ADMIN, status=None, query=""):
    return app.post_json(EVENTS + query, {"events": events},
                         headers=v(version, who), status=status or "*")


def state(app, server_id):
    server = get(app, server_id)
    return (server["status"], server["OS-EXT-STS:vm_state"],
            server["OS-EXT-STS:task_state"], server["OS-EXT-STS:power_state"])


def actions(app, server_id):
    """[(action, [event names])] of the server, oldest first."""
    listed = app.get(f"{URL}/{server_id}/os-instance-actions",
                     headers=v("2.51")).json["instanceActions"]
    out = []
    for item in reversed(listed):
        shown = app.get(f"{URL}/{server_id}/os-instance-actions/"
                        f"{item['request_id']}", headers=v("2.51")).json
        out.append((item["action"],
                    [e["event"] for e in shown["instanceAction"]["events"]]))
    return out


# tempest's schema of the answer (tempest/lib/api_schema/response/compute/
# v2_1/server_external_events.py), as a check of our own.
_EVENT_KEYS = {"server_uuid", "name", "status", "tag", "code"}


def check_shape(body):
    assert list(body) == ["events"] and body["events"]
    for item in body["events"]:
        assert {"server_uuid", "name", "code"} <= set(item) <= _EVENT_KEYS
        assert item["status"] in ("failed", "completed", "in-progress")
        assert isinstance(item["code"], int)


def test_network_changed_on_an_active_server(cloud):
    """tempest's admin.test_server_external_events."""
    server_id = boot_id(cloud)
    before = get(cloud, server_id)
    resp = send(cloud, [{"name": "network-changed",
                         "server_uuid": server_id}])
    assert resp.status_int == 200
    assert resp.json == {"events": [{
        "name": "network-changed", "server_uuid": server_id,
        "status": "completed", "code": 200}]}
    check_shape(resp.json)
    assert get(cloud, server_id) == before  # nothing to refresh here
    assert [a for a, _ in actions(cloud, server_id)] == ["create"]


def test_each_event_gets_its_code_and_a_failure_makes_207(cloud):
    active = boot_id(cloud)
    shelved = boot_id(cloud)
    action(cloud, shelved, {"shelve": None})  # offloaded at once: no host
    unknown = str(uuid.uuid4())
    resp = send(cloud, [
        {"name": "network-vif-plugged", "server_uuid": active,
         "tag": "port-1", "status": "failed"},
        {"name": "network-changed", "server_uuid": unknown},
        {"name": "volume-extended", "server_uuid": active},
        {"name": "network-vif-unplugged", "server_uuid": shelved},
    ], version="2.51")
    assert resp.status_int == 207
    check_shape(resp.json)
    assert resp.json["events"] == [
        # accepted: "completed", whatever status was sent (as upstream)
        {"name": "network-vif-plugged", "server_uuid": active,
         "tag": "port-1", "status": "completed", "code": 200},
        {"name": "network-changed", "server_uuid": unknown,
         "status": "failed", "code": 404},
        # volume-extended needs a tag (the volume's id)
        {"name": "volume-extended", "server_uuid": active,
         "status": "failed", "code": 400},
        # no host to deliver to
        {"name": "network-vif-unplugged", "server_uuid": shelved,
         "status": "failed", "code": 422},
    ]


def test_no_event_delivered_is_still_207(cloud):
    """Upstream answered 404 until bug 1855752 was fixed: now 207."""
    resp = send(cloud, [{"name": "network-changed",
                         "server_uuid": str(uuid.uuid4())}])
    assert resp.status_int == 207
    assert resp.json["events"][0]["code"] == 404


def test_a_deleted_server_is_known(cloud):
    """Upstream reads deleted rows too: the event is accepted (its
    compute host finds nothing to do)."""
    server_id = boot_id(cloud)
    cloud.delete(f"{URL}/{server_id}", headers=ADMIN, status=204)
    resp = send(cloud, [{"name": "network-vif-deleted",
                         "server_uuid": server_id, "tag": "p"}])
    assert (resp.status_int, resp.json["events"][0]["code"]) == (200, 200)


@pytest.mark.parametrize("name, tag, since", [
    ("volume-extended", "vol-1", "2.51"),
    ("power-update", "POWER_ON", "2.76"),
    ("accelerator-request-bound", "arq-1", "2.82"),
    ("volume-reimaged", "vol-1", "2.93"),
])
def test_event_names_by_microversion(cloud, name, tag, since):
    server_id = boot_id(cloud)
    major, minor = since.split(".")
    before = f"{major}.{int(minor) - 1}"
    event = {"name": name, "server_uuid": server_id, "tag": tag}
    resp = send(cloud, [event], version=before)
    assert fault(resp, "badRequest", 400).startswith(
        "Invalid input for field/attribute")
    resp = send(cloud, [event], version=since)
    assert (resp.status_int, resp.json["events"][0]["code"]) == (200, 200)
    resp = send(cloud, [event], version="latest")
    assert resp.status_int == 200


@pytest.mark.parametrize("events", [
    None, [], [{"name": "network-changed"}],
    [{"name": "network-changed", "server_uuid": "not-a-uuid"}],
    [{"name": "nope", "server_uuid": str(uuid.uuid4())}],
    [{"name": "network-changed", "server_uuid": str(uuid.uuid4()),
      "status": "done"}],
    [{"name": "network-changed", "server_uuid": str(uuid.uuid4()),
      "tag": "x" * 256}],
    [{"name": "network-changed", "server_uuid": str(uuid.uuid4()),
      "extra": 1}],
])
def test_bad_bodies_are_400(cloud, events):
    resp = send(cloud, events, version="latest")
    fault(resp, "badRequest", 400)


def test_query_strings_are_not_validated(cloud):
    """Upstream declares no query schema here, so 2.102's rule (unknown
    parameters refused) does not apply."""
    server_id = boot_id(cloud)
    resp = send(cloud, [{"name": "network-changed",
                         "server_uuid": server_id}], version="latest",
                query="?anything=1")
    assert resp.status_int == 200


def test_power_update_powers_off_and_on_and_records_it(cloud):
    server_id = boot_id(cloud)
    off = [{"name": "power-update", "server_uuid": server_id,
            "tag": "POWER_OFF"}]
    assert send(cloud, off, version="2.76").status_int == 200
    assert state(cloud, server_id) == ("SHUTOFF", "stopped", None, 4)
    # Already off: a no-op, still recorded (upstream's compute host
    # records the event whatever it finds).
    assert send(cloud, off, version="2.76").status_int == 200
    assert state(cloud, server_id) == ("SHUTOFF", "stopped", None, 4)
    on = [{"name": "power-update", "server_uuid": server_id,
           "tag": "POWER_ON"}]
    assert send(cloud, on, version="latest").status_int == 200
    assert state(cloud, server_id) == ("ACTIVE", "active", None, 1)
    assert actions(cloud, server_id) == [
        ("create", ["conductor_schedule_and_build_instances",
                    "compute__do_build_and_run_instance"]),
        ("stop", ["compute_power_update"]),
        ("stop", ["compute_power_update"]),
        ("start", ["compute_power_update"])]
    # The server's own actions still work afterwards.
    action(cloud, server_id, {"os-stop": None})
    assert state(cloud, server_id)[0] == "SHUTOFF"


def test_power_update_leaves_a_busy_server_alone(slow):
    server_id = boot_id(slow)
    off = [{"name": "power-update", "server_uuid": server_id,
            "tag": "POWER_OFF"}]
    assert send(slow, off, version="2.76").status_int == 200  # building
    assert get(slow, server_id)["status"] == "BUILD"


def test_power_update_only_turns_off_an_active_running_server(cloud):
    server_id = boot_id(cloud)
    action(cloud, server_id, {"pause": None})
    for tag in ("POWER_OFF", "POWER_ON"):
        resp = send(cloud, [{"name": "power-update", "server_uuid": server_id,
                             "tag": tag}], version="2.76")
        assert resp.status_int == 200
        assert state(cloud, server_id) == ("PAUSED", "paused", None, 3)


def test_power_update_with_another_tag_is_dropped(cloud):
    server_id = boot_id(cloud)
    resp = send(cloud, [{"name": "power-update", "server_uuid": server_id,
                         "tag": "POWER_CYCLE"}], version="2.76")
    assert (resp.status_int, resp.json["events"][0]["status"]) == \
        (200, "completed")
    assert state(cloud, server_id)[0] == "ACTIVE"
    assert [a for a, _ in actions(cloud, server_id)] == ["create"]


def test_volume_extended_records_extend_volume(cloud):
    server_id = boot_id(cloud)
    before = get(cloud, server_id)
    resp = send(cloud, [{"name": "volume-extended", "server_uuid": server_id,
                         "tag": str(uuid.uuid4())}], version="2.51")
    assert resp.status_int == 200
    assert actions(cloud, server_id)[-1] == ("extend_volume",
                                             ["compute_extend_volume"])
    assert get(cloud, server_id) == before  # no volume here to extend


def test_vif_deleted_detaches_the_port(cloud):
    server_id = boot_id(cloud)
    ports = cloud.get(f"{URL}/{server_id}/os-interface",
                      headers=ADMIN).json["interfaceAttachments"]
    assert len(ports) == 1
    other = send(cloud, [{"name": "network-vif-deleted",
                          "server_uuid": server_id,
                          "tag": str(uuid.uuid4())}])
    assert other.status_int == 200
    assert get(cloud, server_id)["addresses"] != {}
    resp = send(cloud, [{"name": "network-vif-deleted",
                         "server_uuid": server_id,
                         "tag": ports[0]["port_id"]}])
    assert resp.status_int == 200
    server = get(cloud, server_id)
    assert server["addresses"] == {}
    assert "security_groups" not in server  # no port, no group
    assert cloud.get(f"{URL}/{server_id}/os-interface", headers=ADMIN).json[
        "interfaceAttachments"] == []
    # the address is free again
    address = ports[0]["fixed_ips"][0]["ip_address"]
    again = boot_id(cloud, version="2.37",
                    networks=[{"uuid": ports[0]["net_id"],
                               "fixed_ip": address}])
    assert cloud.get(f"{URL}/{again}/ips", headers=ADMIN).json[
        "addresses"]["private"][0]["addr"] == address


def test_members_may_not_send_events(cloud):
    server_id = boot_id(cloud, who=DEMO)
    resp = send(cloud, [{"name": "network-changed",
                         "server_uuid": server_id}], who=DEMO)
    assert fault(resp, "forbidden", 403) == (
        "Policy doesn't allow os_compute_api:os-server-external-events:"
        "create to be performed.")


def test_a_service_user_may_send_events(config_dir, tmp_path, make_image,
                                        httpserver):
    """Upstream's default is the service role or an admin: Neutron's user
    in the service project, with the service role only."""
    keystone = FakeKeystone(httpserver)
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    sync_db(url)
    config_dir.paste()
    config_dir.write("nova.conf", f"[database]\nconnection = {url}\n"
                     "[compute]\nbuild_time = 0\naction_time = 0\n"
                     + keystone.authtoken_conf())
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    admin = {"X-Auth-Token": keystone.issue("root", "admin",
                                            ["admin", "member", "reader"])}
    app.post_json("/v2.1/flavors", {"flavor": {
        "name": "m1.tiny", "ram": 512, "vcpus": 1, "disk": 1, "id": "1"}},
        headers=admin)
    member = {"X-Auth-Token": keystone.issue("alice", "demo",
                                             ["member", "reader"])}
    server_id = boot_id(app, who=member, networks="auto", version="2.37")
    neutron = {"X-Auth-Token": keystone.issue("neutron", "service",
                                              ["service"])}
    event = [{"name": "network-changed", "server_uuid": server_id}]
    resp = send(app, event, who=neutron)
    assert (resp.status_int, resp.json["events"][0]["code"]) == (200, 200)
    resp = send(app, event, who=member)
    assert resp.status_int == 403


def test_accepted_events_are_logged_as_upstream(cloud, caplog):
    """Upstream's INFO line for each accepted event (operators grep the
    API's log for it to see Neutron's events arrive); none for a
    dropped one."""
    server_id = boot_id(cloud)
    port = str(uuid.uuid4())
    unknown = str(uuid.uuid4())
    with caplog.at_level("INFO", logger="nova.compute.external_events"):
        send(cloud, [{"name": "network-vif-plugged", "server_uuid": server_id,
                      "tag": port},
                     {"name": "network-changed", "server_uuid": unknown}])
    lines = [r.getMessage() for r in caplog.records
             if r.name == "nova.compute.external_events"]
    host = cloud.get(f"{URL}/{server_id}", headers=v("2.1")).json[
        "server"]["OS-EXT-SRV-ATTR:host"]
    assert lines == [f"Creating event network-vif-plugged:{port} for "
                     f"instance {server_id} on {host}"]
