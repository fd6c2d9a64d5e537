"""A server's Neutron ports follow it when it moves host, as upstream
Nova 34 binds them (with [neutron]'s own credentials, once the move
committed): resize and cold migration (and revert), live migration with
multiple port bindings when Neutron has ``binding-extended`` (a binding
on the destination, activated, the source's deleted) or
``binding:host_id`` updated without it, shelve-offload (unbound from
the host, still the server's) and unshelve (bound on the new host).
When Neutron fails, the server ends as upstream's compute manager
leaves it. Servers boot on h1 (the host with the most free RAM)."""

import pytest

from tests.helpers import boot, get, v

TWO = "hosts = h1:nova:4:4096:100, h2:nova:4:2048:100"


@pytest.fixture
def make(make_neutron_cloud):
    def build(extended=True, action_time=0, default_options=""):
        cloud = make_neutron_cloud(
            default_options=default_options,
            compute_options=f"{TWO}\naction_time = {action_time}\n")
        if not extended:
            cloud.neutron.extensions.remove("binding-extended")
        cloud.app.post_json("/v2.1/flavors", {"flavor": {
            "name": "m1.small", "ram": 1024, "vcpus": 1, "disk": 1,
            "id": "2"}}, headers=cloud.admin)
        return cloud

    return build


def create(cloud):
    server_id = boot(cloud.app, version="2.37", who=cloud.member,
                     networks="auto").json["server"]["id"]
    port, = cloud.neutron.ports_of(server_id)
    assert port["binding:host_id"] == "h1"
    return server_id, port["id"]


def act(cloud, server_id, body, version="2.1", status=202):
    return cloud.app.post_json(f"/v2.1/servers/{server_id}/action", body,
                               headers=v(version, cloud.admin),
                               status=status)


def shown(cloud, server_id):
    """(status, host) as the admin sees the server."""
    server = get(cloud.app, server_id, who=cloud.admin)
    return server["status"], server["OS-EXT-SRV-ATTR:host"]


def bound(cloud, port_id):
    port = cloud.neutron.port(port_id)
    return port["binding:host_id"], port["device_id"] != ""


def calls(cloud, *methods):
    return [(m, p) for m, p, who, _b in cloud.neutron.calls
            if m in methods and "/bindings" in p]


def migrations(cloud, server_id):
    """The server's migrations, as the admin sees them."""
    return cloud.app.get(f"/v2.1/os-migrations?instance_uuid={server_id}",
                         headers=v("2.80", cloud.admin)).json["migrations"]


def faults(cloud, server_id):
    return get(cloud.app, server_id, who=cloud.admin).get("fault", {})


# -- resize and cold migration ----------------------------------------------

def test_resize_binds_the_ports_on_the_new_host_and_revert_back(make):
    cloud = make()
    server_id, port_id = create(cloud)
    act(cloud, server_id, {"resize": {"flavorRef": "2"}})
    assert shown(cloud, server_id) == ("VERIFY_RESIZE", "h2")
    assert bound(cloud, port_id) == ("h2", True)
    # As upstream: binding:host_id and device_owner, as the service.
    update, = [(who, body) for m, p, who, body in cloud.neutron.calls
               if m == "PUT" and p == f"/v2.0/ports/{port_id}"
               and body["port"].get("binding:host_id") == "h2"]
    assert update == ("service", {"port": {
        "binding:host_id": "h2", "device_owner": "compute:nova"}})
    act(cloud, server_id, {"revertResize": None})
    assert shown(cloud, server_id) == ("ACTIVE", "h1")
    assert bound(cloud, port_id) == ("h1", True)


def test_cold_migration_binds_on_the_destination_confirm_keeps_it(make):
    cloud = make()
    server_id, port_id = create(cloud)
    act(cloud, server_id, {"migrate": None})
    assert bound(cloud, port_id) == ("h2", True)
    act(cloud, server_id, {"confirmResize": None}, status=204)
    assert shown(cloud, server_id) == ("ACTIVE", "h2")
    assert bound(cloud, port_id) == ("h2", True)


def test_a_neutron_outage_during_a_resize_puts_the_server_in_error(make):
    cloud = make()
    server_id, port_id = create(cloud)
    cloud.neutron.stop()
    act(cloud, server_id, {"resize": {"flavorRef": "2"}})
    # As upstream's finish_resize: ERROR, a fault, the migration in error.
    assert shown(cloud, server_id) == ("ERROR", "h2")
    assert faults(cloud, server_id)["code"] == 500
    assert "Neutron" in faults(cloud, server_id)["message"]
    assert [m["status"] for m in migrations(cloud, server_id)] \
        == ["error"]
    cloud.neutron.start()
    assert bound(cloud, port_id) == ("h1", True)


# -- live migration -----------------------------------------------------------

LIVE = {"os-migrateLive": {"host": None, "block_migration": "auto"}}


def test_live_migration_uses_multiple_port_bindings(make):
    cloud = make()
    server_id, port_id = create(cloud)
    act(cloud, server_id, LIVE, version="2.30")
    assert shown(cloud, server_id) == ("ACTIVE", "h2")
    path = f"/v2.0/ports/{port_id}/bindings"
    assert calls(cloud, "POST", "PUT", "DELETE") == [
        ("POST", path), ("PUT", f"{path}/h2/activate"),
        ("DELETE", f"{path}/h1")]
    assert cloud.neutron.hosts_of(port_id) == {"h2": "ACTIVE"}
    assert bound(cloud, port_id) == ("h2", True)


def test_live_migration_without_binding_extended_updates_the_host(make):
    cloud = make(extended=False)
    server_id, port_id = create(cloud)
    act(cloud, server_id, LIVE, version="2.30")
    assert calls(cloud, "POST", "PUT", "DELETE") == []
    assert bound(cloud, port_id) == ("h2", True)


def test_an_aborted_live_migration_binds_the_ports_back(make):
    cloud = make(action_time=60)  # a migration long enough to abort
    server_id, port_id = create(cloud)
    act(cloud, server_id, LIVE, version="2.30")
    assert shown(cloud, server_id) == ("MIGRATING", "h2")
    assert cloud.neutron.hosts_of(port_id) == {"h2": "ACTIVE"}
    mid = migrations(cloud, server_id)[0]["id"]
    cloud.app.delete(f"/v2.1/servers/{server_id}/migrations/{mid}",
                     headers=v("2.24", cloud.admin), status=202)
    assert shown(cloud, server_id) == ("ACTIVE", "h1")
    assert cloud.neutron.hosts_of(port_id) == {"h1": "ACTIVE"}


def test_destination_bindings_refused_leave_the_server_on_its_source(
        make):
    cloud = make()
    server_id, port_id = create(cloud)
    cloud.neutron.fail(500, method="POST", path=r"/bindings$")
    act(cloud, server_id, LIVE, version="2.30")
    # As upstream's conductor when bind_ports_to_host fails: the
    # migration in error, the server where it was, a fault.
    assert shown(cloud, server_id) == ("ACTIVE", "h1")
    assert [m["status"] for m in migrations(cloud, server_id)] \
        == ["error"]
    assert cloud.neutron.hosts_of(port_id) == {"h1": "ACTIVE"}


def test_a_failed_activation_puts_the_server_in_error(make):
    cloud = make()
    server_id, port_id = create(cloud)
    cloud.neutron.fail(500, method="PUT", path=r"/activate$")
    act(cloud, server_id, LIVE, version="2.30")
    assert shown(cloud, server_id) == ("ERROR", "h2")
    assert [m["status"] for m in migrations(cloud, server_id)] \
        == ["error"]


# -- shelve-offload and unshelve ---------------------------------------------

KEEP = "shelved_offload_time = -1\n"  # shelved until shelveOffload


def test_offload_unbinds_and_unshelve_binds_on_the_new_host(make):
    cloud = make(default_options=KEEP)
    server_id, port_id = create(cloud)
    act(cloud, server_id, {"shelve": None})
    assert bound(cloud, port_id) == ("h1", True)
    act(cloud, server_id, {"shelveOffload": None})
    assert shown(cloud, server_id) == ("SHELVED_OFFLOADED", None)
    # Unbound from the host, still the server's (upstream's
    # unbind_ports(detach=False)).
    assert bound(cloud, port_id) == ("", True)
    act(cloud, server_id, {"unshelve": {"host": "h2"}}, version="2.91")
    assert shown(cloud, server_id) == ("ACTIVE", "h2")
    assert bound(cloud, port_id) == ("h2", True)


def test_shelve_offloaded_at_once_unbinds(make):
    cloud = make()  # shelved_offload_time = 0, upstream's default
    server_id, port_id = create(cloud)
    act(cloud, server_id, {"shelve": None})
    assert shown(cloud, server_id) == ("SHELVED_OFFLOADED", None)
    assert bound(cloud, port_id) == ("", True)


def test_an_outage_at_unshelve_leaves_the_server_offloaded(make):
    cloud = make()
    server_id, port_id = create(cloud)
    act(cloud, server_id, {"shelve": None})
    cloud.neutron.stop()
    act(cloud, server_id, {"unshelve": None})
    # As upstream's unshelve when the network set-up fails: offloaded
    # again, its host given back.
    assert shown(cloud, server_id) == ("SHELVED_OFFLOADED", None)
    cloud.neutron.start()
    act(cloud, server_id, {"unshelve": None})
    status, host = shown(cloud, server_id)
    assert status == "ACTIVE"
    assert bound(cloud, port_id) == (host, True)


def test_an_outage_at_offload_is_logged_the_offload_stands(make, caplog):
    cloud = make(default_options=KEEP)
    server_id, port_id = create(cloud)
    act(cloud, server_id, {"shelve": None})
    cloud.neutron.stop()
    act(cloud, server_id, {"shelveOffload": None})
    assert shown(cloud, server_id) == ("SHELVED_OFFLOADED", None)
    assert "did not follow it" in caplog.text
