"""Flavor requests as upstream Nova's schemas and handlers take them, both
sides of each boundary (the request-schema audit's items, cited by each
section). The views and samples are in test_flavors.py."""

import pytest

from tests.helpers import ADMIN, DEMO, fault, make_flavor, upstream, v

URL = "/v2.1/flavors"


def bad_request(resp):
    return fault(resp, "badRequest", 400)


def names(resp):
    return [f["name"] for f in resp.json["flavors"]]


@pytest.fixture
def flavors(compute):
    for name, flavor_id, ram in (("m1.tiny", "1", 512),
                                 ("m1.small", "2", 2048),
                                 ("m2.small", "3", 2048),
                                 ("big.m1", "4", 4096)):
        make_flavor(compute, name, ram=ram, flavor_id=flavor_id)
    return compute


# -- 2.102: the name filter, rxtx_factor gone (items 6 and 10) ----------------

def test_name_filter_from_2_102(flavors):
    for path in (URL, URL + "/detail"):
        # A regular expression searched in the name (upstream's REGEXP).
        for pattern, expected in (
                ("m1", ["m1.tiny", "m1.small", "big.m1"]),
                ("^m1", ["m1.tiny", "m1.small"]),
                ("small$", ["m1.small", "m2.small"]),
                ("m[12]\\.small", ["m1.small", "m2.small"]),
                ("none", []), ("", ["m1.tiny", "m1.small", "m2.small",
                                    "big.m1"])):
            for version in ("2.102", "latest"):
                resp = flavors.get(path, params={"name": pattern},
                                   headers=v(version, DEMO))
                assert names(resp) == expected
        # With the other filters, sorting and paging.
        resp = flavors.get(path + "?name=small&minRam=2048&sort_key=name"
                           "&sort_dir=desc&limit=1", headers=v("2.102"))
        assert names(resp) == ["m2.small"]
        href = resp.json["flavors_links"][0]["href"]
        assert "name=small" in href and "marker=3" in href
        resp = flavors.get(path + "?name=small&sort_key=name&sort_dir=desc"
                           "&limit=1&marker=3", headers=v("2.102"))
        assert names(resp) == ["m1.small"]
        # Before 2.102: ignored (2.1-2.74), then refused (2.75-2.101).
        assert len(names(flavors.get(path + "?name=m2",
                                     headers=v("2.74")))) == 4
        resp = flavors.get(path + "?name=m2", headers=v("2.101"), status=400)
        assert "'name' was unexpected" in bad_request(resp)


def test_name_filter_that_does_not_compile(flavors):
    resp = flavors.get(URL + "?name=%5B", headers=v("2.102"), status=400)
    assert bad_request(resp) == "Invalid name filter [[]"


def test_rxtx_factor_sort_key_until_2_101(flavors):
    flavors.get(URL + "?sort_key=rxtx_factor", headers=v("2.101"),
                status=200)
    resp = flavors.get(URL + "?sort_key=rxtx_factor", headers=v("2.102"),
                       status=400)
    assert bad_request(resp) == "Invalid sort key"
    flavors.get(URL + "?sort_key=vcpu_weight", headers=v("2.102"),
                status=200)


def test_rxtx_factor_not_taken_by_create_from_2_102(compute):
    flavor = make_flavor(compute, "old", flavor_id="old", version="2.101",
                         rxtx_factor=2.0)
    assert flavor["rxtx_factor"] == 2.0
    resp = compute.post_json(URL, {"flavor": {
        "name": "new", "ram": 512, "vcpus": 1, "disk": 1,
        "rxtx_factor": 2.0}}, headers=v("2.102"), status=400)
    assert "('rxtx_factor' was unexpected)" in bad_request(resp)
    flavor = make_flavor(compute, "new", version="2.102")
    assert "rxtx_factor" not in flavor
    assert "OS-FLV-DISABLED:disabled" not in flavor


def test_latest_detail_matches_upstream_sample(compute):
    status, body = upstream("flavors_detail_latest")
    for flavor in body["flavors"]:
        make_flavor(compute, flavor["name"], ram=flavor["ram"],
                    disk=flavor["disk"], vcpus=flavor["vcpus"],
                    flavor_id=flavor["id"], version="latest",
                    description=flavor["description"])
    resp = compute.get(URL + "/detail", headers=v("latest", ADMIN))
    assert (resp.status_int, resp.json) == (status, body)


# -- names and descriptions: printable BMP characters (items 9, 11) -----------

NAME_RULE = ("An invalid 'name' value was provided. The name must be: "
             "printable characters. Can not start or end with whitespace.")


def test_flavor_names(compute):
    for index, name in enumerate(["\u00e9t\u00e9", "a\u3000b", "abc\n"]):
        flavor = make_flavor(compute, name, flavor_id=f"ok{index}")
        assert flavor["name"] == name
    for name in ("a\u200bb", "a\u2028b", "a\u0085b", "a\U0001f600",
                 "a\ufeffb", " a", "a\u00a0"):
        resp = compute.post_json(URL, {"flavor": {
            "name": name, "ram": 512, "vcpus": 1, "disk": 1}},
            headers=ADMIN, status=400)
        assert bad_request(resp) == NAME_RULE


def test_flavor_descriptions_from_2_55(compute):
    make_flavor(compute, "f", flavor_id="f", version="2.55")
    for index, text in enumerate(["", " padded ", "\u00e9\u3000x",
                                  "x" * 65535, "end\n"]):
        flavor = make_flavor(compute, f"d{index}", flavor_id=f"d{index}",
                             version="2.55", description=text)
        assert flavor["description"] == text
        resp = compute.put_json(URL + "/f", {"flavor": {
            "description": text}}, headers=v("2.55"))
        assert resp.json["flavor"]["description"] == text
    for text in ("a\nb", "a\tb", "a\rb", "a\u200bb", "a\u2028b",
                 "a\U0001f600", "a\ufeffb"):
        resp = compute.post_json(URL, {"flavor": {
            "name": "x", "ram": 512, "vcpus": 1, "disk": 1,
            "description": text}}, headers=v("2.55"), status=400)
        assert "is not a 'description'" in bad_request(resp)
        resp = compute.put_json(URL + "/f", {"flavor": {
            "description": text}}, headers=v("2.55"), status=400)
        assert "is not a 'description'" in bad_request(resp)


# -- extra specs: upstream's keys and values (item 17) ------------------------

def test_extra_spec_keys_and_values(flavors):
    base = URL + "/1/os-extra_specs"
    resp = flavors.post_json(base, {"extra_specs": {
        "a:b.c-d_e f": "x", "n": 2, "f": 0.5, "e": ""}}, headers=ADMIN)
    assert resp.json["extra_specs"] == {"a:b.c-d_e f": "x", "n": "2",
                                        "f": "0.5", "e": ""}
    flavors.put_json(base + "/n", {"n": 3}, headers=ADMIN)
    for specs in ({"a/b": "1"}, {"k": True}, {"k": False}, {"k": None},
                  {"k\u00e9": "1"}):
        resp = flavors.post_json(base, {"extra_specs": specs},
                                 headers=ADMIN, status=400)
        bad_request(resp)
        key = next(iter(specs))
        if key.isascii() and "/" not in key:
            resp = flavors.put_json(f"{base}/{key}", specs, headers=ADMIN,
                                    status=400)
            bad_request(resp)
