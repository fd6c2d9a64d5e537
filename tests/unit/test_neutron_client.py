"""nova.clients.neutron against the fake Neutron (a real HTTP server):
the wire format both ways, and Neutron's errors as the project's."""

import pytest

from nova import context as nova_context
from nova import exception
from nova.clients import auth
from nova.clients import neutron as neutron_client
from tests.fake_keystone import FakeKeystone
from tests.fakes.neutron import FakeNeutron
from tests.helpers import conf_of


@pytest.fixture
def keystone(httpserver):
    return FakeKeystone(httpserver)


@pytest.fixture
def fake(keystone):
    neutron = FakeNeutron(keystone)
    yield neutron
    neutron.stop()


def neutron_conf(keystone, timeout=None):
    text = f"""
[neutron]
{keystone.password_auth()}"""
    if timeout:
        # No retries: a slow Neutron fails after one timeout.
        text += f"timeout = {timeout}\nhttp_retries = 0\n"
    return text


@pytest.fixture
def service_auth(config_dir, keystone, fake):
    config_dir.paste()
    config_dir.write("nova.conf", neutron_conf(keystone, timeout=2))
    conf = conf_of(config_dir)
    neutron_client._EXTENSIONS.clear()
    return auth.ServiceAuth(conf)


def member(keystone, project="demo"):
    token = keystone.issue("alice", project, ["member", "reader"])
    body = keystone.tokens[token]["token"]
    return nova_context.RequestContext(
        user_id="alice", project_id=project, roles=["member", "reader"],
        auth_token=token, service_catalog=body["catalog"])


def test_resource_keys():
    assert neutron_client.resource_key("security-groups") == "security_group"
    assert neutron_client.resource_key("ports") == "port"
    assert neutron_client.resource_key("floatingips") == "floatingip"
    assert neutron_client.resource_key("quotas") == "quota"


def test_a_member_creates_and_reads_ports(service_auth, keystone, fake):
    net = fake.add_network("private", "demo", cidr="10.0.0.0/24")
    user = neutron_client.Neutron.for_user(service_auth, member(keystone))
    port = user.create("ports", {"network_id": net["id"],
                                 "admin_state_up": True})
    assert port["mac_address"].startswith("fa:16:3e:")
    assert port["fixed_ips"][0]["ip_address"] == "10.0.0.2"
    assert port["status"] == "DOWN"
    assert "binding:host_id" not in port  # hidden from members
    assert [p["id"] for p in user.list("ports", network_id=net["id"])] == [
        port["id"]]
    groups = user.list("security-groups", name="default")
    assert port["security_groups"] == [groups[0]["id"]]
    # The service binds it: ACTIVE at once (fakebind).
    service = neutron_client.Neutron.for_service(service_auth)
    bound = service.update("ports", port["id"], {
        "device_id": "srv", "device_owner": "compute:nova",
        "binding:host_id": "host1", "binding:profile": {}})
    assert (bound["status"], bound["binding:vif_type"]) == ("ACTIVE", "ovs")
    assert fake.take_events() == [{
        "name": "network-vif-plugged", "server_uuid": "srv",
        "tag": port["id"], "status": "completed"}]
    assert "network" in [c for c in
                         [neutron_client.resource_key("networks")]]


def test_neutron_errors_become_the_projects(service_auth, keystone, fake):
    net = fake.add_network("private", "demo", cidr="10.0.0.0/24")
    user = neutron_client.Neutron.for_user(service_auth, member(keystone))
    with pytest.raises(exception.NotFound) as caught:
        user.show("networks", "nope")
    assert caught.value.neutron_type == "NetworkNotFound"
    assert caught.value.message == "network nope could not be found."
    user.create("ports", {"network_id": net["id"],
                          "fixed_ips": [{"ip_address": "10.0.0.9"}]})
    with pytest.raises(exception.Conflict) as caught:
        user.create("ports", {"network_id": net["id"],
                              "fixed_ips": [{"ip_address": "10.0.0.9"}]})
    assert caught.value.neutron_type == "IpAddressAlreadyAllocated"
    with pytest.raises(exception.Invalid):
        user.create("ports", {"network_id": net["id"],
                              "fixed_ips": [{"ip_address": "192.0.2.1"}]})
    fake.set_quota("demo", port=1)
    with pytest.raises(exception.QuotaExceeded) as caught:
        user.create("ports", {"network_id": net["id"]})
    assert caught.value.neutron_type == "OverQuota"
    with pytest.raises(exception.Forbidden):
        user.create("ports", {"network_id": net["id"],
                              "binding:host_id": "h"})
    fake.fail(500, method="GET", path="/ports", times=1)
    with pytest.raises(exception.Unavailable):
        user.list("ports")
    assert user.list("ports")  # once only


def test_a_member_deletes_compute_ports_only_with_a_service_token(
        service_auth, keystone, fake):
    net = fake.add_network("private", "demo")
    port = fake.add_port(net["id"], "demo", device_id="srv",
                         device_owner="compute:nova")
    user = neutron_client.Neutron.for_user(service_auth, member(keystone))
    with pytest.raises(exception.Forbidden):
        user.delete("ports", port["id"])
    neutron_client.Neutron.for_service(service_auth).delete(
        "ports", port["id"])
    assert fake.port(port["id"]) is None
    user.delete("ports", port["id"], missing_ok=True)


def test_outage_and_slowness_are_unavailable(service_auth, keystone, fake):
    user = neutron_client.Neutron.for_user(service_auth, member(keystone))
    assert "binding" in user.extensions()
    fake.delay = 3  # [neutron] timeout = 2
    with pytest.raises(exception.Unavailable):
        user.list("networks")
    fake.delay = 0
    fake.stop()
    with pytest.raises(exception.Unavailable):
        user.list("networks")
    fake.start()
    assert user.list("networks") == []


def test_quota_and_auto_allocation(service_auth, keystone, fake):
    user = neutron_client.Neutron.for_user(service_auth, member(keystone))
    assert user.quota("demo")["port"] == 500
    fake.set_quota("demo", port=3)
    assert user.quota("demo", details=True)["port"] == {
        "limit": 3, "used": 0, "reserved": 0}
    with pytest.raises(exception.Conflict):
        user.show("auto-allocated-topology", "demo")
    fake.add_network("public", "admin", external=True, is_default=True)
    topology = user.show("auto-allocated-topology", "demo")
    assert user.show("networks", topology["id"])["name"] == \
        "auto_allocated_network"
