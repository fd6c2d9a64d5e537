"""A server's Neutron ports given back as upstream gives them back: on a
delete (as the caller, with its service token), on the reclaim of a
soft-deleted server by the periodic sweep (with [neutron]'s own
credentials, after the sweep's commit), and when a build aborts after
its ports were bound."""

import time

import requests

from tests.helpers import URL, boot, get

EVENTS = "/v2.1/os-server-external-events"


def create(cloud, networks="auto", who=None):
    return boot(cloud.app, version="2.37", who=who or cloud.member,
                networks=networks).json["server"]["id"]


def sweep(cloud):
    """A write that runs the periodic work (a server on no network)."""
    time.sleep(0.6)  # one sweep per half second per process
    create(cloud, "none")


def deletes(cloud, port_id):
    return [who for method, path, who, _b in cloud.neutron.calls
            if method == "DELETE" and path == f"/v2.0/ports/{port_id}"]


def unbound(port):
    return (port["device_id"], port["device_owner"],
            port["binding:host_id"]) == ("", "", "")


# -- delete and detach: the caller's token with a service token -------------

def test_delete_deletes_as_the_caller_with_a_service_token(make_neutron_cloud):
    cloud = make_neutron_cloud()
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    cloud.app.delete(f"{URL}/{server_id}", headers=cloud.member)
    assert cloud.neutron.port(port["id"]) is None
    # Neutron 29 lets a member delete a compute:* port only with an
    # X-Service-Token (the fake refuses it without one).
    assert deletes(cloud, port["id"]) == ["alice"]


def test_without_a_service_token_delete_uses_neutrons_credentials(
        make_neutron_cloud):
    cloud = make_neutron_cloud(service_token=False)
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    cloud.app.delete(f"{URL}/{server_id}", headers=cloud.member)
    assert cloud.neutron.port(port["id"]) is None
    assert deletes(cloud, port["id"]) == ["service"]


def test_the_fake_refuses_a_member_without_a_service_token(make_neutron_cloud):
    # The rule the two tests above rely on: a member's token alone may
    # not delete a compute:* port.
    cloud = make_neutron_cloud()
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    answer = requests.delete(f"{cloud.neutron.url}v2.0/ports/{port['id']}",
                             headers=cloud.member, timeout=5)
    assert answer.status_code == 403
    assert cloud.neutron.port(port["id"]) is not None


def test_detach_deletes_as_the_caller(make_neutron_cloud):
    cloud = make_neutron_cloud()
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    resp = cloud.app.delete(f"{URL}/{server_id}/os-interface/{port['id']}",
                            headers=cloud.member)
    assert resp.status_int == 202
    assert cloud.neutron.port(port["id"]) is None
    assert deletes(cloud, port["id"]) == ["alice"]
    assert get(cloud.app, server_id, who=cloud.member)["addresses"] == {}


# -- the reclaim of a soft-deleted server ------------------------------------

def test_the_reclaim_gives_the_ports_back(make_neutron_cloud):
    cloud = make_neutron_cloud(
        default_options="reclaim_instance_interval = 1\n")
    made_id = create(cloud)
    made_port, = cloud.neutron.ports_of(made_id)
    passed = cloud.neutron.add_port(cloud.net["id"], "demo")
    passed_id = create(cloud, [{"port": passed["id"]}])
    for server_id in (made_id, passed_id):
        cloud.app.delete(f"{URL}/{server_id}", headers=cloud.member)
    # Soft-deleted: the ports stay until the reclaim.
    assert cloud.neutron.port(made_port["id"]) is not None
    assert cloud.neutron.port(passed["id"])["device_id"] == passed_id
    time.sleep(1.1)
    sweep(cloud)
    assert cloud.neutron.port(made_port["id"]) is None
    assert unbound(cloud.neutron.port(passed["id"]))
    # Nobody's request: [neutron]'s own credentials, as upstream's
    # periodic task.
    assert deletes(cloud, made_port["id"]) == ["service"]
    for server_id in (made_id, passed_id):
        cloud.app.get(f"{URL}/{server_id}", headers=cloud.member,
                      status=404)


def test_the_reclaim_calls_neutron_after_its_commit(make_neutron_cloud):
    import sqlalchemy

    cloud = make_neutron_cloud(
        default_options="reclaim_instance_interval = 1\n")
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    cloud.app.delete(f"{URL}/{server_id}", headers=cloud.member)
    time.sleep(1.1)
    seen = []
    original = cloud.neutron._delete

    def delete(caller, collection, item):
        # Another writer, while Neutron is being asked: it would wait
        # (and give up) if the sweep's transaction were still open.
        engine = sqlalchemy.create_engine(
            cloud.db_url, connect_args={"timeout": 0.5})
        try:
            with engine.begin() as conn:
                conn.execute(sqlalchemy.text(
                    "UPDATE instances SET display_description = 'x' "
                    "WHERE uuid = :uuid"), {"uuid": server_id})
                seen.append(conn.execute(sqlalchemy.text(
                    "SELECT deleted FROM instances WHERE uuid = :uuid"),
                    {"uuid": server_id}).scalar())
        finally:
            engine.dispose()
        return original(caller, collection, item)

    cloud.neutron._delete = delete
    sweep(cloud)
    assert len(seen) == 1 and seen[0] != 0  # the reclaim was committed
    assert cloud.neutron.port(port["id"]) is None


def test_a_neutron_outage_does_not_fail_the_request_that_reclaims(
        make_neutron_cloud):
    cloud = make_neutron_cloud(
        default_options="reclaim_instance_interval = 1\n")
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    cloud.app.delete(f"{URL}/{server_id}", headers=cloud.member)
    time.sleep(1.1)
    cloud.neutron.stop()
    sweep(cloud)  # 202: the reclaim committed, Neutron's part is logged
    cloud.neutron.start()
    cloud.app.get(f"{URL}/{server_id}", headers=cloud.member, status=404)
    assert cloud.neutron.port(port["id"]) is not None


# -- a build that fails after its ports were bound ---------------------------

def test_an_aborted_build_gives_its_ports_back(make_neutron_cloud):
    cloud = make_neutron_cloud(default_options="vif_plugging_timeout = 1\n")
    cloud.neutron.bind = "deferred"
    made_id = create(cloud)
    made_port, = cloud.neutron.ports_of(made_id)
    passed = cloud.neutron.add_port(cloud.net["id"], "demo")
    passed_id = create(cloud, [{"port": passed["id"]}])
    assert get(cloud.app, made_id, who=cloud.member)["addresses"]
    time.sleep(1.2)
    for server_id in (made_id, passed_id):
        server = get(cloud.app, server_id, who=cloud.member)
        assert server["status"] == "ERROR"
        assert server["addresses"] == {}
        assert server["fault"]["message"] == (
            f"Build of instance {server_id} aborted: Failed to allocate "
            f"the network(s), not rescheduling.")
        ips = cloud.app.get(f"{URL}/{server_id}/ips", headers=cloud.member)
        assert ips.json == {"addresses": {}}
    sweep(cloud)
    assert cloud.neutron.port(made_port["id"]) is None
    assert unbound(cloud.neutron.port(passed["id"]))
    server = get(cloud.app, made_id, who=cloud.member)
    assert (server["status"], server["addresses"]) == ("ERROR", {})
    # Deleting it later has nothing left to give back.
    cloud.neutron.calls.clear()
    cloud.app.delete(f"{URL}/{made_id}", headers=cloud.member)
    assert [c for c in cloud.neutron.calls if c[1].startswith(
        "/v2.0/ports/")] == []


def test_a_plug_in_time_keeps_the_ports(make_neutron_cloud):
    cloud = make_neutron_cloud(default_options="vif_plugging_timeout = 1\n")
    cloud.neutron.bind = "deferred"
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    cloud.neutron.activate(port["id"])
    cloud.app.post_json(EVENTS, {"events": cloud.neutron.take_events()},
                        headers={**cloud.service,
                                 "X-OpenStack-Nova-API-Version": "2.1"})
    time.sleep(1.2)
    sweep(cloud)
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ACTIVE"
    assert list(server["addresses"]) == ["private"]
    assert cloud.neutron.port(port["id"])["device_id"] == server_id


def test_a_failure_after_binding_gives_the_ports_back(make_neutron_cloud):
    cloud = make_neutron_cloud()
    passed = cloud.neutron.add_port(cloud.net["id"], "demo")
    # The ports are made and bound; reading their floating IPs fails.
    cloud.neutron.fail(500, method="GET", path="/v2.0/floatingips")
    server_id = create(cloud, [{"uuid": cloud.net["id"]},
                               {"port": passed["id"]}])
    cloud.neutron.faults.clear()
    server = get(cloud.app, server_id, who=cloud.member)
    assert (server["status"], server["addresses"]) == ("ERROR", {})
    assert [p["id"] for p in cloud.neutron.store["ports"].values()] == [
        passed["id"]]
    assert unbound(cloud.neutron.port(passed["id"]))
    # Deleted as upstream's failed build deletes: the caller, with its
    # service token.
    assert [who for method, path, who, _b in cloud.neutron.calls
            if method == "DELETE"] == ["alice"]
