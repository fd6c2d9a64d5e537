"""Neutron's os-server-external-events with [neutron] configured, and the
wait for network-vif-plugged (vif_plugging_timeout/_is_fatal)."""

import time

from tests.helpers import URL, boot, get, v

EVENTS = "/v2.1/os-server-external-events"


def send(cloud, events):
    return cloud.app.post_json(EVENTS, {"events": events},
                               headers=v("2.1", cloud.service), status="*")


def create(cloud, networks="auto"):
    return boot(cloud.app, version="2.37", who=cloud.member,
                networks=networks).json["server"]["id"]


def test_network_changed_reads_the_ports_again(make_neutron_cloud):
    cloud = make_neutron_cloud()
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    public = cloud.neutron.add_network("public", "admin", external=True,
                                       cidr="172.24.4.0/24")
    fip = cloud.neutron._add_floating(
        cloud.neutron._caller_for("demo"),
        {"floating_network_id": public["id"], "project_id": "demo",
         "port_id": port["id"]})
    events = cloud.neutron.take_events()
    assert {"name": "network-changed", "server_uuid": server_id,
            "tag": port["id"]} in events
    before = get(cloud.app, server_id, who=cloud.member)["addresses"]
    assert [a["OS-EXT-IPS:type"] for a in before["private"]] == ["fixed"]
    resp = send(cloud, [{"name": "network-changed",
                         "server_uuid": server_id, "tag": port["id"]}])
    assert resp.status_int == 200
    assert resp.json["events"][0]["code"] == 200
    after = get(cloud.app, server_id, who=cloud.member)["addresses"]
    assert after["private"][1] == {
        "version": 4, "addr": fip["floating_ip_address"],
        "OS-EXT-IPS:type": "floating",
        "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]}


def test_network_vif_deleted_drops_the_port(make_neutron_cloud):
    cloud = make_neutron_cloud()
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    cloud.neutron.take_events()
    cloud.neutron.store["ports"].pop(port["id"])
    resp = send(cloud, [{"name": "network-vif-deleted",
                         "server_uuid": server_id, "tag": port["id"]}])
    assert resp.json["events"][0]["code"] == 200
    assert get(cloud.app, server_id, who=cloud.member)["addresses"] == {}
    # Deleting the server then has nothing left to delete in Neutron.
    cloud.app.delete(f"{URL}/{server_id}", headers=cloud.member)


def test_events_for_unknown_servers_are_404(make_neutron_cloud):
    cloud = make_neutron_cloud()
    resp = send(cloud, [{"name": "network-vif-plugged",
                         "server_uuid": "5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b01",
                         "tag": "x"}])
    assert resp.status_int == 207
    assert resp.json["events"][0]["code"] == 404


def test_an_active_port_needs_no_wait(make_neutron_cloud):
    cloud = make_neutron_cloud(default_options="vif_plugging_timeout = 300\n")
    server_id = create(cloud)
    assert get(cloud.app, server_id, who=cloud.member)["status"] == "ACTIVE"


def test_the_build_waits_for_network_vif_plugged(make_neutron_cloud):
    cloud = make_neutron_cloud(default_options="vif_plugging_timeout = 300\n")
    cloud.neutron.bind = "deferred"
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    assert port["status"] == "DOWN"
    server = get(cloud.app, server_id, who=cloud.member)
    assert (server["status"], server["OS-EXT-STS:task_state"]) == (
        "BUILD", "spawning")
    cloud.neutron.activate(port["id"])
    events = cloud.neutron.take_events()
    assert events == [{"name": "network-vif-plugged",
                       "server_uuid": server_id, "tag": port["id"],
                       "status": "completed"}]
    resp = send(cloud, events)
    assert resp.json["events"][0]["code"] == 200
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ACTIVE"
    assert "fault" not in server


def test_no_event_in_time_is_fatal_by_default(make_neutron_cloud):
    cloud = make_neutron_cloud(default_options="vif_plugging_timeout = 1\n")
    cloud.neutron.bind = "deferred"
    server_id = create(cloud)
    assert get(cloud.app, server_id, who=cloud.member)["status"] == "BUILD"
    time.sleep(1.2)
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == (
        f"Build of instance {server_id} aborted: Failed to allocate the "
        f"network(s), not rescheduling.")
    # A late event changes nothing.
    send(cloud, cloud.neutron.take_events() or [
        {"name": "network-vif-plugged", "server_uuid": server_id,
         "tag": "x"}])
    assert get(cloud.app, server_id, who=cloud.member)["status"] == "ERROR"


def test_no_event_in_time_is_not_fatal_when_so_configured(make_neutron_cloud):
    cloud = make_neutron_cloud(default_options="vif_plugging_timeout = 1\n"
                                 "vif_plugging_is_fatal = false\n")
    cloud.neutron.bind = "deferred"
    server_id = create(cloud)
    assert get(cloud.app, server_id, who=cloud.member)["status"] == "BUILD"
    time.sleep(1.2)
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ACTIVE"
    assert "fault" not in server


def test_no_wait_when_the_timeout_is_zero(make_neutron_cloud):
    cloud = make_neutron_cloud(default_options="vif_plugging_timeout = 0\n")
    cloud.neutron.bind = "deferred"
    server_id = create(cloud)
    assert get(cloud.app, server_id, who=cloud.member)["status"] == "ACTIVE"


def test_a_plug_that_overtook_the_binding_is_not_missed(make_neutron_cloud):
    cloud = make_neutron_cloud(default_options="vif_plugging_timeout = 300\n")
    cloud.neutron.bind = "late"
    server_id = create(cloud)
    assert get(cloud.app, server_id, who=cloud.member)["status"] == "ACTIVE"


def test_a_port_that_fails_to_bind_fails_the_build(make_neutron_cloud):
    cloud = make_neutron_cloud()
    cloud.neutron.bind = "failed"
    server_id = create(cloud)
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ERROR"
    assert server["fault"]["message"].startswith("Binding failed for port")
    assert cloud.neutron.store["ports"] == {}  # the port it made is gone


def test_a_server_settled_by_an_event_stays_in_the_active_listing(
        make_neutron_cloud):
    # An event settles the server's row (its build's end written: no task,
    # no deadline); status=ACTIVE lists it as before (tempest's
    # ListServerFiltersTestJSON with Neutron).
    cloud = make_neutron_cloud()
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    resp = send(cloud, [{"name": "network-changed",
                         "server_uuid": server_id, "tag": port["id"]}])
    assert resp.json["events"][0]["code"] == 200
    for detail in (False, True):
        listed = cloud.app.get(
            URL + ("/detail" if detail else "") + "?status=ACTIVE",
            headers=v("2.1", cloud.member)).json["servers"]
        assert [s["id"] for s in listed] == [server_id]
