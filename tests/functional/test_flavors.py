"""/flavors, os-extra_specs and os-flavor-access through the whole pipeline.

Bodies are compared with upstream Nova 34's answers in
``shared/reference/nova-34-samples`` wherever the data allow (the samples'
flavors are re-created with the same ids; only the host of the links
differs).
"""

import json
import uuid

import pytest

from tests.helpers import (
    ADMIN,
    ALICE,
    DEMO,
    HOST,
    OTHER,
    fault,
    make_flavor,
    sample,
    upstream,
    v,
)

URL = "/v2.1/flavors"
AUTO_ID = "cbdde837-f0bd-4b7a-a49c-2b86d9bf21b0"  # auto.id in the samples


def ids(resp, key="flavors"):
    return [item["id"] for item in resp.json[key]]


def create(app, flavor, version="2.1", who=ADMIN, status="*"):
    return app.post_json(URL, {"flavor": flavor}, headers=v(version, who),
                         status=status)


@pytest.fixture
def seeded(compute):
    """The four flavors of the upstream samples, created as upstream did."""
    for body, name in (
            ({"name": "m1.tiny", "ram": 512, "vcpus": 1, "disk": 1,
              "id": "1"}, "flavor_create_m1_tiny"),
            ({"name": "m1.small", "ram": 2048, "vcpus": 1, "disk": 20,
              "id": "2"}, "flavor_create_m1_small")):
        resp = create(compute, body)
        status, expected = upstream(name)
        assert resp.status_int == status == 200
        assert resp.json == expected
    resp = create(compute, {
        "name": "m1.medium", "ram": 4096, "vcpus": 2, "disk": 40, "id": "3",
        "description": "medium flavor", "swap": 0, "rxtx_factor": 1.0,
        "os-flavor-access:is_public": True}, version="2.75")
    status, expected = upstream("flavor_create_v2_75_desc")
    assert resp.status_int == status == 200
    assert resp.json == expected
    make_flavor(compute, "auto.id", ram=128, disk=0, flavor_id=AUTO_ID)
    return compute


# -- upstream samples --------------------------------------------------------

def test_empty_list_matches_sample(compute):
    status, body = upstream("flavors_empty")
    resp = compute.get(URL, headers=ADMIN)
    assert (resp.status_int, resp.json) == (status, body)


@pytest.mark.parametrize("name,path,headers", [
    ("flavors_list", URL, ADMIN),
    ("flavors_list_v2_75", URL, v("2.75")),
    ("flavors_detail", URL + "/detail", ADMIN),
    ("flavors_detail_v2_61", URL + "/detail", v("2.61")),
    ("flavors_detail_latest", URL + "/detail", v("latest")),
    ("flavors_detail_demo", URL + "/detail", DEMO),
    ("flavors_paged_limit1", URL + "?limit=1", ADMIN),
    ("flavor_show_1", URL + "/1", ADMIN),
])
def test_reads_match_samples(seeded, name, path, headers):
    status, body = upstream(name)
    resp = seeded.get(path, headers=headers)
    assert resp.status_int == status
    assert resp.json == body
    # Same keys in the same order as upstream, item by item.
    items = body.get("flavors") or [body.get("flavor")]
    got = resp.json.get("flavors") or [resp.json.get("flavor")]
    assert [list(i) for i in got] == [list(i) for i in items]


def test_version_headers_match_sample(seeded):
    _status, headers, _body = sample("flavors_detail_latest")
    resp = seeded.get(URL + "/detail", headers=v("latest"))
    assert resp.headers["OpenStack-API-Version"] == \
        headers["openstack-api-version"]
    assert resp.headers["X-OpenStack-Nova-API-Version"] == \
        headers["x-openstack-nova-api-version"]


def test_create_auto_id_matches_sample(compute):
    status, body = upstream("flavor_create_auto_id")
    resp = create(compute, {"name": "auto.id", "ram": 128, "vcpus": 1,
                            "disk": 0})
    assert resp.status_int == status == 200
    new_id = resp.json["flavor"]["id"]
    assert str(uuid.UUID(new_id)) == new_id
    expected = json.loads(json.dumps(body).replace(AUTO_ID, new_id))
    assert resp.json == expected


def test_duplicate_name_matches_sample(seeded):
    status, body = upstream("flavor_create_duplicate")
    resp = create(seeded, {"name": "m1.tiny", "ram": 512, "vcpus": 1,
                           "disk": 1, "id": "99"})
    assert (resp.status_int, resp.json) == (status, body)


def test_duplicate_id_is_409(seeded):
    resp = create(seeded, {"name": "other", "ram": 512, "vcpus": 1,
                           "disk": 1, "id": "1"})
    assert fault(resp, "conflictingRequest", 409) == \
        "Flavor with ID 1 already exists."


def test_nonadmin_create_matches_sample(compute):
    status, body = upstream("flavor_create_nonadmin")
    resp = create(compute, {"name": "x", "ram": 1, "vcpus": 1, "disk": 1},
                  who=DEMO)
    assert (resp.status_int, resp.json) == (status, body)
    assert compute.get(URL, headers=ADMIN).json == {"flavors": []}


def test_schema_error_matches_sample(compute):
    status, body = upstream("flavor_create_schema_err")
    resp = create(compute, {"ram": 512, "vcpus": 1, "disk": 1})
    assert (resp.status_int, resp.json) == (status, body)


def test_show_missing_matches_sample(compute):
    status, body = upstream("flavor_show_missing")
    resp = compute.get(URL + "/nope", headers=ADMIN, status="*")
    assert (resp.status_int, resp.json) == (status, body)


def test_extra_specs_match_samples(seeded):
    status, body = upstream("flavor_extra_specs_set")
    resp = seeded.post_json(URL + "/1/os-extra_specs",
                            {"extra_specs": {"hw:cpu_policy": "shared"}},
                            headers=ADMIN)
    assert (resp.status_int, resp.json) == (status, body)
    status, body = upstream("flavor_extra_specs_get")
    resp = seeded.get(URL + "/1/os-extra_specs", headers=ADMIN)
    assert (resp.status_int, resp.json) == (status, body)


def test_delete_matches_sample(seeded):
    status, _body = upstream("flavor_delete_auto")
    resp = seeded.delete(f"{URL}/{AUTO_ID}", headers=ADMIN)
    assert resp.status_int == status == 202
    assert resp.body == b""
    resp = seeded.get(f"{URL}/{AUTO_ID}", headers=ADMIN, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        f"Flavor {AUTO_ID} could not be found."
    assert AUTO_ID not in ids(seeded.get(URL, headers=ADMIN))


# -- list filters, sorting, pagination ------------------------------------

def test_min_ram_and_min_disk(seeded):
    assert ids(seeded.get(URL + "?minRam=2048", headers=ADMIN)) == ["2", "3"]
    assert ids(seeded.get(URL + "?minDisk=20", headers=ADMIN)) == ["2", "3"]
    assert ids(seeded.get(URL + "/detail?minRam=1000&minDisk=30",
                          headers=ADMIN)) == ["3"]
    assert ids(seeded.get(URL + "?minRam=100000", headers=ADMIN)) == []


@pytest.mark.parametrize("query", ["minRam=abc", "minDisk=1.5",
                                   "minRam=", "minDisk=x"])
def test_bad_min_filters_are_400(seeded, query):
    resp = seeded.get(f"{URL}?{query}", headers=ADMIN, status=400)
    name, _eq, value = query.partition("=")
    assert fault(resp, "badRequest", 400) == \
        f"Invalid {name} filter [{value}]"


@pytest.fixture
def private(seeded):
    """A private flavor "p1", shared with project demo."""
    make_flavor(seeded, "private.one", flavor_id="p1",
                **{"os-flavor-access:is_public": False})
    make_flavor(seeded, "private.two", flavor_id="p2",
                **{"os-flavor-access:is_public": "false"})
    resp = seeded.post_json(URL + "/p1/action",
                            {"addTenantAccess": {"tenant": "demo"}},
                            headers=ADMIN)
    assert resp.json == {"flavor_access": [
        {"flavor_id": "p1", "tenant_id": "demo"}]}
    return seeded


def test_is_public_for_admins(private):
    public = ["1", "2", "3", AUTO_ID]
    assert ids(private.get(URL, headers=ADMIN)) == public
    assert ids(private.get(URL + "?is_public=true", headers=ADMIN)) == public
    assert ids(private.get(URL + "?is_public=false",
                           headers=ADMIN)) == ["p1", "p2"]
    assert ids(private.get(URL + "?is_public=0", headers=ADMIN)) == \
        ["p1", "p2"]
    # openstacksdk sends the literal string "None" for "all flavors".
    for value in ("None", "none"):
        assert ids(private.get(f"{URL}?is_public={value}",
                               headers=ADMIN)) == public + ["p1", "p2"]
    assert ids(private.get(URL + "/detail?is_public=None",
                           headers=ADMIN)) == public + ["p1", "p2"]
    resp = private.get(URL + "?is_public=maybe", headers=ADMIN, status=400)
    assert fault(resp, "badRequest", 400) == \
        "Invalid is_public filter [maybe]"


def test_admin_default_list_includes_private_flavors_shared_with_it(
        private):
    private.post_json(URL + "/p2/action",
                      {"addTenantAccess": {"tenant": "admin"}},
                      headers=ADMIN)
    # Upstream: is_public=True means "public, or shared with my project".
    assert ids(private.get(URL, headers=ADMIN)) == \
        ["1", "2", "3", AUTO_ID, "p2"]
    assert ids(private.get(URL + "?is_public=false", headers=ADMIN)) == \
        ["p1", "p2"]


def test_members_see_public_and_shared_private_flavors(private):
    expected = ["1", "2", "3", AUTO_ID, "p1"]
    for who in (DEMO, ALICE):
        assert ids(private.get(URL, headers=who)) == expected
        assert ids(private.get(URL + "/detail", headers=who)) == expected
        # is_public is an admin filter: ignored for members, even garbage.
        for query in ("is_public=None", "is_public=false",
                      "is_public=maybe"):
            assert ids(private.get(f"{URL}?{query}", headers=who)) == \
                expected
    assert ids(private.get(URL, headers=OTHER)) == ["1", "2", "3", AUTO_ID]


def test_private_flavor_show_needs_access(private):
    assert private.get(URL + "/p1", headers=DEMO).json["flavor"][
        "os-flavor-access:is_public"] is False
    resp = private.get(URL + "/p2", headers=DEMO, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Flavor p2 could not be found."
    private.get(URL + "/p1", headers=OTHER, status=404)
    private.get(URL + "/p2", headers=ADMIN, status=200)
    # Extra specs of a flavor one cannot see are not there either.
    private.get(URL + "/p2/os-extra_specs", headers=DEMO, status=404)


@pytest.mark.parametrize("key,direction,expected", [
    ("flavorid", "asc", ["1", "2", "3", AUTO_ID]),
    ("flavorid", "desc", [AUTO_ID, "3", "2", "1"]),
    ("name", "asc", [AUTO_ID, "3", "2", "1"]),
    ("memory_mb", "desc", ["3", "2", "1", AUTO_ID]),
    ("root_gb", "asc", [AUTO_ID, "1", "2", "3"]),
    # Ties are broken by creation order, in the same direction (upstream
    # sorts by [sort_key, id]).
    ("vcpus", "desc", ["3", AUTO_ID, "2", "1"]),
    ("vcpus", "asc", ["1", "2", AUTO_ID, "3"]),
    ("id", "asc", ["1", "2", "3", AUTO_ID]),
    ("description", "asc", ["1", "2", AUTO_ID, "3"]),
])
def test_sorting(seeded, key, direction, expected):
    resp = seeded.get(f"{URL}/detail?sort_key={key}&sort_dir={direction}",
                      headers=ADMIN)
    assert ids(resp) == expected


@pytest.mark.parametrize("query", ["sort_key=bogus", "sort_dir=up",
                                   "sort_key=name&sort_dir=sideways"])
def test_bad_sort_is_400(seeded, query):
    resp = seeded.get(f"{URL}?{query}", headers=ADMIN, status=400)
    fault(resp, "badRequest", 400)


def test_pagination_follows_links(seeded):
    seen = []
    path = URL + "/detail?limit=3&sort_key=memory_mb"
    pages = 0
    while path:
        resp = seeded.get(path, headers=ADMIN)
        pages += 1
        seen += ids(resp)
        links = resp.json.get("flavors_links")
        if links:
            assert links[0]["rel"] == "next"
            href = links[0]["href"]
            assert href.startswith(HOST + URL + "/detail?")
            assert "limit=3" in href and "sort_key=memory_mb" in href
            assert f"marker={seen[-1]}" in href
            path = href[len(HOST):]
        else:
            path = None
    assert pages == 2
    assert seen == [AUTO_ID, "1", "2", "3"]


def test_full_last_page_has_a_next_link_to_an_empty_page(seeded):
    resp = seeded.get(URL + "?limit=2&marker=2", headers=ADMIN)
    assert ids(resp) == ["3", AUTO_ID]
    assert resp.json["flavors_links"][0]["href"].endswith(
        f"marker={AUTO_ID}")
    resp = seeded.get(f"{URL}?limit=2&marker={AUTO_ID}", headers=ADMIN)
    assert resp.json == {"flavors": []}


def test_marker_and_limit_edges(seeded):
    assert ids(seeded.get(URL + "?marker=1", headers=ADMIN)) == \
        ["2", "3", AUTO_ID]
    assert ids(seeded.get(URL + "?marker=2&sort_dir=desc",
                          headers=ADMIN)) == ["1"]
    assert seeded.get(URL + "?limit=0", headers=ADMIN).json == \
        {"flavors": []}
    assert ids(seeded.get(URL + "?limit=99999999999", headers=ADMIN)) == \
        ["1", "2", "3", AUTO_ID]


@pytest.mark.parametrize("query", ["marker=nope", "limit=-1", "limit=abc",
                                   "limit=1.5", "limit="])
def test_bad_marker_or_limit_is_400(seeded, query):
    resp = seeded.get(f"{URL}?{query}", headers=ADMIN, status=400)
    message = fault(resp, "badRequest", 400)
    if query == "marker=nope":
        assert message == "marker [nope] not found"


def test_unknown_query_parameters(seeded):
    for version in ("2.1", "2.74"):
        assert ids(seeded.get(URL + "?foo=bar", headers=v(version))) == \
            ["1", "2", "3", AUTO_ID]
    # The list is strict from 2.75 (upstream's index_query_v275), the
    # others from 2.102.
    for path in (URL, URL + "/detail"):
        seeded.get(path + "?foo=bar", headers=v("2.75"), status=400)
    for version in ("2.1", "2.75", "2.101"):
        seeded.get(URL + "/1?foo=bar", headers=v(version), status=200)
    for version in ("2.102", "latest"):
        for path in (URL, URL + "/detail", URL + "/1",
                     URL + "/1/os-extra_specs"):
            resp = seeded.get(path + "?foo=bar", headers=v(version),
                              status=400)
            assert "foo" in fault(resp, "badRequest", 400)
        # Known ones still work.
        assert ids(seeded.get(URL + "?minRam=4096", headers=v(version))) \
            == ["3"]


# -- create ------------------------------------------------------------------

def test_create_with_every_field(compute):
    resp = create(compute, {
        "name": "full", "ram": "1024", "vcpus": "2", "disk": "10",
        "id": "full-1", "swap": 512, "OS-FLV-EXT-DATA:ephemeral": "5",
        "rxtx_factor": "2.5", "os-flavor-access:is_public": "False",
        "description": "all of it"}, version="2.55")
    assert resp.status_int == 200
    flavor = resp.json["flavor"]
    assert flavor["id"] == "full-1"
    assert (flavor["ram"], flavor["vcpus"], flavor["disk"]) == (1024, 2, 10)
    assert flavor["swap"] == 512
    assert flavor["OS-FLV-EXT-DATA:ephemeral"] == 5
    assert flavor["rxtx_factor"] == 2.5
    assert flavor["os-flavor-access:is_public"] is False
    assert flavor["description"] == "all of it"
    assert "extra_specs" not in flavor  # 2.61
    shown = compute.get(URL + "/full-1", headers=v("2.55")).json["flavor"]
    assert shown == flavor


def test_create_id_null_generates_one(compute):
    resp = create(compute, {"name": "n", "ram": 1, "vcpus": 1, "disk": 0,
                            "id": None})
    assert uuid.UUID(resp.json["flavor"]["id"])


@pytest.mark.parametrize("sent,stored", [
    (1234, "1234"), (-7, "-7"), (2.5, "2.5"), (10 ** 20, str(10 ** 20))])
def test_create_numeric_id_is_stored_as_its_string(compute, sent, stored):
    # tempest (and upstream's own clients) send integer ids.
    resp = create(compute, {"name": "n", "ram": 1, "vcpus": 1, "disk": 0,
                            "id": sent})
    assert resp.status_int == 200
    assert resp.json["flavor"]["id"] == stored
    shown = compute.get(f"{URL}/{stored}", headers=ADMIN)
    assert shown.json["flavor"]["name"] == "n"
    again = create(compute, {"name": "m", "ram": 1, "vcpus": 1, "disk": 0,
                             "id": stored})
    fault(again, "conflictingRequest", 409)


def test_create_numeric_id_zero_generates_one(compute):
    resp = create(compute, {"name": "n", "ram": 1, "vcpus": 1, "disk": 0,
                            "id": 0})
    assert uuid.UUID(resp.json["flavor"]["id"])


@pytest.mark.parametrize("field,value", [
    ("ram", 0), ("ram", -1), ("ram", 2147483648), ("ram", "0"),
    ("ram", "99999999999"), ("ram", 1.5), ("ram", "1.5"), ("ram", "x"),
    ("ram", None), ("ram", True),
    ("vcpus", 0), ("vcpus", "0"), ("vcpus", 2147483648),
    ("disk", -1), ("disk", "-1"), ("disk", 2147483648),
    ("swap", -1), ("OS-FLV-EXT-DATA:ephemeral", -1),
    ("rxtx_factor", 0), ("rxtx_factor", -1), ("rxtx_factor", "0"),
    ("rxtx_factor", "abc"), ("rxtx_factor", 3.5e38),
    ("os-flavor-access:is_public", "maybe"),
    ("os-flavor-access:is_public", 1),
    ("name", ""), ("name", " lead"), ("name", "trail "), ("name", "x" * 256),
    ("name", 12), ("name", "tab\tinside"),
    ("id", ""), ("id", " x"), ("id", "a/b"), ("id", "x" * 256),
    ("id", "é"), ("id", 1e300), ("id", True), ("id", []), ("bogus", 1),
    ("description", "needs 2.55"),
])
def test_create_schema_errors(compute, field, value):
    flavor = {"name": "f", "ram": 64, "vcpus": 1, "disk": 0, field: value}
    resp = create(compute, flavor)
    fault(resp, "badRequest", 400)
    assert compute.get(URL + "?is_public=None",
                       headers=ADMIN).json == {"flavors": []}


@pytest.mark.parametrize("body", [
    {}, {"flavor": None}, {"flavor": []}, {"flavor": {}}, [],
    {"flavor": {"name": "f", "ram": 1, "vcpus": 1}}, "flavor",
    {"flavor": {"name": "f", "ram": 1, "vcpus": 1, "disk": 0},
     "extra": 1},
])
def test_create_bad_bodies(compute, body):
    resp = compute.post_json(URL, body, headers=ADMIN, status="*")
    fault(resp, "badRequest", 400)


def test_create_malformed_json_matches_sample(compute):
    status, body = upstream("malformed_json_post")
    resp = compute.post(URL, b'{"flavor": {bad json', headers={
        **ADMIN, "Content-Type": "application/json"}, status="*")
    assert (resp.status_int, resp.json) == (status, body)


def test_create_boundaries_accepted(compute):
    resp = create(compute, {"name": "big", "ram": 2147483647,
                            "vcpus": "2147483647", "disk": 0,
                            "rxtx_factor": 3.4e38, "id": "a" * 255})
    assert resp.status_int == 200, resp.body
    assert resp.json["flavor"]["ram"] == 2147483647
    assert resp.json["flavor"]["vcpus"] == 2147483647


def test_create_then_list_and_delete_as_nonadmin_is_forbidden(seeded):
    for method, path in (("delete", URL + "/1"),):
        resp = getattr(seeded, method)(path, headers=DEMO, status=403)
        assert fault(resp, "forbidden", 403) == (
            "Policy doesn't allow os_compute_api:os-flavor-manage:delete "
            "to be performed.")
    seeded.get(URL + "/1", headers=DEMO, status=200)


def test_delete_missing_is_404(compute):
    resp = compute.delete(URL + "/nope", headers=ADMIN, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Flavor nope could not be found."


def test_name_and_id_free_again_after_delete(seeded):
    seeded.delete(URL + "/1", headers=ADMIN, status=202)
    resp = create(seeded, {"name": "m1.tiny", "ram": 256, "vcpus": 1,
                           "disk": 1, "id": "1"})
    assert resp.status_int == 200
    assert resp.json["flavor"]["ram"] == 256


# -- description (2.55) -------------------------------------------------------

def test_update_description(seeded):
    for version in ("2.1", "2.54"):
        resp = seeded.put_json(URL + "/1", {"flavor": {"description": "x"}},
                               headers=v(version), status="*")
        assert resp.status_int in (404, 405)
    resp = seeded.put_json(URL + "/1", {"flavor": {"description": "tiny"}},
                           headers=v("2.55"))
    assert resp.status_int == 200
    flavor = resp.json["flavor"]
    assert flavor["description"] == "tiny"
    assert flavor["id"] == "1" and flavor["swap"] == ""
    assert "extra_specs" not in flavor
    resp = seeded.put_json(URL + "/1", {"flavor": {"description": None}},
                           headers=v("latest"))
    assert resp.json["flavor"]["description"] is None
    assert resp.json["flavor"]["extra_specs"] == {}
    assert resp.json["flavor"]["swap"] == 0
    # Nothing else may change.
    for body in ({"flavor": {"name": "x"}}, {"flavor": {}},
                 {"flavor": {"description": "a", "ram": 1}},
                 {"flavor": {"description": "x" * 65536}}):
        resp = seeded.put_json(URL + "/1", body, headers=v("2.55"),
                               status=400)
        fault(resp, "badRequest", 400)
    resp = seeded.put_json(URL + "/1", {"flavor": {"description": "x"}},
                           headers=v("2.55", DEMO), status=403)
    fault(resp, "forbidden", 403)
    resp = seeded.put_json(URL + "/nope", {"flavor": {"description": "x"}},
                           headers=v("2.55"), status=404)
    fault(resp, "itemNotFound", 404)


def test_description_in_views_from_2_55(seeded):
    seeded.put_json(URL + "/2", {"flavor": {"description": "small"}},
                    headers=v("2.55"))
    for path in (URL, URL + "/detail"):
        old = seeded.get(path, headers=v("2.54")).json["flavors"]
        assert all("description" not in f for f in old)
        new = seeded.get(path, headers=v("2.55")).json["flavors"]
        assert [f["description"] for f in new] == \
            [None, "small", "medium flavor", None]
    assert "description" not in seeded.get(
        URL + "/2", headers=v("2.54")).json["flavor"]
    assert seeded.get(URL + "/2", headers=v("2.55")).json["flavor"][
        "description"] == "small"


# -- view boundaries ----------------------------------------------------------

@pytest.mark.parametrize("version,keys", [
    ("2.1", ["id", "name", "ram", "disk", "swap", "OS-FLV-EXT-DATA:ephemeral",
             "OS-FLV-DISABLED:disabled", "vcpus", "os-flavor-access:is_public",
             "rxtx_factor", "links"]),
    ("2.55", ["id", "name", "ram", "disk", "swap",
              "OS-FLV-EXT-DATA:ephemeral", "OS-FLV-DISABLED:disabled",
              "vcpus", "os-flavor-access:is_public", "rxtx_factor", "links",
              "description"]),
    ("2.61", ["id", "name", "ram", "disk", "swap",
              "OS-FLV-EXT-DATA:ephemeral", "OS-FLV-DISABLED:disabled",
              "vcpus", "os-flavor-access:is_public", "rxtx_factor", "links",
              "description", "extra_specs"]),
    ("2.101", ["id", "name", "ram", "disk", "swap",
               "OS-FLV-EXT-DATA:ephemeral", "OS-FLV-DISABLED:disabled",
               "vcpus", "os-flavor-access:is_public", "rxtx_factor", "links",
               "description", "extra_specs"]),
    # upstream's views/flavors.py and version history: 2.102 drops both
    ("2.102", ["id", "name", "ram", "disk", "swap",
               "OS-FLV-EXT-DATA:ephemeral", "vcpus",
               "os-flavor-access:is_public", "links", "description",
               "extra_specs"]),
])
def test_detail_keys_by_version(seeded, version, keys):
    for who in (ADMIN, DEMO):
        flavor = seeded.get(URL + "/1", headers=v(version, who)).json[
            "flavor"]
        assert list(flavor) == keys
        detail = seeded.get(URL + "/detail", headers=v(version, who)).json
        assert all(list(f) == keys for f in detail["flavors"])


def test_swap_is_an_integer_from_2_75(seeded):
    make_flavor(seeded, "swappy", flavor_id="s", swap=256)
    for version, empty in (("2.1", ""), ("2.74", ""), ("2.75", 0),
                           ("latest", 0)):
        flavors = {f["id"]: f["swap"] for f in seeded.get(
            URL + "/detail", headers=v(version)).json["flavors"]}
        assert flavors["1"] == empty
        assert flavors["s"] == 256


def test_extra_specs_in_views_from_2_61(seeded):
    seeded.post_json(URL + "/2/os-extra_specs",
                     {"extra_specs": {"hw:cpu_policy": "dedicated",
                                      "acme:gpu": "2"}}, headers=ADMIN)
    expected = {"hw:cpu_policy": "dedicated", "acme:gpu": "2"}
    assert "extra_specs" not in seeded.get(
        URL + "/2", headers=v("2.60")).json["flavor"]
    for who in (ADMIN, DEMO):
        assert seeded.get(URL + "/2", headers=v("2.61", who)).json[
            "flavor"]["extra_specs"] == expected
        detail = seeded.get(URL + "/detail", headers=v("2.61", who)).json
        assert [f["extra_specs"] for f in detail["flavors"]] == \
            [{}, expected, {}, {}]
    # The list view never shows them.
    assert all("extra_specs" not in f for f in seeded.get(
        URL, headers=v("latest")).json["flavors"])


# -- extra specs --------------------------------------------------------------

def test_extra_specs_crud(seeded):
    base = URL + "/1/os-extra_specs"
    assert seeded.get(base, headers=ADMIN).json == {"extra_specs": {}}
    # numbers are stored as text (a boolean is refused, as upstream)
    resp = seeded.post_json(base, {"extra_specs": {"a": "1", "b": 2,
                                                   "c": 1.5}},
                            headers=ADMIN)
    assert resp.json == {"extra_specs": {"a": "1", "b": "2", "c": "1.5"}}
    resp = seeded.post_json(base, {"extra_specs": {"a": "one"}},
                            headers=ADMIN)
    assert seeded.get(base, headers=ADMIN).json == {
        "extra_specs": {"a": "one", "b": "2", "c": "1.5"}}
    assert seeded.get(base + "/b", headers=ADMIN).json == {"b": "2"}
    assert seeded.get(base + "/b", headers=DEMO).json == {"b": "2"}
    resp = seeded.put_json(base + "/b", {"b": "two"}, headers=ADMIN)
    assert (resp.status_int, resp.json) == (200, {"b": "two"})
    resp = seeded.put_json(base + "/new", {"new": "x"}, headers=ADMIN)
    assert resp.json == {"new": "x"}
    resp = seeded.delete(base + "/c", headers=ADMIN)
    assert resp.status_int == 200
    assert seeded.get(base, headers=ADMIN).json == {
        "extra_specs": {"a": "one", "b": "two", "new": "x"}}
    resp = seeded.get(base + "/c", headers=ADMIN, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Flavor 1 has no extra specs with key c."
    resp = seeded.delete(base + "/c", headers=ADMIN, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Flavor 1 has no extra specs with key c."


def test_extra_specs_errors(seeded):
    base = URL + "/1/os-extra_specs"
    resp = seeded.put_json(base + "/a", {"b": "1"}, headers=ADMIN,
                           status=400)
    assert fault(resp, "badRequest", 400) == \
        "Request body and URI mismatch"
    for body in ({"a": "1", "b": "2"}, {}, {"a": {"nested": 1}},
                 {"a": "x" * 256}, {"a": None}):
        resp = seeded.put_json(base + "/a", body, headers=ADMIN, status=400)
        fault(resp, "badRequest", 400)
    for body in ({}, {"extra_specs": None}, {"extra_specs": {"k": []}},
                 {"extra_specs": {"bad key!": "1"}},
                 {"extra_specs": {"k" * 256: "1"}},
                 {"extra_specs": {"k": "v" * 256}}):
        resp = seeded.post_json(base, body, headers=ADMIN, status=400)
        fault(resp, "badRequest", 400)
    resp = seeded.post_json(URL + "/nope/os-extra_specs",
                            {"extra_specs": {"a": "1"}}, headers=ADMIN,
                            status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Flavor nope could not be found."
    seeded.get(URL + "/nope/os-extra_specs", headers=ADMIN, status=404)
    assert seeded.get(base, headers=ADMIN).json == {"extra_specs": {}}


def test_extra_specs_writes_are_admin_only(seeded):
    base = URL + "/1/os-extra_specs"
    seeded.post_json(base, {"extra_specs": {"a": "1"}}, headers=ADMIN)
    for call, rule in (
            (lambda: seeded.post_json(base, {"extra_specs": {"b": "1"}},
                                      headers=DEMO, status=403), "create"),
            (lambda: seeded.put_json(base + "/a", {"a": "2"}, headers=DEMO,
                                     status=403), "update"),
            (lambda: seeded.delete(base + "/a", headers=DEMO, status=403),
             "delete")):
        assert fault(call(), "forbidden", 403) == (
            f"Policy doesn't allow os_compute_api:os-flavor-extra-specs:"
            f"{rule} to be performed.")
    assert seeded.get(base, headers=DEMO).json == {"extra_specs": {"a": "1"}}


@pytest.mark.parametrize("specs", [
    {"hw:cpu_policy": "bogus"}, {"hw:numa_nodes": "0"},
    {"hw:mem_page_size": "huge!"}, {"hw:cpu_realtime": "perhaps"},
    {"hw:no_such_key": "1"}, {"hw_rng:no_such": "1"},
    {"os:secure_boot": "always"}, {"quota:cpu_shares": "-5"},
    {"resources:VCPU": "many"}, {"trait:HW_CPU_X86_AVX": "wanted"},
])
def test_extra_specs_validated_from_2_86(seeded, specs):
    base = URL + "/1/os-extra_specs"
    resp = seeded.post_json(base, {"extra_specs": specs},
                            headers=v("2.86"), status=400)
    assert fault(resp, "badRequest", 400).startswith("Validation failed")
    (key, value), = specs.items()
    resp = seeded.put_json(f"{base}/{key}", specs, headers=v("latest"),
                           status=400)
    fault(resp, "badRequest", 400)
    assert seeded.get(base, headers=ADMIN).json == {"extra_specs": {}}
    # Before 2.86 anything goes, as upstream.
    resp = seeded.post_json(base, {"extra_specs": specs}, headers=v("2.85"))
    assert resp.json == {"extra_specs": specs}
    resp = seeded.put_json(f"{base}/{key}", specs, headers=v("2.85"))
    assert resp.json == specs


@pytest.mark.parametrize("specs", [
    {"hw:cpu_policy": "dedicated"}, {"hw:numa_nodes": "2"},
    {"hw:mem_page_size": "2MB"}, {"hw:cpu_realtime": "yes"},
    {"hw:numa_cpus.0": "0-3"}, {"quota:cpu_shares": "1024"},
    {"resources:VCPU": "2"}, {"trait:HW_CPU_X86_AVX": "required"},
    {"acme:anything": "goes"}, {"aggregate_instance_extra_specs:ssd": "1"},
    {"nonamespace": "x"},
])
def test_extra_specs_valid_or_foreign_accepted_at_2_86(seeded, specs):
    resp = seeded.post_json(URL + "/1/os-extra_specs",
                            {"extra_specs": specs}, headers=v("2.86"))
    assert (resp.status_int, resp.json) == (200, {"extra_specs": specs})


# -- flavor access ------------------------------------------------------------

def test_access_add_list_remove(private):
    resp = private.post_json(URL + "/p2/action",
                             {"addTenantAccess": {"tenant": "demo"}},
                             headers=ADMIN)
    assert resp.status_int == 200
    resp = private.post_json(URL + "/p2/action",
                             {"addTenantAccess": {"tenant": "other"}},
                             headers=ADMIN)
    assert resp.json == {"flavor_access": [
        {"flavor_id": "p2", "tenant_id": "demo"},
        {"flavor_id": "p2", "tenant_id": "other"}]}
    assert private.get(URL + "/p2/os-flavor-access",
                       headers=ADMIN).json == resp.json
    private.get(URL + "/p2", headers=OTHER, status=200)
    private.get(URL + "/p2", headers=ALICE, status=200)
    resp = private.post_json(URL + "/p2/action",
                             {"removeTenantAccess": {"tenant": "demo"}},
                             headers=ADMIN)
    assert resp.json == {"flavor_access": [
        {"flavor_id": "p2", "tenant_id": "other"}]}
    private.get(URL + "/p2", headers=DEMO, status=404)
    assert "p2" not in ids(private.get(URL, headers=DEMO))


def test_access_errors(private):
    resp = private.post_json(URL + "/p1/action",
                             {"addTenantAccess": {"tenant": "demo"}},
                             headers=ADMIN, status=409)
    assert fault(resp, "conflictingRequest", 409) == (
        "Flavor access already exists for flavor p1 and project demo "
        "combination.")
    resp = private.post_json(URL + "/p1/action",
                             {"removeTenantAccess": {"tenant": "nobody"}},
                             headers=ADMIN, status=404)
    assert fault(resp, "itemNotFound", 404) == (
        "Flavor access not found for p1 / nobody combination.")
    resp = private.get(URL + "/1/os-flavor-access", headers=ADMIN,
                       status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Access list not available for public flavors."
    resp = private.post_json(URL + "/nope/action",
                             {"addTenantAccess": {"tenant": "demo"}},
                             headers=ADMIN, status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "Flavor nope could not be found."
    for body in ({}, {"addTenantAccess": {}}, {"addTenantAccess": None},
                 {"addTenantAccess": {"tenant": ""}},
                 {"addTenantAccess": {"tenant": "a"},
                  "removeTenantAccess": {"tenant": "a"}},
                 {"bogus": {"tenant": "a"}}):
        resp = private.post_json(URL + "/p1/action", body, headers=ADMIN,
                                 status=400)
        fault(resp, "badRequest", 400)


def test_access_is_admin_only(private):
    resp = private.get(URL + "/p1/os-flavor-access", headers=DEMO,
                       status=403)
    fault(resp, "forbidden", 403)
    for action, rule in (("addTenantAccess", "add_tenant_access"),
                         ("removeTenantAccess", "remove_tenant_access")):
        resp = private.post_json(URL + "/p1/action",
                                 {action: {"tenant": "demo"}},
                                 headers=DEMO, status=403)
        assert fault(resp, "forbidden", 403) == (
            f"Policy doesn't allow os_compute_api:os-flavor-access:{rule} "
            "to be performed.")
    assert private.get(URL + "/p1/os-flavor-access", headers=ADMIN).json[
        "flavor_access"] == [{"flavor_id": "p1", "tenant_id": "demo"}]


def test_public_flavor_access_add_is_409_from_2_7(seeded):
    resp = seeded.post_json(URL + "/1/action",
                            {"addTenantAccess": {"tenant": "demo"}},
                            headers=v("2.7"), status=409)
    assert fault(resp, "conflictingRequest", 409) == \
        "Can not add access to a public flavor."
    resp = seeded.post_json(URL + "/1/action",
                            {"addTenantAccess": {"tenant": "demo"}},
                            headers=v("2.6"))
    assert resp.status_int == 200


def test_deleting_a_private_flavor_drops_its_access(private):
    private.post_json(URL + "/p1/os-extra_specs",
                      {"extra_specs": {"a": "b"}}, headers=ADMIN)
    private.delete(URL + "/p1", headers=ADMIN, status=202)
    assert "p1" not in ids(private.get(URL, headers=DEMO))
    make_flavor(private, "private.one", flavor_id="p1",
                **{"os-flavor-access:is_public": False})
    assert "p1" not in ids(private.get(URL, headers=DEMO))
    assert private.get(URL + "/p1/os-extra_specs", headers=ADMIN).json == \
        {"extra_specs": {}}


# -- routes -------------------------------------------------------------------

def test_project_id_in_url(seeded):
    resp = seeded.get("/v2.1/demo/flavors?limit=1", headers=DEMO)
    assert ids(resp) == ["1"]
    assert resp.json["flavors"][0]["links"][0]["href"] == \
        HOST + "/v2.1/demo/flavors/1"
    assert resp.json["flavors_links"][0]["href"] == \
        HOST + "/v2.1/demo/flavors?limit=1&marker=1"
    resp = seeded.get("/v2.1/admin/flavors/1", headers=DEMO, status=400)
    assert "project_id" in fault(resp, "badRequest", 400)
    resp = seeded.post_json("/v2.1/admin/flavors",
                            {"flavor": {"name": "z", "ram": 1, "vcpus": 1,
                                        "disk": 0}}, headers=ADMIN)
    assert resp.status_int == 200


def test_method_not_allowed(seeded):
    resp = seeded.put_json(URL, {}, headers=ADMIN, status=405)
    fault(resp, "badMethod", 405)
    resp = seeded.delete(URL + "/1/os-flavor-access", headers=ADMIN,
                         status=405)
    fault(resp, "badMethod", 405)


# -- hostile input ------------------------------------------------------------

@pytest.mark.parametrize("path", [
    URL + "?minRam=%FF", URL + "/%FF", URL + "/%00",
    URL + "/" + "x" * 5000, URL + "?marker=" + "x" * 5000,
    URL + "?sort_key=" + "x" * 5000, URL + "?is_public=%00",
    URL + "/detail?minDisk=99999999999999999999999",
    URL + "/1/os-extra_specs/" + "k" * 5000,
    URL + "/%E2%80%AE/os-extra_specs", URL + "/%ED%A0%80",
    URL + "?marker=%ED%A0%80", URL + "?minRam=-1",
])
def test_hostile_reads_never_500(seeded, path):
    resp = seeded.get(path, headers=ADMIN, status="*")
    assert resp.status_int in (200, 400, 404), resp.body
    assert resp.json


def test_huge_min_filters_match_nothing(seeded):
    for name in ("minRam", "minDisk"):
        resp = seeded.get(f"{URL}/detail?{name}=99999999999999999999999",
                          headers=ADMIN)
        assert resp.json == {"flavors": []}


def test_hostile_bodies_never_500(seeded):
    deep = "[" * 50000 + "]" * 50000
    for body in (deep.encode(), b'{"flavor": ' + deep.encode() + b"}",
                 b"\xff\xfe", b"null", b"1e999999", b'"\\ud800"',
                 json.dumps({"flavor": {"name": "\ud800x", "ram": 1,
                                        "vcpus": 1, "disk": 0}}).encode()):
        resp = seeded.post(URL, body, headers={
            **ADMIN, "Content-Type": "application/json"}, status="*")
        assert resp.status_int in (400, 413), (body[:40], resp.body)
    resp = create(seeded, {"name": "x" * 100000, "ram": 1, "vcpus": 1,
                           "disk": 0})
    assert resp.status_int in (400, 413)
    resp = create(seeded, {"name": "ok", "ram": 1, "vcpus": 1, "disk": 0,
                           "id": "\u202e"})
    fault(resp, "badRequest", 400)


def test_unicode_names_roundtrip(compute):
    resp = create(compute, {"name": "flavör ☃ 東京", "ram": 1, "vcpus": 1,
                            "disk": 0, "id": "uni"})
    assert resp.status_int == 200
    assert compute.get(URL + "/uni", headers=ADMIN).json["flavor"][
        "name"] == "flavör ☃ 東京"


def test_lone_surrogates_are_400(seeded):
    """JSON may carry "\\ud800" alone; no database can store it."""
    def post(path, body, version="2.55"):
        return seeded.post(path, json.dumps(body).encode(), headers={
            **v(version), "Content-Type": "application/json"}, status="*")

    for body in ({"name": "\ud800", "ram": 1, "vcpus": 1, "disk": 0},
                 {"name": "ok", "ram": 1, "vcpus": 1, "disk": 0,
                  "description": "\udfff"}):
        fault(post(URL, {"flavor": body}), "badRequest", 400)
    fault(post(URL + "/1/os-extra_specs", {"extra_specs": {"a": "\ud800"}}),
          "badRequest", 400)
    make_flavor(seeded, "priv", flavor_id="pv",
                **{"os-flavor-access:is_public": False})
    fault(post(URL + "/pv/action", {"addTenantAccess": {"tenant": "\ud800"}}),
          "badRequest", 400)
    assert seeded.get(URL + "/1/os-extra_specs", headers=ADMIN).json == \
        {"extra_specs": {}}
