"""The compute API against the real Keystone 30, Glance 33 and Neutron 29
of tools/openstack-services.sh.

The API runs under gunicorn (tests/deploy/servers.py) from a config
directory whose nova.conf is the one an upstream Nova operator writes
(``operator_nova_conf`` in conftest.py: Keystone auth, [glance],
[neutron] and [service_user] with the service user ``nova``, endpoints
from the catalog). Its /v2.1 is the catalog's ``compute`` endpoint
(``register-compute``), so Neutron sends its os-server-external-events
to it. Clients are keystoneauth sessions of the member ``demo`` and the
cloud ``admin``; what Neutron holds is read back as the service user.

Proven against the real services:

- boot with ``networks: auto``, a network uuid, an existing port and a
  fixed IP: the Neutron port's device_id, device_owner compute:nova,
  binding:host_id (the server's host), ACTIVE, vif_type ovs; the server
  ACTIVE with the port's addresses and MAC; Neutron's
  network-vif-plugged logged by the API as accepted;
- delete: the ports the API made are gone, a passed-in port unbound;
- os-interface attach (net_id), list with port_state, detach, and the
  addresses following;
- os-security-groups (2.35) and add/removeSecurityGroup on the port;
- a floating IP from ``public`` (2.35), add/removeFloatingIp;
- [keystone] project validation of os-quota-sets;
- a second API whose Neutron cannot be reached: 503, no server left;
- boot from Glance's image, shown in the server's views; createImage
  makes an active snapshot in Glance (instance_uuid, image_type
  snapshot), its URL in Location before 2.45, its id in the body from
  2.45; the /v2.1/images proxy lists, shows and deletes it (2.35); an
  image Glance does not have is 400.
"""

import contextlib
import random
import time
import uuid

import pytest

from tests.integration.conftest import ComputeAPI

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

WAIT = 30  # seconds any transition or Neutron event may take
HOST = "compute1"  # the built-in driver's default [compute] hosts
FLAVOR = "integ-tiny"


# -- fixtures -----------------------------------------------------------------

@pytest.fixture(scope="module")
def cloud(openstack_services):
    return openstack_services


@pytest.fixture(scope="module")
def api(cloud, tmp_path_factory):
    server = ComputeAPI(cloud, tmp_path_factory.mktemp("compute-api"))
    started = time.monotonic()
    try:
        server.start()
        cloud.register_compute(server.url)
        print(f"compute API at {server.url}, registered in "
              f"{time.monotonic() - started:.1f} s")
        yield server
        # Neutron sends the last deletes' events up to 2 s later: let
        # them arrive rather than fail in its log.
        time.sleep(2.5)
    finally:
        server.stop()
        print(f"----- compute API log -----\n{server.logs()[-20000:]}")


class Compute:
    """The compute endpoint of the catalog for one keystoneauth session;
    requests raise no exception on an error status."""

    def __init__(self, cloud, session, version="2.1"):
        self.adapter = cloud.api(session, "compute")
        self.version = version

    def call(self, method, path, version=None, **kwargs):
        kwargs.setdefault("timeout", WAIT)
        return self.adapter.request(
            path, method, microversion=version or self.version,
            **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, body, **kwargs):
        return self.call("POST", path, json=body, **kwargs)

    def put(self, path, body, **kwargs):
        return self.call("PUT", path, json=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)

    def server(self, server_id):
        response = self.get(f"/servers/{server_id}")
        assert response.status_code == 200, response.text
        return response.json()["server"]

    def action(self, server_id, body, version=None):
        return self.post(f"/servers/{server_id}/action", body,
                         version=version)


@pytest.fixture(scope="module")
def admin(cloud, api):
    return Compute(cloud, cloud.admin())


@pytest.fixture(scope="module")
def demo(cloud, api):
    return Compute(cloud, cloud.demo())


@pytest.fixture(scope="module")
def neutron(cloud):
    """Neutron as the service user: sees every port and its binding."""
    return cloud.api(cloud.nova(), "network")


@pytest.fixture(scope="module")
def flavor(admin, api):
    response = admin.post("/flavors", {"flavor": {
        "name": FLAVOR, "id": FLAVOR, "ram": 64, "vcpus": 1, "disk": 1}})
    assert response.status_code == 200, response.text
    return FLAVOR


@pytest.fixture(scope="module")
def image(cloud, api):
    """The image servers boot from: Glance's ``osvc-image``."""
    return cloud["image_id"]


@pytest.fixture
def servers(demo, admin):
    """Boot as demo; every server made is deleted at the end."""
    made = []

    def boot(version="2.1", expect=202, **fields):
        body = {"server": {"name": f"integ-{uuid.uuid4().hex[:8]}",
                           **fields}}
        response = demo.post("/servers", body, version=version)
        assert response.status_code == expect, response.text
        if expect == 202:
            made.append(response.json()["server"]["id"])
        return response

    yield boot
    for server_id in made:
        with contextlib.suppress(Exception):
            admin.delete(f"/servers/{server_id}")
    for server_id in made:
        with contextlib.suppress(Exception):
            wait_gone(admin, server_id)


# -- helpers ------------------------------------------------------------------

def wait_for(predicate, what, timeout=WAIT, interval=0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s: {what}")
        time.sleep(interval)


def wait_status(compute, server_id, status="ACTIVE"):
    def check():
        server = compute.server(server_id)
        assert server["status"] != "ERROR" or status == "ERROR", \
            server.get("fault")
        return server if server["status"] == status else None
    return wait_for(check, f"server {server_id} {status}")


def wait_gone(compute, server_id):
    wait_for(lambda: compute.get(f"/servers/{server_id}").status_code
             == 404, f"server {server_id} gone")


def port_of(neutron, port_id):
    response = neutron.get(f"/v2.0/ports/{port_id}")
    return response.json()["port"] if response.status_code == 200 else None


def ports_of(neutron, server_id):
    response = neutron.get("/v2.0/ports", params={"device_id": server_id})
    assert response.status_code == 200, response.text
    return response.json()["ports"]


def addresses(server):
    """{(network name, address, type, MAC)} of a server view."""
    return {(net, a["addr"], a.get("OS-EXT-IPS:type"),
             a.get("OS-EXT-IPS-MAC:mac_addr"))
            for net, items in server["addresses"].items() for a in items}


def port_addresses(port, network="private"):
    return {(network, ip["ip_address"], "fixed", port["mac_address"])
            for ip in port["fixed_ips"]}


def event_line(name, server_id, port_id):
    """What the API logs when it accepts Neutron's event."""
    return (f"Creating event {name}:{port_id} for instance {server_id} "
            f"on {HOST}")


def plugged_line(server_id, port_id):
    return event_line("network-vif-plugged", server_id, port_id)


def member_port(cloud, **fields):
    member = cloud.api(cloud.demo(), "network")
    response = member.post("/v2.0/ports", json={"port": {
        "network_id": cloud["private_network_id"], **fields}})
    assert response.status_code == 201, response.text
    return response.json()["port"]


@pytest.fixture
def own_network(cloud):
    """A network and subnet of project demo (deleted at the end): a
    member may ask for a fixed IP only on a network of its project
    (Neutron's policy create_port:fixed_ips:ip_address), not on the
    shared ``private``."""
    member = cloud.api(cloud.demo(), "network")
    network = member.post("/v2.0/networks", json={"network": {
        "name": f"integ-{uuid.uuid4().hex[:6]}"}})
    assert network.status_code == 201, network.text
    network = network.json()["network"]
    subnet = member.post("/v2.0/subnets", json={"subnet": {
        "network_id": network["id"], "ip_version": 4,
        "cidr": "10.9.8.0/24", "enable_dhcp": False}})
    assert subnet.status_code == 201, subnet.text
    try:
        yield network
    finally:
        for port in member.get("/v2.0/ports", params={
                "network_id": network["id"]}).json()["ports"]:
            member.delete(f"/v2.0/ports/{port['id']}")
        member.delete(f"/v2.0/networks/{network['id']}")


# -- boot and delete ----------------------------------------------------------

def _networks(kind, cloud, request):
    """(microversion, networks field, passed-in port or None, network)."""
    private = cloud["private_network_id"]
    if kind == "auto":
        return "2.37", "auto", None, private
    if kind == "uuid":
        return "2.1", [{"uuid": private}], None, private
    if kind == "port":
        port = member_port(cloud)
        return "2.1", [{"port": port["id"]}], port, private
    network = request.getfixturevalue("own_network")
    address = f"10.9.8.{random.randrange(100, 250)}"
    return ("2.1", [{"uuid": network["id"], "fixed_ip": address}], None,
            network["id"])


@pytest.mark.parametrize("kind", ["auto", "uuid", "port", "fixed_ip"])
def test_boot_binds_a_neutron_port_and_delete_gives_it_back(
        kind, cloud, api, demo, admin, neutron, flavor, image, servers,
        request):
    version, networks, passed, network_id = _networks(kind, cloud, request)
    started = time.monotonic()

    server_id = servers(version=version, imageRef=image, flavorRef=flavor,
                        networks=networks).json()["server"]["id"]
    server = wait_status(demo, server_id)
    active_after = time.monotonic() - started

    ports = ports_of(neutron, server_id)
    assert len(ports) == 1, ports
    port = ports[0]
    assert port["device_owner"] == "compute:nova"
    assert port["binding:host_id"] == HOST
    assert admin.server(server_id)["OS-EXT-SRV-ATTR:host"] == HOST
    assert port["status"] == "ACTIVE"
    assert port["binding:vif_type"] == "ovs"
    assert port["network_id"] == network_id
    assert port["tenant_id"] == cloud["demo_project_id"]
    if passed:
        assert port["id"] == passed["id"]
    if kind == "fixed_ip":
        assert [ip["ip_address"] for ip in port["fixed_ips"]] \
            == [networks[0]["fixed_ip"]]
    name = neutron.get(f"/v2.0/networks/{network_id}").json()["network"][
        "name"]
    assert addresses(server) == port_addresses(port, name)
    assert api.wait_in_log(plugged_line(server_id, port["id"]), WAIT), \
        "no network-vif-plugged from Neutron reached the API"
    events_after = time.monotonic() - started

    response = demo.delete(f"/servers/{server_id}")
    assert response.status_code == 204, response.text
    wait_gone(demo, server_id)

    if passed:
        after = wait_for(lambda: (lambda p: p if p and not p["device_id"]
                                  else None)(port_of(neutron, passed["id"])),
                         "the passed-in port unbound")
        assert after["device_id"] == ""
        assert after["device_owner"] == ""
        assert after["binding:host_id"] == ""
        assert after["status"] == "DOWN"
    else:
        wait_for(lambda: port_of(neutron, port["id"]) is None,
                 f"port {port['id']} deleted")
        neutron.delete(f"/v2.0/ports/{port['id']}")
    if passed:
        neutron.delete(f"/v2.0/ports/{passed['id']}")
    print(f"{kind}: ACTIVE after {active_after:.1f} s, "
          f"network-vif-plugged logged after {events_after:.1f} s")


# -- on a running server ------------------------------------------------------

@pytest.fixture
def running(cloud, demo, flavor, image, servers, neutron):
    """An ACTIVE server of demo on ``private``, and its one port."""
    server_id = servers(imageRef=image, flavorRef=flavor, networks=[
        {"uuid": cloud["private_network_id"]}]).json()["server"]["id"]
    wait_status(demo, server_id)
    (port,) = ports_of(neutron, server_id)
    return server_id, port


def wait_addresses(demo, server_id, wanted, what):
    return wait_for(lambda: addresses(demo.server(server_id)) == wanted,
                    what)


def test_interface_attach_list_detach(cloud, api, demo, neutron, running):
    server_id, first = running
    base = f"/servers/{server_id}/os-interface"

    attached = demo.post(base, {"interfaceAttachment": {
        "net_id": cloud["private_network_id"]}})

    assert attached.status_code == 200, attached.text
    attachment = attached.json()["interfaceAttachment"]
    port = port_of(neutron, attachment["port_id"])
    assert attachment["net_id"] == cloud["private_network_id"]
    assert attachment["mac_addr"] == port["mac_address"]
    assert attachment["fixed_ips"] == [
        {"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]}
        for ip in port["fixed_ips"]]
    assert (port["device_id"], port["device_owner"],
            port["binding:host_id"]) == (server_id, "compute:nova", HOST)
    assert wait_for(lambda: port_of(neutron, port["id"])["status"]
                    == "ACTIVE", "the attached port ACTIVE")
    listed = demo.get(base)
    assert listed.status_code == 200, listed.text
    states = {i["port_id"]: i["port_state"]
              for i in listed.json()["interfaceAttachments"]}
    assert states == {first["id"]: "ACTIVE", port["id"]: "ACTIVE"}
    both = port_addresses(first) | port_addresses(port)
    wait_addresses(demo, server_id, both, "the new port's addresses")
    assert api.wait_in_log(plugged_line(server_id, port["id"]), WAIT)

    detached = demo.delete(f"{base}/{port['id']}")

    assert detached.status_code == 202, detached.text
    wait_for(lambda: port_of(neutron, port["id"]) is None,
             "the attached port deleted")
    listed = demo.get(base).json()["interfaceAttachments"]
    assert [i["port_id"] for i in listed] == [first["id"]]
    wait_addresses(demo, server_id, port_addresses(first),
                   "addresses without the detached port")
    assert api.wait_in_log(event_line("network-vif-deleted", server_id,
                                      port["id"]), WAIT)


def test_security_groups_on_the_port(cloud, demo, neutron, running):
    server_id, port = running
    name = f"integ-sg-{uuid.uuid4().hex[:6]}"
    made = demo.post("/os-security-groups", {"security_group": {
        "name": name, "description": "integration"}}, version="2.35")
    assert made.status_code == 200, made.text
    group = made.json()["security_group"]
    try:
        in_neutron = neutron.get(f"/v2.0/security-groups/{group['id']}")
        assert in_neutron.status_code == 200, in_neutron.text
        assert in_neutron.json()["security_group"]["tenant_id"] \
            == cloud["demo_project_id"]
        default = [g["id"] for g in neutron.get("/v2.0/security-groups",
                   params={"tenant_id": cloud["demo_project_id"],
                           "name": "default"}).json()["security_groups"]]
        assert port_of(neutron, port["id"])["security_groups"] == default

        added = demo.action(server_id, {"addSecurityGroup": {"name": name}})

        assert added.status_code == 202, added.text
        assert set(port_of(neutron, port["id"])["security_groups"]) \
            == {*default, group["id"]}
        shown = demo.get(f"/servers/{server_id}/os-security-groups")
        assert {g["name"] for g in shown.json()["security_groups"]} \
            == {"default", name}
        assert {g["name"] for g in demo.server(server_id)[
            "security_groups"]} == {"default", name}

        removed = demo.action(server_id,
                              {"removeSecurityGroup": {"name": name}})

        assert removed.status_code == 202, removed.text
        assert port_of(neutron, port["id"])["security_groups"] == default
    finally:
        gone = demo.delete(f"/os-security-groups/{group['id']}",
                           version="2.35")
        assert gone.status_code == 202, gone.text


def test_floating_ip_from_public(cloud, api, demo, neutron, running):
    server_id, port = running
    made = demo.post("/os-floating-ips", {}, version="2.35")
    assert made.status_code == 200, made.text
    floating = made.json()["floating_ip"]
    try:
        assert floating["pool"] == "public"
        assert floating["instance_id"] is None
        fip = neutron.get(f"/v2.0/floatingips/{floating['id']}").json()[
            "floatingip"]
        assert fip["floating_ip_address"] == floating["ip"]
        assert fip["floating_network_id"] == cloud["public_network_id"]

        added = demo.action(server_id, {"addFloatingIp": {
            "address": floating["ip"]}}, version="2.35")

        assert added.status_code == 202, added.text
        fip = neutron.get(f"/v2.0/floatingips/{floating['id']}").json()[
            "floatingip"]
        assert fip["port_id"] == port["id"]
        fixed = port_addresses(port)
        with_floating = fixed | {("private", floating["ip"], "floating",
                                  port["mac_address"])}
        wait_addresses(demo, server_id, with_floating,
                       "the floating IP in the addresses")
        shown = demo.get(f"/os-floating-ips/{floating['id']}",
                         version="2.35").json()["floating_ip"]
        assert shown["instance_id"] == server_id
        assert shown["fixed_ip"] == port["fixed_ips"][0]["ip_address"]

        removed = demo.action(server_id, {"removeFloatingIp": {
            "address": floating["ip"]}}, version="2.35")

        assert removed.status_code == 202, removed.text
        assert neutron.get(f"/v2.0/floatingips/{floating['id']}").json()[
            "floatingip"]["port_id"] is None
        wait_addresses(demo, server_id, fixed,
                       "the floating IP gone from the addresses")

        # Changed in Neutron alone: only its network-changed tells.
        member = cloud.api(cloud.demo(), "network")
        moved = member.put(f"/v2.0/floatingips/{floating['id']}", json={
            "floatingip": {"port_id": port["id"]}})
        assert moved.status_code == 200, moved.text
        wait_addresses(demo, server_id, with_floating,
                       "the floating IP associated in Neutron shown")
        moved = member.put(f"/v2.0/floatingips/{floating['id']}", json={
            "floatingip": {"port_id": None}})
        assert moved.status_code == 200, moved.text
        wait_addresses(demo, server_id, fixed,
                       "the floating IP dissociated in Neutron gone")
    finally:
        gone = demo.delete(f"/os-floating-ips/{floating['id']}",
                           version="2.35")
        assert gone.status_code == 202, gone.text
    assert neutron.get(f"/v2.0/floatingips/{floating['id']}"
                       ).status_code == 404


# -- Keystone -----------------------------------------------------------------

def test_quota_sets_check_the_project_with_keystone(cloud, admin):
    unknown = uuid.uuid4().hex
    body = {"quota_set": {"instances": 7}}

    refused = admin.put(f"/os-quota-sets/{unknown}", body)

    assert refused.status_code == 400, refused.text
    assert refused.json() == {"badRequest": {
        "code": 400,
        "message": f"Project ID {unknown} is not a valid project."}}
    accepted = admin.put(f"/os-quota-sets/{cloud['demo_project_id']}", body)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["quota_set"]["instances"] == 7
    assert admin.delete(f"/os-quota-sets/{cloud['demo_project_id']}"
                        ).status_code == 202


# -- a Neutron that cannot be reached ---------------------------------------

def test_neutron_unreachable_gives_503_and_no_server(
        cloud, api, flavor, image, tmp_path):
    """A second API (not in the catalog) whose [neutron]
    endpoint_override is a closed port; Keystone and Glance are the
    shared ones, nothing shared is stopped."""
    from tests.deploy import servers as deploy

    closed = f"http://127.0.0.1:{deploy.free_port()}"
    other = ComputeAPI(cloud, tmp_path / "outage", neutron_override=closed)
    other.start()
    try:
        demo = Compute(cloud, cloud.demo())
        demo.adapter.endpoint_override = other.url
        admin = Compute(cloud, cloud.admin())
        admin.adapter.endpoint_override = other.url
        assert admin.post("/flavors", {"flavor": {
            "name": FLAVOR, "id": FLAVOR, "ram": 64, "vcpus": 1,
            "disk": 1}}).status_code == 200
        started = time.monotonic()

        response = demo.post("/servers", {"server": {
            "name": "outage", "imageRef": image, "flavorRef": FLAVOR,
            "networks": [{"uuid": cloud["private_network_id"]}]}})

        took = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.json() == {"serviceUnavailable": {
            "code": 503,
            "message": "Neutron is unavailable; try again later."}}
        assert demo.get("/servers").json()["servers"] == []
        assert admin.get("/servers/detail", params={
            "all_tenants": "1", "deleted": "1"}).json()["servers"] == []
        print(f"503 from the API without Neutron after {took:.1f} s")
    finally:
        other.stop()


# -- Glance -------------------------------------------------------------------

def glance_image(cloud, image_id):
    """The image as Glance shows it to demo, or None (404)."""
    response = cloud.api(cloud.demo(), "image").get(f"/v2/images/{image_id}")
    return response.json() if response.status_code == 200 else None


def test_boot_from_glance_and_snapshot_into_it(cloud, api, demo, flavor,
                                               image, servers):
    server_id = servers(imageRef=image, flavorRef=flavor, networks=[
        {"uuid": cloud["private_network_id"]}]).json()["server"]["id"]
    server = wait_status(demo, server_id)
    assert server["image"]["id"] == image
    assert server["image"]["links"] == [{
        "rel": "bookmark", "href": f"{api.root}/images/{image}"}]
    shown = demo.get(f"/servers/{server_id}", version="2.98").json()[
        "server"]
    assert shown["image"]["properties"] == {}  # osvc-image has none

    # Before 2.45: the new image's URL in Location, no body.
    made = demo.action(server_id, {"createImage": {
        "name": "integ-snap", "metadata": {"purpose": "integration"}}})
    assert made.status_code == 202, made.text
    location = made.headers["Location"]
    snapshot = location.rsplit("/", 1)[1]
    assert location == f"{api.url}/images/{snapshot}"
    # From 2.45: image_id in the body.
    second = demo.action(server_id, {"createImage": {"name": "integ-2"}},
                         version="2.45")
    assert second.status_code == 202, second.text
    second_id = second.json()["image_id"]
    try:
        for image_id in (snapshot, second_id):
            found = wait_for(
                lambda i=image_id: (lambda g: g if g and g["status"]
                                    == "active" else None)(
                    glance_image(cloud, i)), f"image {image_id} active")
            assert found["instance_uuid"] == server_id
            assert found["image_type"] == "snapshot"
            assert found["base_image_ref"] == image
            assert found["owner"] == cloud["demo_project_id"]
            assert found["visibility"] == "private"
        assert glance_image(cloud, snapshot)["purpose"] == "integration"
        wait_status(demo, server_id)  # the snapshots' task is done

        # The image proxy, up to 2.35.
        listed = demo.get("/images/detail", version="2.35")
        assert listed.status_code == 200, listed.text
        by_id = {i["id"]: i for i in listed.json()["images"]}
        assert {image, snapshot, second_id} <= set(by_id)
        proxied = demo.get(f"/images/{snapshot}", version="2.35").json()[
            "image"]
        assert proxied["status"] == "ACTIVE"
        assert proxied["name"] == "integ-snap"
        assert proxied["metadata"]["instance_uuid"] == server_id
        assert proxied["metadata"]["image_type"] == "snapshot"
        assert proxied["metadata"]["purpose"] == "integration"
        assert proxied["server"] == {"id": server_id, "links": [
            {"rel": "self", "href": f"{api.url}/servers/{server_id}"},
            {"rel": "bookmark",
             "href": f"{api.root}/servers/{server_id}"}]}
        assert demo.get(f"/images/{snapshot}",
                        version="2.36").status_code == 404

        deleted = demo.delete(f"/images/{snapshot}", version="2.35")

        assert deleted.status_code == 204, deleted.text
        assert glance_image(cloud, snapshot) is None
        assert demo.get(f"/images/{snapshot}",
                        version="2.35").status_code == 404
    finally:
        glance = cloud.api(cloud.demo(), "image")
        for image_id in (snapshot, second_id):
            glance.delete(f"/v2/images/{image_id}")


def test_boot_from_an_image_glance_does_not_have(cloud, demo, flavor,
                                                 servers):
    name = f"integ-noimage-{uuid.uuid4().hex[:6]}"
    response = servers(expect=400, name=name, imageRef=str(uuid.uuid4()),
                       flavorRef=flavor, networks=[
                           {"uuid": cloud["private_network_id"]}])
    assert response.json() == {"badRequest": {
        "code": 400, "message": "Can not find requested image"}}
    assert name not in {s["name"] for s in
                        demo.get("/servers").json()["servers"]}
