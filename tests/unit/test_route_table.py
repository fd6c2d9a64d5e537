"""Every compute route has a request schema and a registered policy rule."""

import jsonschema
import pytest

from nova import policies
from nova.api import microversions
from nova.api.compute import routes
from nova.api.compute.handlers import aggregates, server_actions
from nova.api.validation import Versioned

RULES = {rule.name for rule in policies.list_rules()}


@pytest.mark.parametrize("route", routes.ROUTES,
                         ids=lambda r: f"{r.method} {r.path}")
def test_route_has_query_schema(route):
    assert route.query is not None, "no query schema"
    schemas = route.query.all() if isinstance(route.query, Versioned) \
        else [route.query]
    assert all(isinstance(s, dict) for s in schemas)


@pytest.mark.parametrize("route", [r for r in routes.ROUTES
                                   if r.method in ("POST", "PUT")],
                         ids=lambda r: f"{r.method} {r.path}")
def test_body_route_has_body_schema(route):
    # A PUT of a single tag carries no body, as upstream.
    if route.path.endswith("/tags/{tag}"):
        return
    assert route.body is not None, "no body schema"


@pytest.mark.parametrize("route", routes.ROUTES,
                         ids=lambda r: f"{r.method} {r.path}")
def test_route_has_registered_policy(route):
    if route.gone:
        # Removed with nova-network: upstream answers 410 checking no rule.
        assert route.policy is None
        return
    names = (route.policy if isinstance(route.policy, tuple)
             else (route.policy,))
    assert names and all(names), "no policy rule"
    for name in names:
        assert name in RULES, f"policy rule {name} is not registered"


def test_every_server_action_has_rule_and_schema():
    for name, entry in server_actions.ACTIONS.items():
        assert entry.rule in RULES, name
        assert isinstance(entry.schema, (dict, Versioned)), name


def test_no_duplicate_routes():
    seen = set()
    for route in routes.ROUTES:
        key = (route.path, route.method, route.min_version)
        assert key not in seen, key
        seen.add(key)


def test_policy_sample_generator_works(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(sys.executable).parent / "oslopolicy-sample-generator"
    out = tmp_path / "policy.yaml"
    subprocess.run([str(tool), "--namespace", "nova", "--output-file",
                    str(out)], check=True, timeout=120)
    text = out.read_text()
    assert "os_compute_api:servers:create" in text
    assert "os_compute_api:os-flavor-manage:create" in text


def test_every_honoured_version_is_in_the_history():
    """A version a handler says it honours for a resource is one the
    history says changed that resource: the version list tells what each
    version changed for everything served."""
    import importlib
    import pkgutil

    from nova.api import microversion_history
    from nova.api.compute import handlers

    touched = {}
    for version, touches, _change in microversion_history.HISTORY:
        for name in (touches,) if isinstance(touches, str) else touches:
            touched.setdefault(name, set()).add(version)
    missing = []
    for info in pkgutil.iter_modules(handlers.__path__):
        module = importlib.import_module(f"{handlers.__name__}.{info.name}")
        for resource, versions in getattr(module, "HONOURED", {}).items():
            missing += [f"{resource} {v}" for v in
                        sorted(set(versions) - touched.get(resource, set()))]
    assert not missing


def _every_schema():
    """(where, schema) of every request schema the API validates with."""
    specs = []
    for route in routes.ROUTES:
        where = f"{route.method} {route.path}"
        specs += [(f"{where} query", route.query),
                  (f"{where} body", route.body)]
    specs += [(f"server action {name}", entry.schema)
              for name, entry in server_actions.ACTIONS.items()]
    specs += [(f"aggregate action {name}", entry.schema)
              for name, entry in aggregates.ACTIONS.items()]
    for where, spec in specs:
        if spec is None:
            continue
        for schema in spec.all() if isinstance(spec, Versioned) else [spec]:
            yield where, schema


@pytest.mark.parametrize("where,schema", list(_every_schema()),
                         ids=lambda value: value if isinstance(value, str)
                         else "")
def test_every_schema_is_valid_against_its_metaschema(where, schema):
    # nova.api.validation does not check schemas when it first uses them.
    cls = jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)


def test_an_invalid_schema_is_caught():
    # The positive control of the test above.
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.Draft202012Validator.check_schema(
            {"type": "object", "properties": {"a": {"type": "strnig"}}})


def _action_routes():
    return [r for r in routes.ROUTES if r.path.endswith("/action")]


def test_gone_routes_are_the_removed_apis():
    """410 whoever asks, at every microversion: the routes upstream
    removed (with nova-network, nova-cert, cloudpipe, cells v1, the
    XenAPI agents, nova-console) and still answers."""
    gone = {(r.method, r.path) for r in routes.ROUTES if r.gone}
    assert {("DELETE", "/os-networks/{network_id}"),
            ("POST", "/os-networks"), ("POST", "/os-networks/add"),
            ("POST", "/os-networks/{network_id}/action"),
            ("GET", "/os-fixed-ips/{id}"), ("POST", "/os-tenant-networks"),
            ("GET", "/servers/{server_id}/os-virtual-interfaces"),
            ("GET", "/servers/{server_id}/consoles"),
            ("POST", "/os-cloudpipe"), ("GET", "/os-cells/detail"),
            ("PUT", "/os-agents/{id}"),
            ("GET", "/os-floating-ip-dns/{domain_id}/entries/{id}"),
            } <= gone
    assert len(gone) == 48
    served = {(r.method, r.path) for r in routes.ROUTES if not r.gone}
    assert not gone & served
    for route in routes.ROUTES:
        if route.gone:
            assert route.policy is None and route.max_version is None


def test_the_advertised_maximum_is_upstreams():
    # A resource whose microversion changes are not all honoured (a new
    # route, a gone one counted by mistake) would lower it silently.
    assert routes.MAX_VERSION == microversions.UPSTREAM_MAX


def test_a_gone_route_with_a_policy_is_refused():
    from nova.api.compute.router import Route

    with pytest.raises(ValueError, match="checks no policy"):
        Route("/os-x", "POST", None, "some:rule", gone=True)


def test_action_routes_declare_their_table():
    # An action route's policy is made from its table, not listed by hand;
    # a gone one answers 410 to its (removed) actions.
    assert sorted(r.path for r in _action_routes() if not r.gone) == [
        "/flavors/{flavor_id}/action", "/os-aggregates/{aggregate_id}/action",
        "/servers/{server_id}/action",
        "/servers/{server_id}/migrations/{migration_id}/action"]
    for route in _action_routes():
        if route.gone:
            continue
        assert route.actions, route.path
        assert set(route.policy) == {a.rule for a in route.actions.values()}


def test_the_server_action_route_lists_every_rule():
    route = next(r for r in _action_routes()
                 if r.path == "/servers/{server_id}/action")
    assert len(server_actions.ACTIONS) == 36
    assert route.actions is server_actions.ACTIONS
    assert len(route.policy) == 34  # the console actions share one rule


def test_an_action_declared_twice_is_refused():
    from nova.api.compute.router import Action, action_table

    with pytest.raises(ValueError, match="declared twice"):
        action_table(Action("a", None, "r", {}), Action("a", None, "r", {}))


@pytest.fixture(scope="module")
def described():
    from nova.api import openapi

    return openapi.build()["paths"]


@pytest.mark.parametrize("route", routes.ROUTES,
                         ids=lambda r: f"{r.method} {r.path}")
def test_each_route_has_policy_schemas_and_openapi_entry(route, described):
    """What docs/architecture.md's checklist asks of every route."""
    names = route.policy if isinstance(route.policy, tuple) \
        else (route.policy,)
    if route.gone:
        names = ()  # upstream checks no rule before its 410
    else:
        assert names and all(name in RULES for name in names), "policy"
    assert route.query is not None, "query schema"
    if route.method in ("POST", "PUT") and not route.path.endswith(
            "/tags/{tag}"):
        assert route.body is not None, "body schema"
    operation = described.get("/v2.1" + route.path, {}).get(
        route.method.lower())
    assert operation is not None, "OpenAPI entry"
    if route.gone:
        assert operation["x-openstack-policy"] is None
        assert "410" in operation["responses"]
        return
    assert set(names) <= set(_flatten(operation["x-openstack-policy"]))


def _flatten(policy):
    if isinstance(policy, str):
        return [policy]
    return [name for item in policy for name in _flatten(item)]


def test_one_path_has_one_spelling():
    # /os-x/{id} and /os-x/{network_id} are one path to a client, but the
    # router would only ever try the first spelling's methods.
    import re

    spellings = {}
    for route in routes.ROUTES:
        shape = re.sub(r"\{\w+\}", "{}", route.path)
        spellings.setdefault(shape, set()).add(route.path)
    assert {s: p for s, p in spellings.items() if len(p) > 1} == {}
