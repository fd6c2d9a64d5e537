"""APIs upstream removed but still routes: 410 Gone at every microversion,
for everyone, whatever the body; and the os-tenant-networks proxy, which
it still serves until 2.35."""

import pytest

from nova import policies
from nova.api.compute.handlers import removed
from tests.helpers import (
    ADMIN,
    DEMO,
    action,
    boot_id,
    fault,
    v,
)

GONE = ("This resource is no longer available.  No forwarding address is "
        "given.")
SERVER = "9c8a3b4e-1111-4222-8333-444455556666"  # exists or not: no matter
REMOVED = [(method, path) for path, methods in removed._REMOVED.items()
           for method in methods]


def _url(path):
    return "/v2.1" + path.replace("{server_id}", SERVER).replace(
        "{domain_id}", "example.org").replace("{id}", "1").replace(
        "{network_id}", "1")


@pytest.mark.parametrize("method,path", REMOVED)
@pytest.mark.parametrize("who,version", [(DEMO, "2.1"), (ADMIN, "latest")])
def test_removed_apis_are_410(cloud, method, path, who, version):
    headers = v(version, who)
    url = _url(path)
    if method in ("POST", "PUT"):
        resp = cloud.request(url, method=method, headers={
            **headers, "Content-Type": "application/json"},
            body=b'{"anything": [1, 2]}', expect_errors=True)
    else:
        resp = cloud.request(url, method=method, headers=headers,
                             expect_errors=True)
    assert resp.status_int == 410
    assert fault(resp, "gone", 410) == GONE


def test_a_removed_api_with_no_body_is_410_too(cloud):
    resp = cloud.post("/v2.1/os-cloudpipe", headers=DEMO, status=410)
    assert fault(resp, "gone", 410) == GONE


def test_reset_network_is_410_before_the_server_is_looked_up(cloud):
    for server_id in (SERVER, boot_id(cloud, who=DEMO)):
        resp = action(cloud, server_id, {"resetNetwork": None}, who=DEMO,
                      status=410)
        assert fault(resp, "gone", 410) == GONE


def test_rdp_console_is_410_until_2_5_then_404(cloud):
    server_id = boot_id(cloud, who=DEMO)
    resp = action(cloud, server_id, {"os-getRDPConsole": {"type": "rdp"}},
                  version="2.5", who=DEMO, status=410)
    assert fault(resp, "gone", 410) == GONE
    resp = action(cloud, server_id, {"os-getRDPConsole": {"type": "rdp"}},
                  version="2.6", who=DEMO, status=404)
    fault(resp, "itemNotFound", 404)


def test_tenant_networks_show_the_flat_network_until_2_35(cloud):
    listed = cloud.get("/v2.1/os-tenant-networks", headers=DEMO).json
    (network,) = listed["networks"]
    # upstream's three fields; cidr is the string "None" since Neutron
    assert network == {"id": network["id"], "cidr": "None",
                       "label": "private"}
    shown = cloud.get(f"/v2.1/os-tenant-networks/{network['id']}",
                      headers=DEMO).json
    assert shown == {"network": network}
    resp = cloud.get(f"/v2.1/os-tenant-networks/{SERVER}", headers=DEMO,
                     status=404)
    assert fault(resp, "itemNotFound", 404) == "Network not found"
    for path in ("", f"/{network['id']}"):
        resp = cloud.get(f"/v2.1/os-tenant-networks{path}",
                         headers=v("2.36", DEMO), status=404)
        fault(resp, "itemNotFound", 404)


def test_tenant_networks_rules_are_upstreams():
    rules = {r.name: r.check_str for r in policies.list_rules()}
    for name in ("list", "show"):
        assert rules[f"os_compute_api:os-tenant-networks:{name}"] == \
            "rule:project_reader_or_admin"
