"""The OpenAPI description: generated from the route table, checked in,
fresh, and built from the very schemas that validate requests."""

import json
import subprocess
import sys

import jsonschema
import pytest

from nova.api import openapi
from nova.api.compute import routes
from nova.api.validation import Versioned
from tests.helpers import ROOT

CHECKED_IN = ROOT / "docs" / "api" / "compute-openapi.json"


@pytest.fixture(scope="module")
def document():
    return openapi.build()


def test_checked_in_description_is_fresh(document):
    assert CHECKED_IN.read_text() == openapi.dumps(document), (
        f"{CHECKED_IN} is stale: run .venv/bin/nova-openapi -o "
        "docs/api/compute-openapi.json")


def test_command_check_mode(tmp_path):
    out = tmp_path / "api.json"
    cmd = [sys.executable, "-m", "nova.cmd.openapi", "-o", str(out)]
    assert subprocess.run([*cmd, "--check"], capture_output=True,
                          timeout=120).returncode == 1
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    assert subprocess.run([*cmd, "--check"], capture_output=True,
                          timeout=120).returncode == 0
    assert json.loads(out.read_text())["openapi"] == "3.1.0"


def test_every_route_is_described(document):
    for route in routes.ROUTES:
        item = document["paths"].get("/v2.1" + route.path, {})
        assert route.method.lower() in item, f"{route.method} {route.path}"
    described = sum(len(item) for item in document["paths"].values())
    assert described == len({(r.path, r.method) for r in routes.ROUTES})


def _resolve(document, schema):
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _strip(schema):
    return {k: v for k, v in schema.items()
            if k != "x-openstack-microversions"}


def _action_table(route):
    """The route's table of actions when ``route`` is an action route."""
    return route.actions


def _in_range(route):
    """The route's body schemas for the microversions it exists at."""
    if not isinstance(route.body, Versioned):
        return [route.body]
    return [schema for lo, hi, schema in route.body.ranges
            if (route.max_version is None or lo <= route.max_version)
            and (hi is None or hi >= route.min_version)]


def _schemas(spec):
    return spec.all() if isinstance(spec, Versioned) else [spec]


def test_bodies_are_the_validating_schemas(document):
    """Each operation's body is its route's schema (every range of a
    versioned one; both routes' when two routes share a method and path
    in different microversions)."""
    expected = {}
    for route in routes.ROUTES:
        if _action_table(route) is not None:
            continue  # one schema per action: see the next test
        key = (route.path, route.method.lower())
        expected.setdefault(key, [])
        if route.body is not None:
            expected[key] += _in_range(route)
    for (path, method), schemas in expected.items():
        op = document["paths"]["/v2.1" + path][method]
        if not schemas:
            assert "requestBody" not in op, f"{method} {path}"
            continue
        body = op["requestBody"]["content"]["application/json"]["schema"]
        described = [_strip(_resolve(document, s))
                     for s in body.get("anyOf", [body])]
        assert described == schemas, f"{method} {path}"


def test_actions_are_each_described(document):
    """Every action of an action route (servers, aggregates, flavors, a
    server's migrations) has its own body schema, one per microversion
    range where it changes."""
    tables = 0
    for route in routes.ROUTES:
        actions = _action_table(route)
        if actions is None:
            continue
        tables += 1
        body = document["paths"]["/v2.1" + route.path]["post"][
            "requestBody"]["content"]["application/json"]["schema"]
        described = [_strip(_resolve(document, s)) for s in body["anyOf"]]
        assert described == [schema for name in sorted(actions)
                             for schema in _schemas(actions[name].schema)], \
            route.path
    assert tables == 4


def test_query_parameters_and_versions(document):
    op = document["paths"]["/v2.1/servers/detail"]["get"]
    names = {p["name"] for p in op["parameters"] if p["in"] == "query"}
    assert {"name", "status", "changes-before", "locked", "tags"} <= names
    header = next(p for p in op["parameters"] if p["in"] == "header")
    values = header["schema"]["enum"]
    # every schema boundary of GET /servers/detail and its neighbours
    for version in ("2.1", "2.25", "2.26", "2.65", "2.66", "2.74", "2.75"):
        assert f"compute {version}" in values
    tags = document["paths"]["/v2.1/servers/{server_id}/tags"]["get"]
    assert tags["x-openstack-microversions"] == "2.26-latest"
    header = next(p for p in tags["parameters"] if p["in"] == "header")
    assert "compute 2.25" in header["schema"]["enum"]  # 404 before


def test_faults_and_schemas_are_valid_json_schema(document):
    fault = document["components"]["schemas"]["Fault"]
    jsonschema.validate({"itemNotFound": {"code": 404, "message": "x"}},
                        fault)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"error": "x"}, fault)
    for _name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_schemathesis_loads_every_operation():
    import schemathesis

    schema = schemathesis.openapi.from_path(str(CHECKED_IN))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len({(r.path, r.method)
                                   for r in routes.ROUTES})
