"""Servers whose ports are Neutron's ([neutron] configured): create with
each form of ``networks``, the errors Neutron's answers give, addresses
from the ports, delete."""

import pytest

from tests.functional.neutron_cloud import NeutronCloud
from tests.helpers import URL, boot, fault, get, v


@pytest.fixture
def cloud(config_dir, tmp_path, make_image, httpserver):
    made = NeutronCloud(config_dir, tmp_path, make_image, httpserver)
    yield made
    made.close()


def create(cloud, networks=None, version="2.37", status=202, who=None,
           **server):
    if networks is not None:
        server["networks"] = networks
    return boot(cloud.app, version=version, who=who or cloud.member,
                status=status, **server)


def test_auto_uses_the_projects_network(cloud):
    server_id = create(cloud, "auto").json["server"]["id"]
    ports = cloud.neutron.ports_of(server_id)
    assert len(ports) == 1
    port = ports[0]
    assert port["network_id"] == cloud.net["id"]
    assert port["device_owner"] == "compute:nova"
    assert port["binding:host_id"]
    assert port["binding:profile"] == {}
    assert port["status"] == "ACTIVE"
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ACTIVE"
    assert server["addresses"] == {"private": [{
        "version": 4, "addr": "10.0.0.2", "OS-EXT-IPS:type": "fixed",
        "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]}]}
    # The caller created the port, the service bound it.
    calls = [(m, p.split("?")[0], who) for m, p, who, _b in
             cloud.neutron.calls]
    assert ("POST", "/v2.0/ports", "alice") in calls
    assert ("PUT", f"/v2.0/ports/{port['id']}", "service") in calls
    ips = cloud.app.get(f"{URL}/{server_id}/ips",
                        headers=cloud.member).json
    assert ips == {"addresses": {"private": [
        {"version": 4, "addr": "10.0.0.2"}]}}


def test_none_makes_no_port(cloud):
    server_id = create(cloud, "none").json["server"]["id"]
    assert cloud.neutron.ports_of(server_id) == []
    assert get(cloud.app, server_id, who=cloud.member)["addresses"] == {}


def test_a_network_and_a_fixed_ip(cloud):
    server_id = create(cloud, [{"uuid": cloud.net["id"],
                                "fixed_ip": "10.0.0.50"}]).json[
        "server"]["id"]
    port, = cloud.neutron.ports_of(server_id)
    assert port["fixed_ips"][0]["ip_address"] == "10.0.0.50"
    resp = create(cloud, [{"uuid": cloud.net["id"], "fixed_ip": "10.0.0.50"}],
                  status=400)
    assert fault(resp, "badRequest", 400) == (
        f"Fixed IP address 10.0.0.50 is already in use on instance "
        f"{server_id}.")


def test_a_port_passed_in_is_bound_then_unbound(cloud):
    port = cloud.neutron.add_port(cloud.net["id"], "demo")
    server_id = create(cloud, [{"port": port["id"]}]).json["server"]["id"]
    bound = cloud.neutron.port(port["id"])
    assert (bound["device_id"], bound["status"]) == (server_id, "ACTIVE")
    # In use now.
    resp = create(cloud, [{"port": port["id"]}], status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        f"Port {port['id']} is still in use.")
    cloud.app.delete(f"{URL}/{server_id}", headers=cloud.member)
    left = cloud.neutron.port(port["id"])
    assert (left["device_id"], left["device_owner"],
            left["binding:host_id"], left["binding:profile"]) == (
        "", "", "", {})


def test_delete_removes_the_ports_it_made(cloud):
    server_id = create(cloud, "auto").json["server"]["id"]
    port, = cloud.neutron.ports_of(server_id)
    cloud.app.delete(f"{URL}/{server_id}", headers=cloud.member)
    assert cloud.neutron.port(port["id"]) is None


def test_missing_networks_and_ports_are_400(cloud):
    resp = create(cloud, [{"uuid": "5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b01"}],
                  status=400)
    assert fault(resp, "badRequest", 400) == (
        "Network 5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b01 could not be found.")
    resp = create(cloud, [{"port": "5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b02"}],
                  status=400)
    assert fault(resp, "badRequest", 400) == (
        "Port id 5bb1d1b5-6e6c-4d5c-9f1b-1c9d8e9a0b02 could not be found.")
    assert cloud.app.get(URL, headers=cloud.member).json["servers"] == []


def test_security_groups_are_resolved_in_neutron(cloud):
    resp = create(cloud, "auto", security_groups=[{"name": "web"}],
                  status=400)
    assert fault(resp, "badRequest", 400) == "Security group web not found."
    group = cloud.neutron.store["security-groups"]
    web = cloud.neutron._add_group("demo", "web", "")
    server_id = create(cloud, "auto", security_groups=[
        {"name": "web"}]).json["server"]["id"]
    port, = cloud.neutron.ports_of(server_id)
    assert port["security_groups"] == [web["id"]]
    assert group


def test_auto_with_two_networks_is_ambiguous(cloud):
    cloud.neutron.add_network("shared", "admin", shared=True)
    resp = create(cloud, "auto", status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        "Multiple possible networks found, use a Network ID to be more "
        "specific.")


def test_get_me_a_network(cloud):
    other = {"X-Auth-Token": cloud.keystone.issue("carol", "fresh",
                                                  ["member", "reader"])}
    resp = create(cloud, "auto", who=other, status=400)
    assert fault(resp, "badRequest", 400) == (
        "Unable to automatically allocate a network for project fresh")
    cloud.neutron.add_network("public", "admin", external=True,
                              is_default=True, cidr="172.24.4.0/24")
    server_id = create(cloud, "auto", who=other).json["server"]["id"]
    port, = cloud.neutron.ports_of(server_id)
    assert list(get(cloud.app, server_id, who=other)["addresses"]) == [
        "auto_allocated_network"]
    # Before 2.37 no network means none when the project has none.
    assert port


def test_neutron_port_quota_is_403(cloud):
    cloud.neutron.set_quota("demo", port=0)
    resp = create(cloud, "auto", status=403)
    assert fault(resp, "forbidden", 403) == "Maximum number of ports exceeded"
    assert cloud.app.get(URL, headers=cloud.member).json["servers"] == []


def test_overquota_at_port_create_fails_the_build(cloud):
    cloud.neutron.fail(409, method="POST", path="/v2.0/ports$",
                       type_="OverQuota",
                       message="Quota exceeded for resources: ['port'].")
    server_id = create(cloud, "auto").json["server"]["id"]
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == "Maximum number of ports exceeded"


def test_an_outage_before_the_write_is_503_and_no_server(cloud):
    cloud.neutron.stop()
    resp = create(cloud, "auto", status=503)
    assert fault(resp, "serviceUnavailable", 503)
    cloud.neutron.start()
    assert cloud.app.get(URL, headers=cloud.member).json["servers"] == []


def test_a_failure_after_the_write_is_error_and_ports_deleted(cloud):
    cloud.neutron.fail(500, method="PUT", path="/v2.0/ports/")
    server_id = create(cloud, "auto").json["server"]["id"]
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ERROR"
    assert "Neutron" in server["fault"]["message"]
    cloud.neutron.faults.clear()
    assert cloud.neutron.store["ports"] == {}


def test_slow_neutron_times_out_as_503(config_dir, tmp_path, make_image,
                                       httpserver):
    made = NeutronCloud(config_dir, tmp_path, make_image, httpserver,
                        neutron_options="http_retries = 0")
    try:
        made.neutron.delay = 6  # [neutron] timeout = 5
        resp = create(made, "auto", status=503)
        assert fault(resp, "serviceUnavailable", 503)
        made.neutron.delay = 0
        assert made.app.get(URL, headers=made.member).json["servers"] == []
    finally:
        made.close()


def test_before_237_no_networks_means_auto(cloud):
    server_id = create(cloud, version="2.1").json["server"]["id"]
    assert len(cloud.neutron.ports_of(server_id)) == 1
    assert v  # the helper is used elsewhere


def test_soft_delete_keeps_the_ports_force_delete_removes_them(
        config_dir, tmp_path, make_image, httpserver):
    made = NeutronCloud(config_dir, tmp_path, make_image, httpserver,
                        default_options="reclaim_instance_interval = 3600\n")
    try:
        server_id = create(made, "auto").json["server"]["id"]
        port, = made.neutron.ports_of(server_id)
        made.app.delete(f"{URL}/{server_id}", headers=made.member)
        assert made.neutron.port(port["id"]) is not None
        made.app.post_json(f"{URL}/{server_id}/action",
                           {"forceDelete": None}, headers=made.member)
        assert made.neutron.port(port["id"]) is None
    finally:
        made.close()


def test_the_metadata_api_finds_a_server_by_its_port_address(
        cloud, config_dir, monkeypatch):
    from nova import loading

    server_id = create(cloud, "auto").json["server"]["id"]
    port, = cloud.neutron.ports_of(server_id)
    address = port["fixed_ips"][0]["ip_address"]
    monkeypatch.setattr(loading, "_loaded_api", None)
    metadata = config_dir.testapp("metadata")
    body = metadata.get("/openstack/latest/meta_data.json",
                        extra_environ={"REMOTE_ADDR": address}).json
    assert body["uuid"] == server_id


def test_upstreams_checks_of_the_networks_list(cloud):
    port = cloud.neutron.add_port(cloud.net["id"], "demo")
    cases = [
        ([{"port": port["id"]}, {"port": port["id"]}],
         f"Port ID '{port['id']}' was specified twice: you cannot attach a "
         f"port multiple times."),
        ([{"port": port["id"], "fixed_ip": "10.0.0.9"}],
         f"Specified Fixed IP '10.0.0.9' cannot be used with port "
         f"'{port['id']}': the two cannot be specified together."),
        ([{"fixed_ip": "10.0.0.9"}], "Bad network format: missing 'uuid'"),
        ([{"uuid": "private"}],
         "Bad networks format: network uuid is not in proper format "
         "(private)"),
    ]
    for networks, message in cases:
        resp = create(cloud, networks, version="2.1", status=400)
        assert fault(resp, "badRequest", 400) == message
    assert cloud.neutron.port(port["id"])["device_id"] == ""


def test_several_nics_keep_the_requested_order(cloud):
    second = cloud.neutron.add_network("second", "demo", cidr="10.5.0.0/24")
    server_id = create(cloud, [{"uuid": second["id"]},
                               {"uuid": cloud.net["id"]}]).json[
        "server"]["id"]
    listed = cloud.app.get(f"{URL}/{server_id}/os-interface",
                           headers=cloud.member).json["interfaceAttachments"]
    assert len(listed) == 2
    server = get(cloud.app, server_id, who=cloud.member)
    assert list(server["addresses"]) == ["second", "private"]


def test_an_unshared_external_network_is_the_admins(cloud):
    public = cloud.neutron.add_network("public", "demo", external=True,
                                       cidr="172.24.4.0/24")
    server_id = create(cloud, [{"uuid": public["id"]}]).json[
        "server"]["id"]
    # As upstream: refused when the ports are allocated, the build aborts.
    server = get(cloud.app, server_id, who=cloud.member)
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == (
        f"Build of instance {server_id} aborted: Failed to allocate the "
        f"network(s), not rescheduling.")
    assert cloud.neutron.store["ports"] == {}
    attach = cloud.app.post_json(
        f"{URL}/{create(cloud, 'none').json['server']['id']}/os-interface",
        {"interfaceAttachment": {"net_id": public["id"]}},
        headers=cloud.member, status=403)
    assert fault(attach, "forbidden", 403) == (
        f"It is not allowed to create an interface on external network "
        f"{public['id']}")
    # An admin may (network:attach_external_network).
    admin_id = create(cloud, [{"uuid": public["id"]}],
                      who=cloud.admin).json["server"]["id"]
    assert get(cloud.app, admin_id, who=cloud.admin)["status"] == "ACTIVE"
