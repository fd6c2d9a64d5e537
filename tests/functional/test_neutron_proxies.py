"""The proxies below 2.36 and the server actions that go to Neutron when
[neutron] is configured: os-security-groups, os-security-group-rules,
os-floating-ips, os-floating-ip-pools, os-networks, os-tenant-networks,
add/removeSecurityGroup, add/removeFloatingIp and a server's
os-security-groups. Through the whole paste pipeline with Keystone auth
(tests/fake_keystone.py) and the fake Neutron (tests/fakes/neutron.py),
so the real client path (keystoneauth, the caller's token) runs.
"""

import uuid

import pytest

from tests.functional.neutron_cloud import NeutronCloud
from tests.helpers import IMAGE, fault

V = {"OpenStack-API-Version": "compute 2.35"}


@pytest.fixture
def cloud(config_dir, tmp_path, make_image, httpserver):
    made = NeutronCloud(config_dir, tmp_path, make_image, httpserver,
                        neutron_options="timeout = 2\nhttp_retries = 0\n")
    yield made
    made.close()


@pytest.fixture
def api(cloud):
    return cloud.app


@pytest.fixture
def neutron(cloud):
    return cloud.neutron


@pytest.fixture
def keystone(cloud):
    return cloud.keystone


@pytest.fixture
def member(cloud):
    return {**cloud.member, **V}


@pytest.fixture
def admin(cloud):
    return {**cloud.admin, **V}


@pytest.fixture
def private(cloud):
    return cloud.net


@pytest.fixture
def public(neutron):
    return neutron.add_network("public", "admin", external=True,
                               cidr="172.24.4.0/24")


@pytest.fixture
def server(api, member, neutron, private):
    """A server of project demo; server create made its port on the
    project's network."""
    resp = api.post_json("/v2.1/servers", {"server": {
        "name": "vm", "imageRef": IMAGE, "flavorRef": "1"}},
        headers=member, status=202)
    server_id = resp.json["server"]["id"]
    assert [p["network_id"] for p in neutron.ports_of(server_id)] == [
        private["id"]]
    return server_id


def _addresses(api, server_id, headers):
    server = api.get(f"/v2.1/servers/{server_id}",
                     headers=headers).json["server"]
    return {(a["addr"], a["OS-EXT-IPS:type"])
            for addrs in server["addresses"].values() for a in addrs}


def _action(api, server_id, body, headers, status=202):
    return api.post_json(f"/v2.1/servers/{server_id}/action", body,
                         headers=headers, status=status)


# -- os-security-groups ---------------------------------------------------

def test_security_group_lifecycle(api, member, neutron):
    resp = api.get("/v2.1/os-security-groups", headers=member)
    [default] = resp.json["security_groups"]
    assert default["name"] == "default"
    assert default["tenant_id"] == "demo"
    # Ingress rules only, each naming its remote group.
    assert [r["group"] for r in default["rules"]] == [
        {"name": "default", "tenant_id": "demo"}] * 2
    assert all(r["ip_range"] == {} for r in default["rules"])

    resp = api.post_json("/v2.1/os-security-groups", {"security_group": {
        "name": "web", "description": "web servers"}}, headers=member)
    group = resp.json["security_group"]
    assert group == {"id": group["id"], "name": "web",
                     "description": "web servers", "tenant_id": "demo",
                     "rules": []}
    # made in Neutron, as the caller
    assert neutron.store["security-groups"][group["id"]]["project_id"] == \
        "demo"
    assert ("POST", "/v2.0/security-groups", "alice") in [
        c[:3] for c in neutron.calls]

    url = f"/v2.1/os-security-groups/{group['id']}"
    assert api.get(url, headers=member).json["security_group"] == group
    resp = api.put_json(url, {"security_group": {
        "name": "www", "description": "renamed"}}, headers=member)
    assert resp.json["security_group"]["name"] == "www"
    names = [g["name"] for g in api.get(
        "/v2.1/os-security-groups", headers=member).json["security_groups"]]
    assert names == ["default", "www"]

    api.delete(url, headers=member, status=202)
    resp = api.get(url, headers=member, status=404)
    fault(resp, "itemNotFound", 404)


def test_security_group_faults(api, member, neutron, server):
    resp = api.get("/v2.1/os-security-groups/not-a-uuid", headers=member,
                   status=400)
    assert resp.json["badRequest"]["message"] == \
        "Security group id should be uuid"
    api.get(f"/v2.1/os-security-groups/{uuid.uuid4()}", headers=member,
            status=404)
    api.post_json("/v2.1/os-security-groups", {"security_group": {
        "name": "x"}}, headers=member, status=400)
    # in use by a port: upstream's 400 with Neutron's message
    default = api.get("/v2.1/os-security-groups",
                      headers=member).json["security_groups"][0]
    resp = api.delete(f"/v2.1/os-security-groups/{default['id']}",
                      headers=member, status=400)
    assert "in use" in resp.json["badRequest"]["message"]
    # over Neutron's quota: 403
    neutron.set_quota("demo", security_group=1)
    resp = api.post_json("/v2.1/os-security-groups", {"security_group": {
        "name": "more", "description": ""}}, headers=member, status=403)
    assert "Quota exceeded" in resp.json["forbidden"]["message"]


def test_security_group_rules(api, member, neutron):
    resp = api.post_json("/v2.1/os-security-groups", {"security_group": {
        "name": "web", "description": ""}}, headers=member)
    group = resp.json["security_group"]
    body = {"security_group_rule": {
        "parent_group_id": group["id"], "ip_protocol": "tcp",
        "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"}}
    rule = api.post_json("/v2.1/os-security-group-rules", body,
                         headers=member).json["security_group_rule"]
    assert rule == {"id": rule["id"], "parent_group_id": group["id"],
                    "ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                    "group": {}, "ip_range": {"cidr": "10.0.0.0/8"}}
    made = neutron.store["security-group-rules"][rule["id"]]
    assert (made["direction"], made["ethertype"], made["port_range_min"],
            made["remote_ip_prefix"]) == ("ingress", "IPv4", 22,
                                          "10.0.0.0/8")
    # the same again: upstream's 400
    resp = api.post_json("/v2.1/os-security-group-rules", body,
                         headers=member, status=400)
    assert resp.json["badRequest"]["message"] == (
        f"This rule already exists in group {group['id']}")
    # ICMP from a group: -1/-1, the remote group named
    icmp = api.post_json("/v2.1/os-security-group-rules", {
        "security_group_rule": {"parent_group_id": group["id"],
                                "ip_protocol": "icmp",
                                "group_id": group["id"]}},
        headers=member).json["security_group_rule"]
    assert (icmp["from_port"], icmp["to_port"], icmp["group"]) == (
        -1, -1, {"name": "web", "tenant_id": "demo"})
    shown = api.get(f"/v2.1/os-security-groups/{group['id']}",
                    headers=member).json["security_group"]
    assert {r["id"] for r in shown["rules"]} == {rule["id"], icmp["id"]}

    for bad, message in [
            ({"ip_protocol": "tcp", "from_port": 30, "to_port": 20,
              "cidr": "10.0.0.0/8"},
             "Invalid port range 30:20. Former value cannot be greater "
             "than the later"),
            ({"ip_protocol": "gre", "from_port": 1, "to_port": 2},
             "Invalid IP protocol gre."),
            ({"ip_protocol": "tcp", "from_port": 1, "to_port": 2,
              "cidr": "nonsense"}, "nonsense is not a valid IP network."),
            ({"ip_protocol": "tcp"},
             "Not enough parameters to build a valid rule."),
            ({"ip_protocol": "tcp", "from_port": 1, "to_port": 2,
              "cidr": "10.0.0.0/0"},
             "Bad prefix for network in cidr 10.0.0.0/0")]:
        resp = api.post_json("/v2.1/os-security-group-rules", {
            "security_group_rule": dict(bad, parent_group_id=group["id"])},
            headers=member, status=400)
        assert resp.json["badRequest"]["message"] == message
    api.post_json("/v2.1/os-security-group-rules", {"security_group_rule": {
        "parent_group_id": str(uuid.uuid4()), "ip_protocol": "tcp",
        "from_port": 1, "to_port": 2}}, headers=member, status=404)

    api.delete(f"/v2.1/os-security-group-rules/{rule['id']}",
               headers=member, status=202)
    assert rule["id"] not in neutron.store["security-group-rules"]
    api.delete(f"/v2.1/os-security-group-rules/{rule['id']}",
               headers=member, status=404)


def test_proxies_end_at_2_35(api, member):
    headers = {**member, "OpenStack-API-Version": "compute 2.36"}
    for path in ("/v2.1/os-security-groups", "/v2.1/os-floating-ips",
                 "/v2.1/os-floating-ip-pools"):
        api.get(path, headers=headers, status=404)


# -- a server's security groups -------------------------------------------

def test_server_security_group_actions(api, member, neutron, server):
    groups = api.get(f"/v2.1/servers/{server}/os-security-groups",
                     headers=member).json["security_groups"]
    assert [g["name"] for g in groups] == ["default"]
    api.post_json("/v2.1/os-security-groups", {"security_group": {
        "name": "web", "description": ""}}, headers=member)
    _action(api, server, {"addSecurityGroup": {"name": "web"}}, member)
    [port] = neutron.ports_of(server)
    assert len(port["security_groups"]) == 2
    groups = api.get(f"/v2.1/servers/{server}/os-security-groups",
                     headers=member).json["security_groups"]
    assert [g["name"] for g in groups] == ["default", "web"]

    _action(api, server, {"removeSecurityGroup": {"name": "web"}}, member)
    resp = _action(api, server, {"removeSecurityGroup": {"name": "web"}},
                   member, status=404)
    assert resp.json["itemNotFound"]["message"] == (
        f"Security group web not associated with the instance {server}")
    resp = _action(api, server, {"addSecurityGroup": {"name": "nosuch"}},
                   member, status=404)
    assert resp.json["itemNotFound"]["message"] == (
        "Security group nosuch is not found for project demo")


def test_server_without_ports(api, member, neutron, server):
    for port in neutron.ports_of(server):
        del neutron.store["ports"][port["id"]]
    assert api.get(f"/v2.1/servers/{server}/os-security-groups",
                   headers=member).json["security_groups"] == []
    resp = _action(api, server, {"addSecurityGroup": {"name": "default"}},
                   member, status=404)
    assert resp.json["itemNotFound"]["message"] == (
        f"instance_id {server} could not be found as device id on any "
        "ports")


# -- floating IPs ---------------------------------------------------------

def test_floating_ip_pools_and_allocation(api, member, neutron, public):
    pools = api.get("/v2.1/os-floating-ip-pools", headers=member).json
    assert pools == {"floating_ip_pools": [{"name": "public"}]}

    resp = api.post_json("/v2.1/os-floating-ips", {"pool": "public"},
                         headers=member)
    fip = resp.json["floating_ip"]
    assert fip["pool"] == "public"
    assert fip["instance_id"] is None and fip["fixed_ip"] is None
    assert fip["ip"].startswith("172.24.4.")
    listed = api.get("/v2.1/os-floating-ips", headers=member).json
    assert listed == {"floating_ips": [fip]}
    assert api.get(f"/v2.1/os-floating-ips/{fip['id']}",
                   headers=member).json == {"floating_ip": fip}

    resp = api.post_json("/v2.1/os-floating-ips", {"pool": "nosuch"},
                         headers=member, status=404)
    assert resp.json["itemNotFound"]["message"] == \
        "Floating IP pool not found."
    # no pool named: [neutron] default_floating_pool ("nova"), absent
    api.post_json("/v2.1/os-floating-ips", None, headers=member,
                  status=404)
    neutron.set_quota("demo", floatingip=1)
    resp = api.post_json("/v2.1/os-floating-ips", {"pool": "public"},
                         headers=member, status=403)
    assert resp.json["forbidden"]["message"] == \
        "IP allocation over quota in pool public."

    api.delete(f"/v2.1/os-floating-ips/{fip['id']}", headers=member,
               status=202)
    resp = api.get(f"/v2.1/os-floating-ips/{fip['id']}", headers=member,
                   status=404)
    assert resp.json["itemNotFound"]["message"] == (
        f"Floating IP not found for ID {fip['id']}")
    api.delete(f"/v2.1/os-floating-ips/{fip['id']}", headers=member,
               status=404)


def test_default_floating_pool(config_dir, tmp_path, make_image,
                               httpserver):
    cloud = NeutronCloud(config_dir, tmp_path, make_image, httpserver,
                         neutron_options="default_floating_pool = public")
    try:
        cloud.neutron.add_network("public", "admin", external=True)
        fip = cloud.app.post_json("/v2.1/os-floating-ips", None,
                                  headers={**cloud.member, **V}).json
        assert fip["floating_ip"]["pool"] == "public"
    finally:
        cloud.close()


def test_floating_ip_actions(api, member, neutron, public, server):
    fip = api.post_json("/v2.1/os-floating-ips", {"pool": "public"},
                        headers=member).json["floating_ip"]
    [port] = neutron.ports_of(server)
    fixed = port["fixed_ips"][0]["ip_address"]
    _action(api, server, {"addFloatingIp": {"address": fip["ip"]}}, member)
    stored = neutron.store["floatingips"][fip["id"]]
    assert (stored["port_id"], stored["fixed_ip_address"]) == (port["id"],
                                                               fixed)
    shown = api.get(f"/v2.1/os-floating-ips/{fip['id']}",
                    headers=member).json["floating_ip"]
    assert (shown["instance_id"], shown["fixed_ip"]) == (server, fixed)
    # the server's addresses show it at once
    assert _addresses(api, server, member) == {
        (fixed, "fixed"), (fip["ip"], "floating")}

    resp = _action(api, server, {"addFloatingIp": {
        "address": fip["ip"], "fixed_address": "10.9.9.9"}}, member,
        status=400)
    assert resp.json["badRequest"]["message"] == \
        "Specified fixed address not assigned to instance"
    resp = _action(api, server, {"addFloatingIp": {"address": "172.24.4.250"}},
                   member, status=404)
    assert resp.json["itemNotFound"]["message"] == "floating IP not found"

    _action(api, server, {"removeFloatingIp": {"address": fip["ip"]}},
            member)
    assert neutron.store["floatingips"][fip["id"]]["port_id"] is None
    assert _addresses(api, server, member) == {(fixed, "fixed")}
    # not associated (any more): 409
    resp = _action(api, server, {"removeFloatingIp": {"address": fip["ip"]}},
                   member, status=409)
    assert resp.json["conflictingRequest"]["message"] == (
        f"Floating IP {fip['ip']} is not associated with instance {server}.")
    # released while associated: gone from the server's addresses too
    _action(api, server, {"addFloatingIp": {"address": fip["ip"]}}, member)
    api.delete(f"/v2.1/os-floating-ips/{fip['id']}", headers=member,
               status=202)
    assert _addresses(api, server, member) == {(fixed, "fixed")}
    # removed in 2.44
    _action(api, server, {"addFloatingIp": {"address": fip["ip"]}},
            {**member, "OpenStack-API-Version": "compute 2.44"},
            status=404)


# -- networks -------------------------------------------------------------

def test_networks_come_from_neutron(api, member, admin, neutron, private,
                                    public):
    neutron.add_network("other", "someone-else")
    resp = api.get("/v2.1/os-networks", headers=member).json
    assert sorted(n["label"] for n in resp["networks"]) == ["private",
                                                            "public"]
    shown = api.get(f"/v2.1/os-networks/{private['id']}",
                    headers=member).json["network"]
    assert (shown["id"], shown["label"], shown["cidr"]) == (
        private["id"], "private", None)
    assert "bridge" not in shown
    assert "bridge" in api.get(f"/v2.1/os-networks/{private['id']}",
                               headers=admin).json["network"]
    resp = api.get(f"/v2.1/os-networks/{uuid.uuid4()}", headers=member,
                   status=404)
    assert resp.json["itemNotFound"]["message"] == "Network not found"
    tenant = api.get("/v2.1/os-tenant-networks", headers=member).json
    assert {"id": private["id"], "cidr": "None", "label": "private"} in \
        tenant["networks"]
    api.get(f"/v2.1/os-tenant-networks/{private['id']}", headers=member)
    api.get(f"/v2.1/os-tenant-networks/{uuid.uuid4()}", headers=member,
            status=404)


# -- Neutron away ---------------------------------------------------------

def test_neutron_outage_is_503(api, member, neutron):
    neutron.stop()
    for path in ("/v2.1/os-security-groups", "/v2.1/os-floating-ips",
                 "/v2.1/os-networks"):
        resp = api.get(path, headers=member, status=503)
        fault(resp, "serviceUnavailable", 503)
    neutron.start()
    api.get("/v2.1/os-security-groups", headers=member)


def test_neutron_500_is_503(api, member, neutron):
    neutron.fail(500, path="security-groups")
    resp = api.get("/v2.1/os-security-groups", headers=member, status=503)
    fault(resp, "serviceUnavailable", 503)


# -- without [neutron] ----------------------------------------------------

def test_without_neutron_the_proxies_are_not_served(fast_compute):
    from tests.helpers import ADMIN, v

    for path in ("/v2.1/os-security-groups", "/v2.1/os-floating-ips",
                 "/v2.1/os-floating-ip-pools"):
        fast_compute.get(path, headers=v("2.35", ADMIN), status=404)


def test_slow_neutron_is_503(api, member, neutron):
    # [neutron] timeout = 2, no retries: one slow answer is an outage.
    neutron.delay = 3
    resp = api.get("/v2.1/os-floating-ip-pools", headers=member, status=503)
    fault(resp, "serviceUnavailable", 503)
    neutron.delay = 0


def test_port_without_port_security_takes_no_group(api, member, neutron,
                                                   server):
    [port] = neutron.ports_of(server)
    neutron.store["ports"][port["id"]]["port_security_enabled"] = False
    resp = _action(api, server, {"addSecurityGroup": {"name": "default"}},
                   member, status=400)
    assert resp.json["badRequest"]["message"] == (
        "Network requires port_security_enabled and subnet associated in "
        "order to apply security groups.")


def test_other_projects_groups_are_not_found(api, member, keystone):
    other = {"X-Auth-Token": keystone.issue("bob", "other",
                                           ["member", "reader"]), **V}
    group = api.post_json("/v2.1/os-security-groups", {"security_group": {
        "name": "mine", "description": ""}},
        headers=member).json["security_group"]
    api.get(f"/v2.1/os-security-groups/{group['id']}", headers=other,
            status=404)
    api.delete(f"/v2.1/os-security-groups/{group['id']}", headers=other,
               status=404)
    names = [g["tenant_id"] for g in api.get(
        "/v2.1/os-security-groups", headers=other).json["security_groups"]]
    assert names == ["other"]


def test_admin_lists_every_projects_groups(api, member, admin):
    api.get("/v2.1/os-security-groups", headers=member)  # demo's default
    projects = {g["tenant_id"] for g in api.get(
        "/v2.1/os-security-groups?all_tenants=1",
        headers=admin).json["security_groups"]}
    assert {"demo", "admin"} <= projects
    own = {g["tenant_id"] for g in api.get(
        "/v2.1/os-security-groups", headers=admin).json["security_groups"]}
    assert own == {"admin"}


def test_floating_ip_on_another_server_is_409(api, member, neutron, public,
                                              server):
    fip = api.post_json("/v2.1/os-floating-ips", {"pool": "public"},
                        headers=member).json["floating_ip"]
    _action(api, server, {"addFloatingIp": {"address": fip["ip"]}}, member)
    second = api.post_json("/v2.1/servers", {"server": {
        "name": "vm2", "imageRef": IMAGE, "flavorRef": "1"}},
        headers=member, status=202).json["server"]["id"]
    resp = _action(api, second, {"removeFloatingIp": {"address": fip["ip"]}},
                   member, status=409)
    assert resp.json["conflictingRequest"]["message"] == (
        f"Floating IP {fip['ip']} is not associated with instance {second}.")
    assert neutron.store["floatingips"][fip["id"]]["port_id"]


def test_actions_with_neutron_away_are_503(api, member, neutron, server):
    neutron.stop()
    resp = _action(api, server, {"addSecurityGroup": {"name": "default"}},
                   member, status=503)
    fault(resp, "serviceUnavailable", 503)
    neutron.start()
