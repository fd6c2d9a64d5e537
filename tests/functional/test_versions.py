"""Version documents and microversion negotiation, as upstream answers them."""

import json
import re

import pytest

from nova.api import microversions
from nova.api.compute import routes
from tests.helpers import ADMIN, sample

MAX = microversions.as_text(routes.MAX_VERSION)


def sample_body(name):
    return sample(name)[2]


def with_host(doc, host):
    return json.loads(json.dumps(doc).replace("http://127.0.0.1:18774", host)
                      .replace('"version": "2.104"', f'"version": "{MAX}"'))


@pytest.fixture
def samples():
    return sample_body


@pytest.mark.parametrize("path", ["/", ""])
def test_root_document_matches_upstream(compute, samples, path):
    resp = compute.get(path or "/",
                       extra_environ={"HTTP_HOST": "api.example:8774"})
    assert resp.json == with_host(samples("versions_root"), "http://api.example:8774")
    assert resp.content_type == "application/json"


@pytest.mark.parametrize("path", ["/v2.1", "/v2.1/"])
def test_v21_document_matches_upstream_without_token(compute, samples, path):
    resp = compute.get(path, extra_environ={"HTTP_HOST": "api.example:8774"})
    assert resp.json == with_host(samples("v21_root"), "http://api.example:8774")
    assert resp.headers["OpenStack-API-Version"] == "compute 2.1"
    assert resp.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert resp.headers.getall("Vary") == ["OpenStack-API-Version",
                                          "X-OpenStack-Nova-API-Version"]
    rid = resp.headers["x-openstack-request-id"]
    assert re.fullmatch(r"req-[0-9a-f-]{36}", rid)
    assert resp.headers["x-compute-request-id"] == rid


@pytest.mark.parametrize("path", ["/v2", "/v2/"])
def test_v2_document_matches_upstream(compute, samples, path):
    resp = compute.get(path, extra_environ={"HTTP_HOST": "api.example:8774"})
    assert resp.json == with_host(samples("v2_root"), "http://api.example:8774")
    assert "OpenStack-API-Version" not in resp.headers


def test_advertised_maximum_is_computed_from_the_table():
    assert routes.MAX_VERSION == microversions.compute_max(
        routes.IMPLEMENTED, routes.HONOURED)
    assert routes.MAX_VERSION <= microversions.UPSTREAM_MAX


def test_version_list_is_complete_and_described():
    numbers = [v.version for v in microversions.VERSIONS]
    assert numbers == [f"2.{i}" for i in range(1, 105)]
    for entry in microversions.VERSIONS:
        assert entry.change.strip(), entry.version
        assert all(isinstance(r, str) and r for r in entry.touches)


def test_compute_max_stops_before_first_unhonoured_change():
    touching = [v for v in microversions.VERSIONS if "flavors" in v.touches]
    first = touching[0]
    # Flavors served, nothing honoured: stop just before the first change.
    got = microversions.compute_max({"flavors"}, {})
    assert got < microversions.parse(first.version)
    # Everything honoured: the whole list.
    all_flavor = {"flavors": {v.version for v in touching}}
    assert microversions.compute_max({"flavors"}, all_flavor) == (2, 104)
    # Nothing served: every change is trivially honoured.
    assert microversions.compute_max(set(), {}) == (2, 104)


@pytest.mark.parametrize("headers,expected", [
    ({}, "2.1"),
    ({"OpenStack-API-Version": "compute 2.50"}, "2.50"),
    ({"X-OpenStack-Nova-API-Version": "2.60"}, "2.60"),
    # The standard header wins over the legacy one.
    ({"OpenStack-API-Version": "compute 2.40",
      "X-OpenStack-Nova-API-Version": "2.60"}, "2.40"),
    ({"OpenStack-API-Version": "compute latest"}, MAX),
    ({"OpenStack-API-Version": "volume 3.5, compute 2.7"}, "2.7"),
    # Another service's version only: the default.
    ({"OpenStack-API-Version": "volume 3.5"}, "2.1"),
])
def test_negotiation_echoes_version(compute, headers, expected):
    resp = compute.get("/v2.1/", headers=headers)
    assert resp.headers["OpenStack-API-Version"] == f"compute {expected}"
    assert resp.headers["X-OpenStack-Nova-API-Version"] == expected


@pytest.mark.parametrize("value", ["abc", "2", "2.x", "2.01.1", "-2.1",
                                   "2. 1"])
def test_malformed_version_is_400(compute, value):
    resp = compute.get("/v2.1/",
                       headers={"OpenStack-API-Version": f"compute {value}"},
                       status=400)
    assert resp.json == {"badRequest": {
        "code": 400,
        "message": f"API Version String {value} is of invalid format. Must "
                   f"be of format MajorNum.MinorNum."}}


@pytest.mark.parametrize("value", ["2.105", "9.99", "2.0", "1.1", "3.0"])
def test_out_of_range_version_is_406_with_headers(compute, value):
    for path in ("/v2.1/", "/v2.1/flavors"):
        resp = compute.get(path, headers={
            **ADMIN, "OpenStack-API-Version": f"compute {value}"},
            status=406)
        assert resp.json == {"computeFault": {
            "code": 406,
            "message": f"Version {value} is not supported by the API. "
                       f"Minimum is 2.1 and maximum is {MAX}."}}
        assert resp.headers["OpenStack-API-Version"] == f"compute {value}"
        assert resp.headers["X-OpenStack-Nova-API-Version"] == value
        assert resp.headers.getall("Vary") == ["OpenStack-API-Version",
                                              "X-OpenStack-Nova-API-Version"]


def test_406_sample_shape(compute, samples):
    body = samples("bad_microversion_2_105")
    resp = compute.get("/v2.1/flavors", headers={
        **ADMIN, "OpenStack-API-Version": "compute 2.105"}, status=406)
    if MAX == "2.104":
        assert resp.json == body


def test_every_api_response_carries_version_headers(compute):
    resp = compute.get("/v2.1/no-such-resource", headers={
        **ADMIN, "OpenStack-API-Version": "compute 2.30"}, status=404)
    assert resp.headers["OpenStack-API-Version"] == "compute 2.30"
    assert resp.headers.getall("Vary") == ["OpenStack-API-Version",
                                          "X-OpenStack-Nova-API-Version"]


def test_head_and_bad_method_on_versions(compute):
    assert compute.head("/").body == b""
    resp = compute.post("/", status=405)
    assert resp.json["badMethod"]["code"] == 405
    assert resp.headers["Allow"] == "GET, HEAD"


def test_links_follow_forwarded_proto_when_enabled(noauth_config):
    noauth_config.write("nova.conf.d/proxy.conf",
                        "[oslo_middleware]\n"
                        "enable_proxy_headers_parsing = true\n")
    app = noauth_config.testapp()
    resp = app.get("/", headers={"X-Forwarded-Proto": "https"},
                   extra_environ={"HTTP_HOST": "cloud.example"})
    assert resp.json["versions"][1]["links"][0]["href"] == "https://cloud.example/v2.1/"


def test_proxy_headers_parsing_from_the_environment(noauth_config,
                                                   monkeypatch):
    # oslo.config reads OS_<GROUP>__<OPTION> too: no [oslo_middleware]
    # section in any file, and the proxy's headers are still honoured.
    monkeypatch.setenv("OS_OSLO_MIDDLEWARE__ENABLE_PROXY_HEADERS_PARSING",
                       "true")
    resp = noauth_config.testapp().get(
        "/", headers={"X-Forwarded-Proto": "https"},
        extra_environ={"HTTP_HOST": "cloud.example"})
    assert resp.json["versions"][1]["links"][0]["href"] == \
        "https://cloud.example/v2.1/"


def test_forwarded_proto_ignored_by_default(compute):
    resp = compute.get("/", headers={"X-Forwarded-Proto": "https"},
                       extra_environ={"HTTP_HOST": "cloud.example"})
    assert resp.json["versions"][1]["links"][0]["href"] == "http://cloud.example/v2.1/"


def test_link_prefix_option(noauth_config):
    noauth_config.write("nova.conf.d/link.conf",
                        "[api]\ncompute_link_prefix = https://public.example/compute\n")
    resp = noauth_config.testapp().get("/")
    assert resp.json["versions"][0]["links"][0]["href"] == "https://public.example/compute/v2/"


def test_script_name_prefix_is_kept_in_links(compute):
    # Served below /compute (DevStack's layout): links include the prefix.
    resp = compute.get("/v2.1", extra_environ={"SCRIPT_NAME": "/compute",
                                               "HTTP_HOST": "h"})
    assert resp.json["version"]["links"][0]["href"] == "http://h/compute/v2.1/"
