"""os-interface with [neutron]: list/show with port_state, attach
(net_id, port_id, fixed_ips) and detach, as upstream."""

import pytest

from tests.functional.neutron_cloud import NeutronCloud
from tests.helpers import URL, boot, fault, get, v


@pytest.fixture
def cloud(config_dir, tmp_path, make_image, httpserver):
    made = NeutronCloud(config_dir, tmp_path, make_image, httpserver)
    yield made
    made.close()


def server(cloud, networks="auto"):
    return boot(cloud.app, version="2.37", who=cloud.member,
                networks=networks).json["server"]["id"]


def attach(cloud, server_id, body, status=200, version="2.70"):
    return cloud.app.post_json(
        f"{URL}/{server_id}/os-interface", {"interfaceAttachment": body},
        headers=v(version, cloud.member), status=status)


def listing(cloud, server_id):
    return cloud.app.get(f"{URL}/{server_id}/os-interface",
                         headers=v("2.70", cloud.member)).json[
        "interfaceAttachments"]


def test_list_and_show_come_from_neutron(cloud):
    server_id = server(cloud)
    port, = cloud.neutron.ports_of(server_id)
    item, = listing(cloud, server_id)
    assert item == {
        "port_id": port["id"], "net_id": cloud.net["id"],
        "mac_addr": port["mac_address"], "port_state": "ACTIVE",
        "fixed_ips": port["fixed_ips"], "tag": None}
    shown = cloud.app.get(f"{URL}/{server_id}/os-interface/{port['id']}",
                          headers=cloud.member).json["interfaceAttachment"]
    assert shown["port_state"] == "ACTIVE"
    resp = cloud.app.get(
        f"{URL}/{server_id}/os-interface/"
        f"5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b01", headers=cloud.member,
        status=404)
    assert fault(resp, "itemNotFound", 404)


def test_attach_on_a_network_and_detach(cloud):
    server_id = server(cloud, "none")
    attached = attach(cloud, server_id, {
        "net_id": cloud.net["id"],
        "fixed_ips": [{"ip_address": "10.0.0.77"}]}).json[
        "interfaceAttachment"]
    assert attached["fixed_ips"][0]["ip_address"] == "10.0.0.77"
    assert attached["port_state"] == "ACTIVE"
    port = cloud.neutron.port(attached["port_id"])
    assert (port["device_id"], port["device_owner"]) == (
        server_id, "compute:nova")
    addresses = get(cloud.app, server_id, who=cloud.member)["addresses"]
    assert addresses["private"][0]["addr"] == "10.0.0.77"
    cloud.app.delete(f"{URL}/{server_id}/os-interface/{port['id']}",
                     headers=cloud.member, status=202)
    assert cloud.neutron.port(port["id"]) is None  # nova made it
    assert get(cloud.app, server_id, who=cloud.member)["addresses"] == {}
    resp = cloud.app.delete(f"{URL}/{server_id}/os-interface/{port['id']}",
                            headers=cloud.member, status=404)
    assert fault(resp, "itemNotFound", 404) == (
        f"Port id {port['id']} could not be found.")


def test_attach_a_port_then_detach_unbinds_it(cloud):
    server_id = server(cloud, "none")
    port = cloud.neutron.add_port(cloud.net["id"], "demo")
    attach(cloud, server_id, {"port_id": port["id"]})
    assert cloud.neutron.port(port["id"])["device_id"] == server_id
    resp = attach(cloud, server(cloud, "none"), {"port_id": port["id"]},
                  status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Port {port['id']} is still in use.")
    cloud.app.delete(f"{URL}/{server_id}/os-interface/{port['id']}",
                     headers=cloud.member, status=202)
    left = cloud.neutron.port(port["id"])
    assert (left["device_id"], left["device_owner"]) == ("", "")


def test_attach_errors(cloud):
    server_id = server(cloud, "none")
    resp = attach(cloud, server_id, {
        "net_id": "5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b01"}, status=404)
    assert fault(resp, "itemNotFound", 404) == (
        "Network 5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b01 could not be found.")
    resp = attach(cloud, server_id, {
        "port_id": "5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b02"}, status=404)
    assert fault(resp, "itemNotFound", 404)
    resp = attach(cloud, server_id, {"net_id": cloud.net["id"],
                                     "port_id": cloud.net["id"]},
                  status=400)
    assert fault(resp, "badRequest", 400) == (
        "Must not input both network_id and port_id")
    cloud.neutron.stop()
    resp = attach(cloud, server_id, {"net_id": cloud.net["id"]}, status=503)
    cloud.neutron.start()
    # Without a network named: the project's one network.
    attached = attach(cloud, server_id, {}).json["interfaceAttachment"]
    assert attached["net_id"] == cloud.net["id"]


def test_an_attach_that_fails_to_bind_is_upstreams_attach_failure(cloud):
    server_id = server(cloud, "none")
    passed = cloud.neutron.add_port(cloud.net["id"], "demo")
    cloud.neutron.bind = "failed"
    resp = attach(cloud, server_id, {"net_id": cloud.net["id"]},
                  status=500)
    # Upstream's InterfaceAttachFailed, not "Unexpected API Error".
    assert fault(resp, "computeFault", 500) == (
        f"Failed to attach network adapter device to {server_id}")
    resp = attach(cloud, server_id, {"port_id": passed["id"]}, status=500)
    assert fault(resp, "computeFault", 500) == (
        f"Failed to attach network adapter device to {server_id}")
    # The port it made is gone, the one passed in unbound.
    assert list(cloud.neutron.store["ports"]) == [passed["id"]]
    left = cloud.neutron.port(passed["id"])
    assert (left["device_id"], left["binding:host_id"]) == ("", "")
    assert get(cloud.app, server_id, who=cloud.member)["addresses"] == {}
    actions = cloud.app.get(f"{URL}/{server_id}/os-instance-actions",
                            headers=cloud.member).json["instanceActions"]
    assert [(a["action"], a["message"]) for a in actions][:2] == [
        ("attach_interface", "Error"), ("attach_interface", "Error")]


def test_device_tags_are_kept_and_shown(cloud):
    second = cloud.neutron.add_network("second", "demo", cidr="10.5.0.0/24")
    server_id = boot(cloud.app, version="2.42", who=cloud.member, networks=[
        {"uuid": cloud.net["id"], "tag": "eth-a"},
        {"uuid": second["id"]}]).json["server"]["id"]
    attached = attach(cloud, server_id, {"net_id": second["id"],
                                         "tag": "eth-c"}).json[
        "interfaceAttachment"]
    assert attached["tag"] == "eth-c"
    by_net = {(i["net_id"], i["tag"]) for i in listing(cloud, server_id)}
    assert by_net == {(cloud.net["id"], "eth-a"), (second["id"], None),
                      (second["id"], "eth-c")}
    shown = cloud.app.get(
        f"{URL}/{server_id}/os-interface/{attached['port_id']}",
        headers=v("2.70", cloud.member)).json["interfaceAttachment"]
    assert shown["tag"] == "eth-c"
    # Neutron's network-changed reads the ports again: the tags stay.
    cloud.app.post_json("/v2.1/os-server-external-events", {"events": [
        {"name": "network-changed", "server_uuid": server_id,
         "tag": attached["port_id"]}]}, headers=v("2.1", cloud.service))
    assert {(i["net_id"], i["tag"]) for i in listing(cloud, server_id)} \
        == by_net
    # Before 2.70 no tag is shown.
    old = cloud.app.get(f"{URL}/{server_id}/os-interface",
                        headers=v("2.69", cloud.member)).json
    assert all("tag" not in i for i in old["interfaceAttachments"])


def test_a_refresh_keeps_the_order_of_the_nics(cloud):
    second = cloud.neutron.add_network("second", "demo", cidr="10.5.0.0/24")
    # Neutron lists this port first: it is older than the one made below.
    passed = cloud.neutron.add_port(second["id"], "demo")
    server_id = boot(cloud.app, version="2.37", who=cloud.member, networks=[
        {"uuid": cloud.net["id"]}, {"port": passed["id"]}]).json[
        "server"]["id"]
    assert list(get(cloud.app, server_id, who=cloud.member)[
        "addresses"]) == ["private", "second"]
    cloud.app.post_json("/v2.1/os-server-external-events", {"events": [
        {"name": "network-changed", "server_uuid": server_id,
         "tag": passed["id"]}]}, headers=v("2.1", cloud.service))
    assert list(get(cloud.app, server_id, who=cloud.member)[
        "addresses"]) == ["private", "second"]
