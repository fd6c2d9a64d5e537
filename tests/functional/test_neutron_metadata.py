"""The metadata API for servers whose ports are Neutron's: the guest is
found by its port's address or through Neutron's metadata proxy
(X-Instance-ID signed with the shared secret), and network_data.json is
built from the cached ports as upstream builds it."""

import hashlib
import hmac
import json

import pytest

from tests.functional.neutron_cloud import NeutronCloud
from tests.helpers import boot

SECRET = "s3cret"


@pytest.fixture
def make(config_dir, tmp_path, make_image, httpserver, monkeypatch):
    from nova import loading

    made = []

    def build(**options):
        cloud = NeutronCloud(config_dir, tmp_path, make_image, httpserver,
                             **options)
        made.append(cloud)
        monkeypatch.setattr(loading, "_loaded_api", None)
        cloud.metadata = config_dir.testapp("metadata")
        return cloud

    yield build
    for cloud in made:
        cloud.close()


def create(cloud, networks="auto"):
    return boot(cloud.app, version="2.37", who=cloud.member,
                networks=networks).json["server"]["id"]


def network_data(cloud, address):
    # Served as text/plain, as upstream serves it.
    return json.loads(cloud.metadata.get(
        "/openstack/latest/network_data.json",
        extra_environ={"REMOTE_ADDR": address}).text)


def test_network_data_comes_from_the_ports(make):
    cloud = make()
    static = cloud.neutron.add_network("static", "demo", cidr="10.9.0.0/24",
                                       mtu=9000)
    subnet_id = static["subnets"][0]
    cloud.neutron.store["subnets"][subnet_id].update(
        enable_dhcp=False, dns_nameservers=["10.9.0.53", "10.9.0.54"],
        host_routes=[{"destination": "192.168.0.0/16",
                      "nexthop": "10.9.0.254"}])
    server_id = create(cloud, [{"uuid": cloud.net["id"]},
                               {"uuid": static["id"]}])
    first, second = sorted(cloud.neutron.ports_of(server_id),
                           key=lambda p: p["fixed_ips"][0]["ip_address"])
    body = network_data(cloud, first["fixed_ips"][0]["ip_address"])
    assert body == {
        "links": [
            {"id": ("tap" + first["id"])[:14], "vif_id": first["id"],
             "type": "ovs", "mtu": 1450,
             "ethernet_mac_address": first["mac_address"]},
            {"id": ("tap" + second["id"])[:14], "vif_id": second["id"],
             "type": "ovs", "mtu": 9000,
             "ethernet_mac_address": second["mac_address"]}],
        "networks": [
            # DHCP on the subnet: the guest asks DHCP for its address.
            {"id": "network0", "type": "ipv4_dhcp",
             "link": ("tap" + first["id"])[:14],
             "network_id": cloud.net["id"]},
            {"id": "network1", "type": "ipv4",
             "link": ("tap" + second["id"])[:14],
             "ip_address": second["fixed_ips"][0]["ip_address"],
             "netmask": "255.255.255.0",
             "routes": [
                 {"network": "0.0.0.0", "netmask": "0.0.0.0",
                  "gateway": "10.9.0.1"},
                 {"network": "192.168.0.0", "netmask": "255.255.0.0",
                  "gateway": "10.9.0.254"}],
             "network_id": static["id"],
             "services": [{"type": "dns", "address": "10.9.0.53"},
                          {"type": "dns", "address": "10.9.0.54"}]}],
        "services": [{"type": "dns", "address": "10.9.0.53"},
                     {"type": "dns", "address": "10.9.0.54"}]}


def test_a_dhcp_port_leaves_the_mtu_to_dhcp(make):
    cloud = make()
    subnet_id = cloud.net["subnets"][0]
    cloud.neutron.add_port(cloud.net["id"], "demo",
                           device_owner="network:dhcp",
                           fixed_ips=[{"subnet_id": subnet_id,
                                       "ip_address": "10.0.0.250"}])
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    link, = network_data(cloud, port["fixed_ips"][0]["ip_address"])[
        "links"]
    assert link["mtu"] is None


def test_the_neutron_metadata_proxy_finds_the_server(make):
    cloud = make(neutron_options=f"service_metadata_proxy = true\n"
                                 f"metadata_proxy_shared_secret = {SECRET}\n")
    server_id = create(cloud)
    port, = cloud.neutron.ports_of(server_id)
    signature = hmac.new(SECRET.encode(), server_id.encode(),
                         hashlib.sha256).hexdigest()
    headers = {"X-Instance-ID": server_id,
               "X-Instance-ID-Signature": signature,
               "X-Tenant-ID": "demo",
               "X-Forwarded-For": port["fixed_ips"][0]["ip_address"]}
    meta = cloud.metadata.get("/openstack/latest/meta_data.json",
                              headers=headers).json
    assert meta["uuid"] == server_id
    links = json.loads(cloud.metadata.get(
        "/openstack/latest/network_data.json", headers=headers).text)[
        "links"]
    assert [link["vif_id"] for link in links] == [port["id"]]
    ec2 = cloud.metadata.get("/latest/meta-data/local-ipv4",
                             headers=headers).text
    assert ec2 == port["fixed_ips"][0]["ip_address"]
    headers["X-Instance-ID-Signature"] = "0" * 64
    cloud.metadata.get("/openstack/latest/meta_data.json", headers=headers,
                       status=403)
