"""Which query strings each route checks, and from which microversion, as
upstream Nova: its ``@validation.query_schema`` decorators decide, route
by route (the request-schema audit, items 3, 4, 5, 16 and 24).

- the GETs of one server's things ignore unknown parameters until 2.101
  and refuse them from 2.102 (2.75 made the server *list* strict only);
- the writes check nothing of the query string, at any version (upstream
  declares no query schema for them, and 2.102 changed only declared
  ones), nor do the GETs of a server's tags and of the quota defaults;
- the flavor list and os-simple-tenant-usage refuse them from 2.75.
"""

import uuid

import pytest

from tests.helpers import (
    ADMIN,
    DEMO,
    IMAGE,
    SSH_KEY,
    URL,
    boot_id,
    fault,
    get,
    make_flavor,
    v,
)

UNEXPECTED = "Additional properties are not allowed ('foo' was unexpected)"


def refused(resp):
    assert UNEXPECTED in fault(resp, "badRequest", 400)


@pytest.fixture
def server(cloud):
    """A server with a metadata key and a tag; (its id, its paths)."""
    server_id = boot_id(cloud, "vm", metadata={"k": "v"})
    base = f"{URL}/{server_id}"
    cloud.put(f"{base}/tags/t1", headers=v("2.26"), status=201)
    (label, _addrs), = get(cloud, server_id)["addresses"].items()
    port = cloud.get(f"{base}/os-interface", headers=ADMIN).json[
        "interfaceAttachments"][0]["port_id"]
    request_id = cloud.get(f"{base}/os-instance-actions", headers=ADMIN).json[
        "instanceActions"][0]["request_id"]
    return server_id, [
        base, f"{base}/ips", f"{base}/ips/{label}", f"{base}/metadata",
        f"{base}/metadata/k", f"{base}/os-server-password",
        f"{base}/os-instance-actions/{request_id}", f"{base}/os-interface",
        f"{base}/os-interface/{port}", f"{base}/diagnostics",
        f"{base}/os-security-groups"]


def test_server_gets_are_lax_until_2_101(cloud, server):
    _server_id, paths = server
    for path in paths:
        for version in ("2.1", "2.74", "2.75", "2.101"):
            cloud.get(path + "?foo=1", headers=v(version), status=200)
        for version in ("2.102", "latest"):
            refused(cloud.get(path + "?foo=1", headers=v(version),
                              status=400))


def test_server_tag_gets_are_never_strict(cloud, server):
    server_id, _paths = server
    for version in ("2.26", "2.75", "2.102", "latest"):
        assert cloud.get(f"{URL}/{server_id}/tags?foo=1",
                         headers=v(version)).json == {"tags": ["t1"]}
        cloud.get(f"{URL}/{server_id}/tags/t1?foo=1", headers=v(version),
                  status=204)


@pytest.mark.parametrize("version", ["2.75", "2.102", "latest"])
def test_server_writes_take_any_query(cloud, server, version):
    server_id, _paths = server
    base = f"{URL}/{server_id}"
    h = v(version)
    created = cloud.post_json(URL + "?foo=1", {"server": {
        "name": "q", "imageRef": IMAGE, "flavorRef": "1",
        "networks": "none"}}, headers=h, status=202)
    cloud.put_json(base + "?foo=1", {"server": {"name": "vm2"}}, headers=h,
                   status=200)
    cloud.post_json(base + "/action?foo=1", {"os-stop": None}, headers=h,
                    status=202)
    cloud.post_json(base + "/metadata?foo=1", {"metadata": {"a": "1"}},
                    headers=h, status=200)
    cloud.put_json(base + "/metadata?foo=1", {"metadata": {"a": "2"}},
                   headers=h, status=200)
    cloud.put_json(base + "/metadata/b?foo=1", {"meta": {"b": "3"}},
                   headers=h, status=200)
    cloud.delete(base + "/metadata/b?foo=1", headers=h, status=204)
    cloud.put_json(base + "/tags?foo=1", {"tags": ["x"]}, headers=h,
                   status=200)
    cloud.put(base + "/tags/y?foo=1", headers=h, status=201)
    cloud.delete(base + "/tags/y?foo=1", headers=h, status=204)
    cloud.delete(base + "/tags?foo=1", headers=h, status=204)
    cloud.delete(base + "/os-server-password?foo=1", headers=h, status=204)
    cloud.delete(f"{URL}/{created.json['server']['id']}?foo=1", headers=h,
                 status=204)


def test_admin_writes_take_any_query(cloud):
    h = v("latest")
    flavor = make_flavor(cloud, "f-q", flavor_id="q", version="latest")
    fl = f"/v2.1/flavors/{flavor['id']}"
    cloud.put_json(fl + "?foo=1", {"flavor": {"description": "d"}},
                   headers=h, status=200)
    cloud.post_json(fl + "/os-extra_specs?foo=1",
                    {"extra_specs": {"hw:numa_nodes": "1"}}, headers=h,
                    status=200)
    cloud.put_json(fl + "/os-extra_specs/hw:numa_nodes?foo=1",
                   {"hw:numa_nodes": "2"}, headers=h, status=200)
    cloud.delete(fl + "/os-extra_specs/hw:numa_nodes?foo=1", headers=h,
                 status=200)
    cloud.post_json(fl + "/action?foo=1",
                    {"addTenantAccess": {"tenant": "demo"}}, headers=h,
                    status=409)  # a public flavor: checked further on
    cloud.delete(fl + "?foo=1", headers=h, status=202)
    cloud.post_json("/v2.1/os-keypairs?foo=1", {"keypair": {
        "name": "k", "public_key": SSH_KEY}}, headers=h, status=201)
    group = cloud.post_json("/v2.1/os-server-groups?foo=1", {"server_group": {
        "name": "g", "policy": "affinity"}}, headers=h).json["server_group"]
    cloud.delete(f"/v2.1/os-server-groups/{group['id']}?foo=1", headers=h,
                 status=204)
    cloud.put_json("/v2.1/os-quota-class-sets/default?foo=1",
                   {"quota_class_set": {"instances": 20}}, headers=h,
                   status=200)
    service = cloud.get("/v2.1/os-services?binary=nova-compute",
                        headers=h).json["services"][0]["id"]
    cloud.put_json(f"/v2.1/os-services/{service}?foo=1",
                   {"status": "enabled"}, headers=h, status=200)
    cloud.delete(f"/v2.1/os-services/{uuid.uuid4()}?foo=1", headers=h,
                 status=404)
    agg = cloud.post_json("/v2.1/os-aggregates?foo=1", {"aggregate": {
        "name": "a"}}, headers=h).json["aggregate"]["id"]
    cloud.put_json(f"/v2.1/os-aggregates/{agg}?foo=1",
                   {"aggregate": {"name": "b"}}, headers=h, status=200)
    cloud.post_json(f"/v2.1/os-aggregates/{agg}/action?foo=1",
                    {"set_metadata": {"metadata": {"k": "v"}}}, headers=h,
                    status=200)
    cloud.post_json(f"/v2.1/os-aggregates/{agg}/images?foo=1",
                    {"cache": [{"id": IMAGE}]}, headers=h, status=202)
    cloud.delete(f"/v2.1/os-aggregates/{agg}?foo=1", headers=h, status=200)


def test_quota_defaults_are_never_strict(cloud):
    for version in ("2.75", "2.102", "latest"):
        cloud.get("/v2.1/os-quota-sets/demo/defaults?foo=1",
                  headers=v(version), status=200)


@pytest.mark.parametrize("path", [
    "/v2.1/flavors", "/v2.1/flavors/detail", "/v2.1/os-simple-tenant-usage",
    "/v2.1/os-simple-tenant-usage/demo"])
def test_flavor_list_and_usage_are_strict_from_2_75(cloud, path):
    cloud.get(path + "?foo=1", headers=v("2.74"), status=200)
    for version in ("2.75", "2.101", "latest"):
        refused(cloud.get(path + "?foo=1", headers=v(version), status=400))


def test_flavor_and_aggregate_gets_are_strict_from_2_102(cloud):
    agg = cloud.post_json("/v2.1/os-aggregates", {"aggregate": {
        "name": "a"}}, headers=ADMIN).json["aggregate"]["id"]
    for path in ("/v2.1/flavors/1", "/v2.1/flavors/1/os-extra_specs",
                 f"/v2.1/os-aggregates/{agg}", "/v2.1/os-aggregates",
                 "/v2.1/os-quota-class-sets/default"):
        cloud.get(path + "?foo=1", headers=v("2.101"), status=200)
        refused(cloud.get(path + "?foo=1", headers=v("2.102"), status=400))


# -- paging parameters (audit item 24) ----------------------------------------

def test_hypervisor_paging_may_repeat_until_2_52(cloud):
    path = "/v2.1/os-hypervisors?limit=1&limit=5&marker=x&marker=1"
    for version in ("2.33", "2.52"):
        cloud.get(path.replace("marker=x&", ""), headers=v(version),
                  status=200)
    resp = cloud.get(path, headers=v("2.53"), status=400)
    assert "is too long" in fault(resp, "badRequest", 400)


def test_migration_and_action_paging_given_once(cloud):
    server_id = boot_id(cloud)
    actions = f"{URL}/{server_id}/os-instance-actions"
    for path, version in (("/v2.1/os-migrations", "2.59"),
                          (actions, "2.58")):
        cloud.get(path + "?limit=1", headers=v(version), status=200)
        for query in ("limit=1&limit=2", "marker=a&marker=b",
                      "changes-since=2020-01-01&changes-since=2020-01-02"):
            resp = cloud.get(f"{path}?{query}", headers=v(version),
                             status=400)
            assert "is too long" in fault(resp, "badRequest", 400)
        # A marker of any length is looked up (and not found).
        marker = "m" * 300
        resp = cloud.get(f"{path}?marker={marker}", headers=v(version),
                         status=400)
        assert fault(resp, "badRequest", 400) == \
            f"Marker {marker} could not be found."
    for name in ("user_id", "project_id"):
        cloud.get(f"/v2.1/os-migrations?{name}=a", headers=v("2.80"),
                  status=200)
        cloud.get(f"/v2.1/os-migrations?{name}=a&{name}=b",
                  headers=v("2.80"), status=400)


def test_limit_is_digits_only(cloud):
    server_id = boot_id(cloud)
    for path, version in (
            (URL, "2.1"), (URL + "/detail", "latest"),
            ("/v2.1/flavors", "2.1"), ("/v2.1/flavors/detail", "latest"),
            ("/v2.1/os-migrations", "2.59"),
            (f"{URL}/{server_id}/os-instance-actions", "2.58"),
            ("/v2.1/os-simple-tenant-usage", "2.40"),
            ("/v2.1/os-simple-tenant-usage/demo", "latest")):
        cloud.get(path + "?limit=1", headers=v(version), status=200)
        for bad in ("%2B1", "%201", "1%20", "-1", "1.0", ""):
            resp = cloud.get(f"{path}?limit={bad}", headers=v(version),
                             status=400)
            fault(resp, "badRequest", 400)


def test_image_paging_numbers_are_positive(cloud):
    for query in ("limit=1", "offset=1", "page_size=2&page_size=1",
                  "limit=01"):
        cloud.get(f"/v2.1/images?{query}", headers=v("2.35"), status=200)
    for query in ("limit=0", "offset=x", "page_size=0", "offset=-1",
                  "limit=%2B1"):
        resp = cloud.get(f"/v2.1/images/detail?{query}", headers=v("2.35"),
                         status=400)
        assert "does not match" in fault(resp, "badRequest", 400)


# -- the server list's ignored sort keys (item 7) -----------------------------

IGNORED = ["architecture", "cell_name", "cleaned", "default_ephemeral_device",
           "default_swap_device", "deleted", "deleted_at", "disable_terminate",
           "ephemeral_gb", "ephemeral_key_uuid", "id", "key_data",
           "launched_on", "memory_mb", "os_type", "reservation_id",
           "root_gb", "shutdown_terminate", "user_data", "vcpus", "vm_mode"]


def listed(cloud, query, version):
    return [s["name"] for s in cloud.get(
        f"{URL}?{query}", headers=v(version)).json["servers"]]


def test_ignored_sort_keys_until_2_74(cloud):
    for name in ("b", "c", "a"):
        boot_id(cloud, name)
    newest_first = ["a", "c", "b"]
    for version in ("2.1", "2.72", "2.74"):
        for key in IGNORED:
            # Dropped with their direction: the default order.
            assert listed(cloud, f"sort_key={key}&sort_dir=asc",
                          version) == newest_first
        assert listed(cloud, "sort_key=vcpus&sort_dir=desc"
                      "&sort_key=display_name&sort_dir=asc", version) == \
            ["a", "b", "c"]
        assert listed(cloud, "sort_key=display_name&sort_key=id"
                      "&sort_dir=asc", version) == ["a", "b", "c"]
    # "locked" is ignored too until 2.72, a key from 2.73.
    cloud.post_json(f"{URL}/{_id(cloud, 'c')}/action", {"lock": None},
                    headers=ADMIN, status=202)
    assert listed(cloud, "sort_key=locked&sort_dir=asc", "2.72") == \
        newest_first
    assert listed(cloud, "sort_key=locked&sort_dir=asc", "2.73")[-1] == "c"
    assert listed(cloud, "sort_key=locked&sort_dir=desc", "2.73")[0] == "c"
    for version in ("2.75", "latest"):
        for key in IGNORED:
            resp = cloud.get(f"{URL}?sort_key={key}", headers=v(version),
                             status=400)
            assert fault(resp, "badRequest", 400) == \
                f"Invalid sort key: {key}"
        assert listed(cloud, "sort_key=locked&sort_dir=desc",
                      version)[0] == "c"


def _id(cloud, name):
    return next(s["id"] for s in cloud.get(
        URL, headers=ADMIN).json["servers"] if s["name"] == name)


# -- the server list's regular expression filters (item 23) -------------------

REGEX_FILTERS = [
    "kernel_id", "ramdisk_id", "hostname", "key_name", "power_state", "node",
    "flavor", "reservation_id", "launched_at", "terminated_at",
    "availability_zone", "name", "display_name", "description",
    "display_description", "locked_by", "root_device_name", "config_drive",
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress", "ip",
    "ip6", "created_at"]
TAG_FILTERS = ["tags", "tags-any", "not-tags", "not-tags-any"]


@pytest.mark.parametrize("who", [ADMIN, DEMO])
def test_regex_filters_must_be_regular_expressions(cloud, who):
    for version, params in (("2.1", REGEX_FILTERS), ("2.25", REGEX_FILTERS),
                            ("2.26", TAG_FILTERS), ("latest", REGEX_FILTERS
                                                    + TAG_FILTERS)):
        for param in params:
            for bad in ("", "[", "+1", "a(", "(?P<x"):
                resp = cloud.get(URL, params={param: bad},
                                 headers=v(version, who), status=400)
                assert f"'{bad}' is not a 'regex'" in fault(
                    resp, "badRequest", 400)
            # Repeated: each value must be one.
            cloud.get(f"{URL}?{param}=a&{param}=%5B",
                      headers=v(version, who), status=400)
    # Before 2.26 the tag filters are not known: ignored, whatever they are.
    cloud.get(URL, params={"tags": ""}, headers=v("2.25", who), status=200)
    # The other filters are plain strings.
    for param in ("uuid", "image", "host", "vm_state", "user_id"):
        cloud.get(URL, params={param: "["}, headers=v("2.1", who),
                  status=200)


def test_regex_filters_take_regular_expressions(cloud):
    boot_id(cloud, "web-1")
    # (power_state, config_drive and the times are then read as a number,
    # a boolean or a time: 400 otherwise, as upstream)
    for param in set(REGEX_FILTERS) - {"power_state", "config_drive",
                                       "created_at", "launched_at",
                                       "terminated_at"}:
        cloud.get(URL, params={param: "a|b"}, headers=ADMIN, status=200)
    assert listed(cloud, "name=%5Ew.b", "2.1") == ["web-1"]
