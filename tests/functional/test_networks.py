"""The network APIs answered from the built-in flat network, as upstream
answers them: the os-networks proxy (until 2.35) and its removed routes
(410), and a server's security groups (the addSecurityGroup and
removeSecurityGroup actions, GET /servers/{id}/os-security-groups)."""

import pytest

from nova import policies
from tests.helpers import (
    ADMIN,
    DEMO,
    OTHER,
    URL,
    action,
    boot_id,
    fault,
    get,
    listing,
    v,
    write_compute_config,
)

NETS = "/v2.1/os-networks"
GONE = ("This resource is no longer available.  No forwarding address is "
        "given.")
USER_FIELDS = ["id", "cidr", "netmask", "gateway", "broadcast", "dns1",
               "dns2", "cidr_v6", "gateway_v6", "label", "netmask_v6"]
ADMIN_FIELDS = ["created_at", "updated_at", "deleted_at", "deleted",
                "injected", "bridge", "vlan", "vpn_public_address",
                "vpn_public_port", "vpn_private_address", "dhcp_start",
                "project_id", "host", "bridge_interface", "multi_host",
                "priority", "rxtx_base", "mtu", "dhcp_server", "enable_dhcp",
                "share_address"]


def test_upstreams_rule_names_and_defaults():
    rules = {r.name: r.check_str for r in policies.list_rules()}
    assert rules["os_compute_api:os-networks:list"] == \
        "rule:project_reader_or_admin"
    assert rules["os_compute_api:os-networks:show"] == \
        "rule:project_reader_or_admin"
    assert rules["os_compute_api:os-security-groups:list"] == \
        "rule:project_reader_or_admin"
    for name in ("add", "remove"):
        assert rules[f"os_compute_api:os-security-groups:{name}"] == \
            "rule:project_member_or_admin"
    assert rules["os_compute_api:os-server-external-events:create"] == \
        "rule:service_or_admin"
    assert rules["service_or_admin"] == \
        "rule:service_api or rule:context_is_admin"
    assert rules["service_api"] == "role:service"


# -- os-networks --------------------------------------------------------------

def test_list_shows_the_flat_network_with_two_fields_of_thirty(cloud):
    """tempest's test_networks.ComputeNetworksTest.test_list_networks
    (a member, not empty), and the view upstream fills since nova-network
    went: the id and the label, null elsewhere; the admin fields for
    admins only."""
    networks = cloud.get(NETS, headers=DEMO).json["networks"]
    assert len(networks) == 1
    net = networks[0]
    assert list(net) == USER_FIELDS
    assert net["label"] == "private"  # [network] name
    assert {k for k, value in net.items() if value is not None} == {
        "id", "label"}
    shown = cloud.get(f"{NETS}/{net['id']}", headers=DEMO).json
    assert shown == {"network": net}
    admin = cloud.get(NETS, headers=ADMIN).json["networks"][0]
    assert list(admin) == USER_FIELDS + ADMIN_FIELDS
    assert {k: value for k, value in admin.items() if value is not None} \
        == {"id": net["id"], "label": "private"}


def test_the_configured_network_is_found_by_its_label(cloud):
    """tempest's admin.test_networks (with [compute] fixed_network_name =
    private): one network of that label, shown by its id."""
    networks = cloud.get(NETS, headers=DEMO).json["networks"]
    named = [n for n in networks if n["label"] == "private"]
    assert len(named) == 1
    shown = cloud.get(f"{NETS}/{named[0]['id']}", headers=DEMO).json
    assert shown["network"]["label"] == "private"
    # the id is the one servers are booted on and os-interface shows
    server_id = boot_id(cloud)
    ports = cloud.get(f"{URL}/{server_id}/os-interface",
                      headers=ADMIN).json["interfaceAttachments"]
    assert ports[0]["net_id"] == named[0]["id"]


def test_a_network_named_otherwise(config_dir, tmp_path):
    write_compute_config(config_dir, tmp_path)
    config_dir.write("nova.conf.d/net.conf", "[network]\nname = flat-1\n"
                     "uuid = 8a6f0c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b\n")
    app = config_dir.testapp()
    assert app.get(NETS, headers=DEMO).json["networks"][0] == dict.fromkeys(
        USER_FIELDS) | {"id": "8a6f0c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
                        "label": "flat-1"}


@pytest.mark.parametrize("network_id", [
    "8a6f0c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b", "private", "1"])
def test_another_network_is_404(cloud, network_id):
    resp = cloud.get(f"{NETS}/{network_id}", headers=DEMO, status=404)
    assert fault(resp, "itemNotFound", 404) == "Network not found"


def test_gone_from_2_36(cloud):
    network_id = cloud.get(NETS, headers=DEMO).json["networks"][0]["id"]
    cloud.get(NETS, headers=v("2.35", DEMO), status=200)
    for path in (NETS, f"{NETS}/{network_id}"):
        resp = cloud.get(path, headers=v("2.36", DEMO), status=404)
        fault(resp, "itemNotFound", 404)
        cloud.get(path, headers=v("latest", DEMO), status=404)


@pytest.mark.parametrize("version", ["2.1", "2.35", "2.36", "latest"])
@pytest.mark.parametrize("who", [DEMO, ADMIN])
def test_removed_routes_are_410_for_everyone_at_every_version(
        cloud, version, who):
    """nova-network's create, add, delete and (dis)associate actions:
    upstream answers 410 whatever the body, checking no policy."""
    network_id = cloud.get(NETS, headers=DEMO).json["networks"][0]["id"]
    headers = v(version, who)
    for path, body in ((NETS, {"network": {"label": "x"}}), (NETS, {}),
                       (f"{NETS}/add", {"id": network_id}),
                       (f"{NETS}/add", None)):
        resp = (cloud.post_json(path, body, headers=headers, status=410)
                if body is not None else
                cloud.post(path, headers=headers, status=410))
        assert fault(resp, "gone", 410) == GONE
    resp = cloud.delete(f"{NETS}/{network_id}", headers=headers, status=410)
    assert fault(resp, "gone", 410) == GONE
    for name in ("disassociate", "disassociate_host", "disassociate_project",
                 "associate_host"):
        resp = cloud.post_json(f"{NETS}/{network_id}/action", {name: None},
                               headers=headers, status=410)
        assert fault(resp, "gone", 410) == GONE


def test_an_unknown_network_action_is_400(cloud):
    resp = cloud.post_json(f"{NETS}/1/action", {"associate": None},
                           headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == "There is no such action: " \
        "associate"
    resp = cloud.post_json(f"{NETS}/1/action", {"a": 1, "b": 2},
                           headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == "Malformed request body"


def test_a_method_served_at_other_versions_only_is_404_not_405(cloud):
    """GET /os-networks at 2.36: the path takes POST (410) at every
    version, GET only until 2.35: upstream answers 404 (no such method at
    this version), not 405."""
    resp = cloud.get(NETS, headers=v("2.36"), status=404)
    assert "Allow" not in resp.headers
    resp = cloud.put_json(NETS, {}, headers=v("2.1"), status=405)
    assert resp.headers["Allow"] == "GET, POST"


# -- a server's security groups -----------------------------------------------

def groups_of(app, server_id, who=ADMIN, version="2.1"):
    return app.get(f"{URL}/{server_id}/os-security-groups",
                   headers=v(version, who)).json["security_groups"]


def test_remove_the_last_group(cloud):
    """tempest's servers.test_server_actions.ServerActionsTestOtherA.
    test_remove_server_all_security_groups: after removing its only group
    the server shows no security_groups (upstream shows the groups of its
    ports, and there are none)."""
    server_id = boot_id(cloud, who=DEMO)
    server = get(cloud, server_id, who=DEMO)
    assert server["security_groups"] == [{"name": "default"}]
    resp = action(cloud, server_id, {"removeSecurityGroup": {
        "name": server["security_groups"][0]["name"]}}, who=DEMO)
    assert resp.body == b""
    server = get(cloud, server_id, who=DEMO)
    assert "security_groups" not in server
    detail = listing(cloud, who=DEMO, detail=True).json["servers"]
    assert "security_groups" not in detail[0]
    assert groups_of(cloud, server_id, DEMO) == []
    # nothing recorded, as upstream (Neutron changes the ports)
    listed = cloud.get(f"{URL}/{server_id}/os-instance-actions",
                       headers=DEMO).json["instanceActions"]
    assert [a["action"] for a in listed] == ["create"]


def test_remove_and_add_again(cloud):
    server_id = boot_id(cloud, who=DEMO)
    action(cloud, server_id, {"removeSecurityGroup": {"name": "default"}},
           who=DEMO)
    resp = action(cloud, server_id, {"removeSecurityGroup": {
        "name": "default"}}, who=DEMO, status=404)
    assert fault(resp, "itemNotFound", 404) == (
        f"Security group default not associated with the instance "
        f"{server_id}")
    action(cloud, server_id, {"addSecurityGroup": {"name": "default"}},
           who=DEMO)
    assert get(cloud, server_id, who=DEMO)["security_groups"] == [
        {"name": "default"}]
    group = groups_of(cloud, server_id, DEMO)[0]
    # Neutron refuses a port listing a group twice (its 400, passed on)
    resp = action(cloud, server_id, {"addSecurityGroup": {
        "name": "default"}}, who=DEMO, status=400)
    assert fault(resp, "badRequest", 400) == (
        "Invalid input for security_groups. Reason: Duplicate items in the "
        f"list: '{group['id']}'.")
    # a group is also named by its id
    action(cloud, server_id, {"removeSecurityGroup": {"name": group["id"]}},
           who=DEMO)
    assert "security_groups" not in get(cloud, server_id, who=DEMO)
    action(cloud, server_id, {"addSecurityGroup": {"name": group["id"]}},
           who=DEMO)
    assert groups_of(cloud, server_id, DEMO) == [group]


@pytest.mark.parametrize("name", ["addSecurityGroup", "removeSecurityGroup"])
def test_an_unknown_group_is_404(cloud, name):
    server_id = boot_id(cloud, who=DEMO)
    resp = action(cloud, server_id, {name: {"name": "web"}}, who=DEMO,
                  status=404)
    assert fault(resp, "itemNotFound", 404) == (
        "Security group web is not found for project demo")
    # an admin asking: the admin's project is named
    resp = action(cloud, server_id, {name: {"name": "web"}}, status=404)
    assert fault(resp, "itemNotFound", 404) == (
        "Security group web is not found for project admin")


@pytest.mark.parametrize("name", ["addSecurityGroup", "removeSecurityGroup"])
def test_a_server_without_ports_is_404(cloud, name):
    server_id = boot_id(cloud, who=DEMO, version="2.37", networks="none")
    assert "security_groups" not in get(cloud, server_id, who=DEMO)
    assert groups_of(cloud, server_id, DEMO) == []
    resp = action(cloud, server_id, {name: {"name": "default"}}, who=DEMO,
                  status=404)
    assert fault(resp, "itemNotFound", 404) == (
        f"instance_id {server_id} could not be found as device id on any "
        "ports")


@pytest.mark.parametrize("body, message", [
    ({"name": "  "}, "Security group name cannot be empty"),
    ({"name": ""}, None), ({}, None), (None, None), ({"name": 1}, None),
    ({"name": "default", "extra": 1}, None),
])
@pytest.mark.parametrize("name", ["addSecurityGroup", "removeSecurityGroup"])
def test_bad_bodies_are_400(cloud, name, body, message):
    server_id = boot_id(cloud, who=DEMO)
    resp = action(cloud, server_id, {name: body}, who=DEMO, status=400)
    text = fault(resp, "badRequest", 400)
    if message:
        assert text == message


def test_the_lock_is_not_looked_at(cloud):
    server_id = boot_id(cloud, who=DEMO)
    action(cloud, server_id, {"lock": None})
    action(cloud, server_id, {"removeSecurityGroup": {"name": "default"}},
           who=DEMO)
    action(cloud, server_id, {"addSecurityGroup": {"name": "default"}},
           who=DEMO)


def test_another_projects_server_is_404(cloud):
    server_id = boot_id(cloud, who=DEMO)
    for name in ("addSecurityGroup", "removeSecurityGroup"):
        action(cloud, server_id, {name: {"name": "default"}}, who=OTHER,
               status=404)
    cloud.get(f"{URL}/{server_id}/os-security-groups", headers=OTHER,
              status=404)


def test_the_groups_of_a_server(cloud):
    """Neutron's default group, as upstream's os-security-groups view
    shows it: its ingress rules (from members of the group, IPv4 and
    IPv6) naming the group."""
    server_id = boot_id(cloud, who=DEMO)
    groups = groups_of(cloud, server_id, DEMO)
    assert len(groups) == 1
    group = groups[0]
    assert list(group) == ["id", "name", "description", "tenant_id", "rules"]
    assert (group["name"], group["description"], group["tenant_id"]) == (
        "default", "Default security group", "demo")
    assert len(group["rules"]) == 2
    for rule in group["rules"]:
        assert rule == {"id": rule["id"], "parent_group_id": group["id"],
                        "ip_protocol": None, "from_port": None,
                        "to_port": None, "group": {"name": "default",
                                                   "tenant_id": "demo"},
                        "ip_range": {}}
    assert groups_of(cloud, server_id, ADMIN) == groups
    # the same group for every server of the project
    assert groups_of(cloud, boot_id(cloud, who=DEMO), DEMO) == groups


def test_server_groups_query_is_strict_from_2_102(cloud):
    server_id = boot_id(cloud, who=DEMO)
    path = f"{URL}/{server_id}/os-security-groups?x=1"
    cloud.get(path, headers=v("2.101", DEMO), status=200)
    resp = cloud.get(path, headers=v("2.102", DEMO), status=400)
    fault(resp, "badRequest", 400)
