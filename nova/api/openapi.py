"""An OpenAPI 3.1 description of the compute API, made from the route table.

Nothing here is written per route: paths, methods and path parameters come
from ``routes.ROUTES``; query parameters and request bodies are the very
schemas the dispatcher validates with (``Route.query``, ``Route.body``,
``Versioned`` ranges, and for an ``.../action`` route the ``ACTIONS`` table
of its handler module); the microversions an operation exists at and the
versions where its schemas change become the values of the
``OpenStack-API-Version`` header parameter. Routes carry no response
schemas, so responses are the generic shapes every route shares: a JSON
object (or no body) on success, upstream's fault body on errors.

``nova-openapi`` (``python -m nova.cmd.openapi``) writes it to
``docs/api/compute-openapi.json``; a test fails when that file is stale.
"""

import copy
import json
import re

from nova.api import errors, microversions, validation
from nova.api.validation import Versioned

OPENAPI_VERSION = "3.1.0"
PREFIX = "/v2.1"
_VAR = re.compile(r"\{(\w+)\}")

# Success statuses by method: the route table does not say which one a
# handler picks (a flavor create is 200, a server create 202), so each
# method lists those the compute API uses for it.
SUCCESS = {
    "GET": ("200",),
    # 207: os-server-external-events when some events failed.
    "POST": ("200", "201", "202", "204", "207"),
    "PUT": ("200", "201", "202", "204"),
    "DELETE": ("202", "204"),
}
# Errors any route may answer: bad input (400), no or bad credentials
# (401), policy (403), unknown object or route at this version (404),
# wrong method at this version (405), bad or unsupported microversion
# (406), state conflicts (409), a body over the size limit (413), a body
# that is not JSON (415), what the compute driver does not do (501: the
# built-in driver's hosts have no power actions, for one), the database or
# Keystone unavailable (503).
ERRORS = ("400", "401", "403", "404", "405", "406", "409", "413", "415",
          "501", "503")
# What a removed (gone) route answers: 410 whoever asks (no policy), and
# what the pipeline answers before it (a bad version, body or token...).
GONE_ERRORS = ("400", "401", "404", "405", "406", "410", "413", "415",
               "503")

FAULT_SCHEMA = {
    "type": "object",
    "description": "Upstream Nova's fault body: one key, named after the "
                   "status (badRequest, itemNotFound, ...).",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": {
        "type": "object",
        "properties": {
            "code": {"type": "integer", "minimum": 400, "maximum": 599},
            "message": {"type": "string"},
        },
        "required": ["code", "message"],
    },
}
SUCCESS_SCHEMA = {
    "type": "object",
    "description": "The resource's JSON document (its shape depends on "
                   "the route and the microversion).",
}
_JSON_TYPES = ("application/json",)
_FAULT_TYPES = ("application/json; charset=UTF-8",)


def _text(version):
    return microversions.as_text(version)


def _ranges(spec):
    """[(lo, hi, schema)] of a schema or ``Versioned``."""
    if spec is None:
        return []
    if isinstance(spec, Versioned):
        return list(spec.ranges)
    return [(microversions.MIN_VERSION, None, spec)]


def _clip(ranges, lo, hi):
    """``ranges`` limited to [lo, hi] (hi None: no limit)."""
    out = []
    for rlo, rhi, schema in ranges:
        new_lo = max(rlo, lo)
        if hi is None:
            new_hi = rhi
        else:
            new_hi = hi if rhi is None else min(rhi, hi)
        if new_hi is not None and new_lo > new_hi:
            continue
        out.append((new_lo, new_hi, schema))
    return out


def _neighbours(version, max_version):
    """The version just before and just after ``version``, within 2.x."""
    major, minor = version
    out = set()
    if minor > 1:
        out.add((major, minor - 1))
    if (major, minor + 1) <= max_version:
        out.add((major, minor + 1))
    return out


def _range_text(lo, hi):
    return f"{_text(lo)}-{_text(hi) if hi else 'latest'}"


def _action_ranges(route):
    """For an action route (``route.actions``, name -> ``Action``): each
    action's name, its microversion range and its schema."""
    if route.actions is None:
        return None
    return [(name, action.min_version, action.max_version, action.schema)
            for name, action in sorted(route.actions.items())]


class _Builder:
    def __init__(self, routes, max_version):
        self.routes = routes
        self.max_version = max_version
        self.schemas = {}  # component name -> schema

    def ref(self, name, schema):
        """A component reference for ``schema`` (deduplicated by content)."""
        existing = self.schemas.get(name)
        if existing is not None and existing != schema:
            suffix = 2
            while (f"{name}_{suffix}" in self.schemas
                   and self.schemas[f"{name}_{suffix}"] != schema):
                suffix += 1
            name = f"{name}_{suffix}"
        self.schemas[name] = copy.deepcopy(schema)
        return {"$ref": f"#/components/schemas/{name}"}

    # -- one operation --------------------------------------------------

    def operation(self, route):
        lo = route.min_version
        hi = route.max_version
        op_id = _operation_id(route)
        points = {lo, self.max_version}
        if hi is not None:
            points.add(hi)
        points |= _neighbours(lo, self.max_version)
        if hi is not None:
            points |= _neighbours(hi, self.max_version)

        params = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "string", "minLength": 1}}
                  for name in _VAR.findall(route.path)]

        query_ranges = _clip(_ranges(route.query), lo, hi)
        query_props = {}
        query_versions = {}
        for rlo, rhi, schema in query_ranges:
            points.add(rlo)
            if rhi is not None:
                points.add(rhi)
                points |= _neighbours(rhi, self.max_version)
            for name, prop in (schema.get("properties") or {}).items():
                query_props.setdefault(name, prop)
                query_versions.setdefault(name, []).append(
                    _range_text(rlo, rhi))
        for name in sorted(query_props):
            params.append({
                "name": name, "in": "query", "required": False,
                "style": "form", "explode": True,
                "description": "Accepted at microversions "
                               + ", ".join(query_versions[name]) + ".",
                "schema": copy.deepcopy(query_props[name]),
            })

        body = None
        actions = _action_ranges(route)
        if actions is not None:
            alternatives = []
            for name, amin, amax, spec in actions:
                if (hi is not None and amin > hi) or (
                        amax is not None and amax < lo):
                    continue
                points.add(max(amin, lo))
                points |= _neighbours(amin, self.max_version)
                top = hi if amax is None else (
                    amax if hi is None else min(amax, hi))
                if amax is not None:
                    points |= {amax} | _neighbours(amax, self.max_version)
                # An action's body schema may itself change with the
                # microversion (Versioned): one alternative per range.
                ranges = _clip(_ranges(spec), max(amin, lo), top)
                for rlo, rhi, schema in ranges:
                    suffix = "" if len(ranges) == 1 else \
                        "_" + _text(rlo).replace(".", "_")
                    if rhi is not None:
                        points.add(rhi)
                        points |= _neighbours(rhi, self.max_version)
                    alternatives.append(self.ref(
                        f"{op_id}_{_safe(name)}{suffix}",
                        {**schema, "x-openstack-microversions":
                         _range_text(rlo, rhi)}))
            if alternatives:
                body = {"anyOf": alternatives}
        else:
            body_ranges = _clip(_ranges(route.body), lo, hi)
            alternatives = []
            for rlo, rhi, schema in body_ranges:
                points.add(rlo)
                if rhi is not None:
                    points.add(rhi)
                    points |= _neighbours(rhi, self.max_version)
                alternatives.append(self.ref(
                    f"{op_id}_{_text(rlo).replace('.', '_')}",
                    {**schema, "x-openstack-microversions":
                     _range_text(rlo, rhi)}))
            if len(alternatives) == 1:
                body = alternatives[0]
            elif alternatives:
                body = {"anyOf": alternatives}

        versions = sorted(v for v in points
                          if microversions.MIN_VERSION <= v
                          <= self.max_version)
        params.append({
            "name": microversions.STANDARD_HEADER, "in": "header",
            "required": False,
            "description": "The microversion (2.1 when absent). The values "
                           "listed are where this operation appears, "
                           "disappears or changes its schemas, and their "
                           "neighbours; any 2.x up to the maximum is "
                           "accepted.",
            "schema": {"type": "string", "enum": [
                f"{microversions.SERVICE_TYPE} {_text(v)}"
                for v in versions]},
        })

        op = {
            "operationId": op_id,
            "summary": f"{route.method} {route.path}",
            "tags": [route.resource],
            "parameters": params,
            "responses": self.responses(route),
            "x-openstack-microversions": _range_text(lo, hi),
            "x-openstack-policy": (list(route.policy)
                                   if isinstance(route.policy, tuple)
                                   else route.policy),
        }
        if body is not None:
            # A schema that takes null takes no body as well.
            optional = route.gone or route.actions is None and all(
                validation.takes_null(route.body, rlo)
                for rlo, _rhi, _schema in _clip(_ranges(route.body), lo, hi))
            op["requestBody"] = {
                "required": not optional,
                "content": {t: {"schema": body} for t in _JSON_TYPES},
            }
        if route.gone:
            op["deprecated"] = True
            op["description"] = ("Removed with nova-network: 410 Gone at "
                                 "every microversion, whoever asks.")
        return op

    def responses(self, route):
        out = {}
        if route.gone:
            for status in GONE_ERRORS:
                out[status] = {"$ref": f"#/components/responses/Fault{status}"}
            return out
        for status in SUCCESS[route.method]:
            if status == "204":
                out[status] = {"description": "Done; no body."}
                continue
            if status in ("201", "202"):
                # 201/202 come with no body (and so no Content-Type) from
                # an action, a delete or a PUT of a tag, and with the
                # resource's JSON from a create: OpenAPI cannot say
                # "optional content", so none is described.
                out[status] = {"description": "Created or accepted: no "
                               "body, or the resource's JSON document."}
                continue
            out[status] = {
                "description": "Success: the resource's JSON document.",
                "content": {t: {"schema": {"$ref":
                                           "#/components/schemas/Success"}}
                            for t in _JSON_TYPES},
            }
        for status in ERRORS:
            out[status] = {"$ref": f"#/components/responses/Fault{status}"}
        out["414"] = {"description": "Request-URI Too Long: the WSGI "
                      "server's own answer (not the fault format) to a "
                      "request line over its limit."}
        return out


def _merge(first, second):
    """One operation for two routes of the same method and path."""
    merged = dict(first)
    merged["x-openstack-microversions"] = ", ".join(
        (first["x-openstack-microversions"],
         second["x-openstack-microversions"]))
    if first["x-openstack-policy"] != second["x-openstack-policy"]:
        merged["x-openstack-policy"] = [first["x-openstack-policy"],
                                        second["x-openstack-policy"]]
    params = {(p["name"], p["in"]): copy.deepcopy(p)
              for p in first["parameters"]}
    for param in second["parameters"]:
        key = (param["name"], param["in"])
        mine = params.get(key)
        if mine is None:
            params[key] = copy.deepcopy(param)
        elif "enum" in mine.get("schema", {}):
            values = set(mine["schema"]["enum"]) | set(
                param["schema"].get("enum", ()))
            mine["schema"]["enum"] = sorted(values, key=_enum_order)
    merged["parameters"] = list(params.values())
    bodies = []
    for op in (first, second):
        if "requestBody" in op:
            schema = next(iter(op["requestBody"]["content"].values()))[
                "schema"]
            bodies += schema.get("anyOf", [schema])
    if bodies:
        body = bodies[0] if len(bodies) == 1 else {"anyOf": bodies}
        merged["requestBody"] = {
            "required": True,
            "content": {t: {"schema": body} for t in _JSON_TYPES}}
    return merged


def _enum_order(value):
    """Microversion header values in version order ("compute 2.10" after
    "compute 2.9")."""
    version = value.rpartition(" ")[2]
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (0, 0)


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _operation_id(route):
    parts = [p.strip("{}") for p in route.path.strip("/").split("/")]
    return _safe(f"{route.method.lower()}_{'_'.join(parts)}")


def build(routes=None, max_version=None):
    """The OpenAPI 3.1 document (a dict) for ``routes`` (default: the
    compute API's route table) and its advertised maximum microversion."""
    if routes is None or max_version is None:
        from nova.api.compute import routes as route_table

        routes = route_table.ROUTES if routes is None else routes
        max_version = (route_table.MAX_VERSION if max_version is None
                       else max_version)
    builder = _Builder(routes, max_version)
    paths = {}
    for route in routes:
        item = paths.setdefault(PREFIX + route.path, {})
        method = route.method.lower()
        op = builder.operation(route)
        # Two routes for one method and path cover different microversions
        # (os-services' PUT before and from 2.53): one operation, both.
        item[method] = _merge(item[method], op) if method in item else op
    responses = {}
    for status in sorted(set(ERRORS) | set(GONE_ERRORS)):
        code = int(status)
        responses[f"Fault{status}"] = {
            "description": f"{errors.STATUS_TEXT.get(code, 'Error')} "
                           f"({errors.FAULT_NAMES.get(code)}), in the "
                           "fault format.",
            "content": {t: {"schema": {"$ref": "#/components/schemas/Fault"}}
                        for t in _FAULT_TYPES},
        }
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "nova-wsgi compute API",
            "version": _text(max_version),
            "description": (
                "Generated by nova-openapi from the route table and the "
                "request schemas that validate requests. Microversions "
                f"{_text(microversions.MIN_VERSION)} to {_text(max_version)}"
                " (header OpenStack-API-Version: compute X.Y). Every path "
                "is also served under /v2.1/{project_id}/..., and under "
                "/v2/ with the same rules."),
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Fault": FAULT_SCHEMA, "Success": SUCCESS_SCHEMA,
                        **dict(sorted(builder.schemas.items()))},
            "responses": responses,
        },
    }


def dumps(document):
    return json.dumps(document, indent=1, sort_keys=False,
                      ensure_ascii=True) + "\n"
