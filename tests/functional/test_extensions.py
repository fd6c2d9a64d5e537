"""/extensions through the whole pipeline: upstream Nova 34's fixed list
(its recorded answer, nova-34-samples/extensions.txt), one by alias, 404
for an alias not in it; anyone may read it (tempest: test_extensions)."""

import pytest

from tests.helpers import ADMIN, DEMO, fault, upstream, v

# tempest's response schema of the list
# (tempest/lib/api_schema/response/compute/v2_1/extensions.py), its
# parameter_types.date_time spelled out.
TEMPEST = {
    "type": "object",
    "properties": {"extensions": {"type": "array", "items": {
        "type": "object",
        "properties": {
            "updated": {"type": "string", "format": "date-time"},
            "name": {"type": "string"},
            "links": {"type": "array"},
            "namespace": {"type": "string", "format": "uri"},
            "alias": {"type": "string"},
            "description": {"type": "string"}},
        "additionalProperties": False,
        "required": ["updated", "name", "links", "namespace", "alias",
                     "description"]}}},
    "additionalProperties": False,
    "required": ["extensions"]}


def test_list_matches_upstream(compute):
    """tempest: test_list_extensions."""
    import jsonschema

    status, body = upstream("extensions")
    resp = compute.get("/v2.1/extensions", headers=ADMIN)
    assert (resp.status_int, resp.json) == (status, body)
    jsonschema.validate(resp.json, TEMPEST,
                        format_checker=jsonschema.FormatChecker())
    assert "Hosts" in [e["name"] for e in resp.json["extensions"]]
    # The same list for anyone, at any version.
    assert compute.get("/v2.1/extensions",
                       headers=v("latest", DEMO)).json == body


@pytest.mark.parametrize("alias", ["os-consoles", "os-hosts", "OS-DCF"])
def test_show_by_alias(compute, alias):
    """tempest: test_get_extension (os-consoles)."""
    _status, body = upstream("extensions")
    (expected,) = [e for e in body["extensions"] if e["alias"] == alias]
    resp = compute.get(f"/v2.1/extensions/{alias}", headers=DEMO)
    assert resp.json == {"extension": expected}


@pytest.mark.parametrize("alias", ["os-nope", "OS-CONSOLES", "os-consoles "])
def test_unknown_alias(compute, alias):
    resp = compute.get(f"/v2.1/extensions/{alias}", headers=ADMIN,
                       status=404)
    assert fault(resp, "itemNotFound", 404) == \
        "The resource could not be found."


def test_unknown_query_parameters(compute):
    compute.get("/v2.1/extensions?x=1", headers=v("2.101"))
    compute.get("/v2.1/extensions/os-hosts?x=1", headers=v("2.101"))
    compute.get("/v2.1/extensions?x=1", headers=v("2.102"), status=400)
    compute.get("/v2.1/extensions/os-hosts?x=1", headers=v("2.102"),
                status=400)
