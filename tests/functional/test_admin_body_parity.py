"""The bodies of the admin and other APIs beside /servers and /flavors:
what upstream Nova's request schemas accept and refuse, both sides of each
boundary (the request-schema audit's items, cited by each section)."""

from tests.helpers import ADMIN, IMAGE, boot_id, fault, v

AGG = "/v2.1/os-aggregates"
NAME_RULE = ("An invalid 'name' value was provided. The name must be: "
             "printable characters. Can not start or end with whitespace.")


def bad_request(resp):
    return fault(resp, "badRequest", 400)


def aggregate(app, name, zone=None, status=200):
    body = {"name": name}
    if zone is not None:
        body["availability_zone"] = zone
    return app.post_json(AGG, {"aggregate": body}, headers=ADMIN,
                         status=status)


# -- aggregate names and zones (items 11 and 12) ------------------------------

def test_aggregate_names(compute):
    for name in ("\u00e9t\u00e9", "a\u3000b", "abc\n"):
        created = aggregate(compute, name).json["aggregate"]
        assert created["name"] == name.strip()  # upstream strips
    for name in ("a\u200bb", "a\u2028b", "a\U0001f600", " a", "a ",
                 "a\u0085"):
        assert bad_request(aggregate(compute, name, status=400)) == \
            NAME_RULE


def test_aggregate_rename_takes_blanks_at_the_ends(compute):
    agg_id = aggregate(compute, "agg").json["aggregate"]["id"]
    for name, stored in ((" spaced ", "spaced"), ("\u3000wide", "wide"),
                         ("\u00a0nbsp\u00a0 ", "nbsp")):
        resp = compute.put_json(f"{AGG}/{agg_id}", {"aggregate": {
            "name": name}}, headers=ADMIN)
        assert resp.json["aggregate"]["name"] == stored
        assert compute.get(f"{AGG}/{agg_id}", headers=ADMIN).json[
            "aggregate"]["name"] == stored
    for name in ("   ", "", "a\u200bb", "a\U0001f600", "a\u2028"):
        resp = compute.put_json(f"{AGG}/{agg_id}", {"aggregate": {
            "name": name}}, headers=ADMIN, status=400)
        bad_request(resp)
    resp = compute.put_json(f"{AGG}/{agg_id}", {"aggregate": {
        "name": "a\u200bb"}}, headers=ADMIN, status=400)
    assert bad_request(resp) == (
        "An invalid 'name' value was provided. The name must be: printable "
        "characters with at least one non space character")


def test_aggregate_zones(compute):
    created = aggregate(compute, "a1", "z\u00f6ne").json["aggregate"]
    assert created["availability_zone"] == "z\u00f6ne"
    for zone in ("z:1", " z", "z\u200b", "z\U0001f600"):
        resp = aggregate(compute, "a2", zone, status=400)
        assert bad_request(resp) == (
            "An invalid 'name' value was provided. The name must be: "
            "printable characters except :.Can not start or end with "
            "whitespace.")


def test_server_group_names(compute):
    url = "/v2.1/os-server-groups"
    for name in ("gr\u00fcppe", "a\u3000b"):
        resp = compute.post_json(url, {"server_group": {
            "name": name, "policy": "affinity"}}, headers=v("2.64"))
        assert resp.json["server_group"]["name"] == name
    for name in ("a\u200bb", "a\U0001f600", " g"):
        resp = compute.post_json(url, {"server_group": {
            "name": name, "policy": "affinity"}}, headers=v("2.64"),
            status=400)
        assert bad_request(resp) == NAME_RULE


# -- UUIDs as upstream's is_uuid_like takes them (item 13) --------------------

def spellings(ident):
    return [ident.replace("-", ""), "{" + ident + "}", "urn:uuid:" + ident,
            ident.upper().replace("-", "")]


def test_external_event_server_ids(cloud):
    server_id = boot_id(cloud)
    # Taken, and used as given (as upstream): no server has that id.
    for ref in spellings(server_id):
        resp = cloud.post_json("/v2.1/os-server-external-events", {
            "events": [{"name": "network-changed", "server_uuid": ref}]},
            headers=ADMIN, status=207)
        (event,) = resp.json["events"]
        assert (event["server_uuid"], event["code"]) == (ref, 404)
    resp = cloud.post_json("/v2.1/os-server-external-events", {"events": [
        {"name": "network-changed", "server_uuid": server_id[:-1]}]},
        headers=ADMIN, status=400)
    assert "is not a 'uuid'" in bad_request(resp)


def test_aggregate_image_cache_ids(cloud):
    agg = aggregate(cloud, "cache").json["aggregate"]["id"]
    url = f"{AGG}/{agg}/images"
    cloud.post_json(url, {"cache": [{"id": ref} for ref in spellings(
        IMAGE)]}, headers=v("2.81"), status=202)
    resp = cloud.post_json(url, {"cache": [{"id": IMAGE + "0"}]},
                           headers=v("2.81"), status=400)
    assert "is not a 'uuid'" in bad_request(resp)


# -- quota sets and classes: no "networks" key (item 15) ----------------------

def test_networks_quota_key_is_refused(compute):
    for version in ("2.1", "2.35", "2.49", "latest"):
        for path, key in (("/v2.1/os-quota-sets/demo", "quota_set"),
                          ("/v2.1/os-quota-class-sets/default",
                           "quota_class_set")):
            resp = compute.put_json(path, {key: {"networks": 5}},
                                    headers=v(version), status=400)
            assert "('networks' was unexpected)" in bad_request(resp)
    # nova-network's other keys stay until 2.35 and 2.49.
    compute.put_json("/v2.1/os-quota-sets/demo", {"quota_set": {
        "floating_ips": 5}}, headers=v("2.35"))
    compute.put_json("/v2.1/os-quota-class-sets/default", {
        "quota_class_set": {"floating_ips": 5}}, headers=v("2.49"))


# -- PUT /servers/{id}/tags/{tag}: no body, or null (item 22) -----------------

def test_tag_put_takes_no_body_or_null(cloud):
    server_id = boot_id(cloud)
    base = f"/v2.1/servers/{server_id}/tags"
    cloud.put(base + "/a", headers=v("2.26"), status=201)
    cloud.put(base + "/b", "null", headers={
        **v("2.26"), "Content-Type": "application/json"}, status=201)
    for body in ({}, {"tag": "c"}, [], "c", 1):
        resp = cloud.put_json(base + "/c", body, headers=v("2.26"),
                              status=400)
        assert "is not of type 'null'" in bad_request(resp)
    assert cloud.get(base, headers=v("2.26")).json == {"tags": ["a", "b"]}
