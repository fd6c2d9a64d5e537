"""Quota sets and flavor access check the project with Keystone, as
upstream's ``nova.api.openstack.identity`` does, when the API
authenticates with Keystone: ``GET /v3/projects/{id}`` as the caller,
endpoint from the caller's catalog or ``[keystone] endpoint_override``.
"""

import pytest

from tests.fake_keystone import FakeKeystone
from tests.helpers import fault, write_keystone_config


@pytest.fixture
def keystone(httpserver):
    fake = FakeKeystone(httpserver)
    fake.projects.add("existing")
    yield fake
    httpserver.check_assertions()


@pytest.fixture
def api(config_dir, tmp_path, keystone):
    return write_keystone_config(config_dir, tmp_path, keystone).testapp()


@pytest.fixture
def admin(keystone):
    token = keystone.issue("u-admin", "p-admin", ["admin", "member",
                                                  "reader"])
    return {"X-Auth-Token": token}


def _private_flavor(api, admin):
    body = {"flavor": {"name": "private", "ram": 512, "vcpus": 1,
                       "disk": 1, "os-flavor-access:is_public": False}}
    return api.post_json("/v2.1/flavors", body,
                         headers=admin).json["flavor"]["id"]


def test_quota_update_of_an_unknown_project_is_400(api, keystone, admin):
    resp = api.put_json("/v2.1/os-quota-sets/nosuch",
                        {"quota_set": {"cores": 5}}, headers=admin,
                        status=400)
    fault(resp, "badRequest", 400)
    assert resp.json["badRequest"]["message"] == (
        "Project ID nosuch is not a valid project.")
    # Asked as the caller, with the caller's token.
    assert keystone.project_lookups == [(admin["X-Auth-Token"], "nosuch")]
    resp = api.delete("/v2.1/os-quota-sets/nosuch", headers=admin,
                      status=400)
    assert resp.json["badRequest"]["message"] == (
        "Project ID nosuch is not a valid project.")


def test_quota_update_of_a_project_keystone_knows(api, keystone, admin):
    resp = api.put_json("/v2.1/os-quota-sets/existing",
                        {"quota_set": {"cores": 5}}, headers=admin)
    assert resp.json["quota_set"]["cores"] == 5
    api.delete("/v2.1/os-quota-sets/existing", headers=admin, status=202)
    assert [p for _t, p in keystone.project_lookups] == ["existing"] * 2
    # Reads do not ask.
    api.get("/v2.1/os-quota-sets/nosuch", headers=admin)
    assert len(keystone.project_lookups) == 2


def test_flavor_access_checks_the_tenant(api, keystone, admin):
    flavor = _private_flavor(api, admin)
    url = f"/v2.1/flavors/{flavor}/action"
    resp = api.post_json(url, {"addTenantAccess": {"tenant": "nosuch"}},
                         headers=admin, status=400)
    assert resp.json["badRequest"]["message"] == (
        "Project ID nosuch is not a valid project.")
    resp = api.post_json(url, {"addTenantAccess": {"tenant": "existing"}},
                         headers=admin)
    assert resp.json["flavor_access"] == [
        {"flavor_id": flavor, "tenant_id": "existing"}]
    resp = api.post_json(url, {"removeTenantAccess": {"tenant": "nosuch"}},
                         headers=admin, status=400)
    assert resp.json["badRequest"]["message"] == (
        "Project ID nosuch is not a valid project.")
    api.post_json(url, {"removeTenantAccess": {"tenant": "existing"}},
                  headers=admin)


@pytest.mark.parametrize("status", [403, 500, 503])
def test_keystone_refusing_or_failing_lets_the_call_through(
        api, keystone, admin, status):
    keystone.project_status = status
    resp = api.put_json("/v2.1/os-quota-sets/nosuch",
                        {"quota_set": {"cores": 7}}, headers=admin)
    assert resp.json["quota_set"]["cores"] == 7


def test_keystone_unreachable_lets_the_call_through(
        config_dir, tmp_path, keystone, admin, caplog):
    # endpoint_override to a closed port: the project cannot be checked.
    api = write_keystone_config(config_dir, tmp_path, keystone, """
        [keystone]
        endpoint_override = http://127.0.0.1:9/v3
        """).testapp()
    resp = api.put_json("/v2.1/os-quota-sets/nosuch",
                        {"quota_set": {"cores": 7}}, headers=admin)
    assert resp.json["quota_set"]["cores"] == 7
    assert "Unable to contact keystone to verify project_id" in caplog.text


def test_endpoint_override_is_used(config_dir, tmp_path, keystone, admin):
    api = write_keystone_config(config_dir, tmp_path, keystone, f"""
        [keystone]
        endpoint_override = {keystone.base}/v3
        """).testapp()
    api.put_json("/v2.1/os-quota-sets/nosuch", {"quota_set": {"cores": 7}},
                 headers=admin, status=400)


def test_no_identity_endpoint_is_400(api, keystone):
    # A token whose catalog has no identity service.
    token = keystone.issue("u-admin", "p-admin", ["admin"])
    body = keystone.tokens[token]["token"]
    body["catalog"] = [entry for entry in body["catalog"]
                       if entry["type"] != "identity"]
    resp = api.put_json("/v2.1/os-quota-sets/nosuch",
                        {"quota_set": {"cores": 7}},
                        headers={"X-Auth-Token": token}, status=400)
    assert resp.json["badRequest"]["message"] == (
        "Nova was unable to find Keystone service endpoint.")
    assert keystone.project_lookups == []


def test_noauth_does_not_ask_keystone(fast_compute):
    from tests.helpers import ADMIN

    resp = fast_compute.put_json("/v2.1/os-quota-sets/anything",
                                 {"quota_set": {"cores": 3}}, headers=ADMIN)
    assert resp.json["quota_set"]["cores"] == 3
