"""Request schemas of the admin views: os-services, os-hypervisors,
os-aggregates, os-availability-zone, os-simple-tenant-usage.

Upstream's versions: os-services and os-simple-tenant-usage reject
unknown query parameters from 2.75, os-hypervisors from 2.53, the GETs of
the others from 2.102 (their writes never check the query string).
"""

from nova.api.compute.common import (
    LIMIT,
    MARKER,
    NON_NEGATIVE,
    query_schema,
    single,
)
from nova.api.compute.schemas import types
from nova.api.validation import Versioned

HOST = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^[a-zA-Z0-9-._]*$"}
_BINARY = {"type": "string", "minLength": 1, "maxLength": 255}
_REASON = {"type": "string", "minLength": 1, "maxLength": 255}
_STRINGS = {"type": "array", "items": {"type": "string"}}


_QUERY_BOOL = {"type": "string", "enum": [str(v) for v in types._TRUE
                                          + types._FALSE
                                          if not isinstance(v, bool)]}


# -- os-services --------------------------------------------------------------

SERVICES_QUERY = Versioned(
    ("2.1", "2.74", query_schema({"host": _STRINGS, "binary": _STRINGS})),
    ("2.75", None, query_schema({"host": _STRINGS, "binary": _STRINGS},
                                strict=True)),
)


def _legacy_update(with_forced):
    properties = {"host": HOST, "binary": _BINARY, "disabled_reason": _REASON}
    if with_forced:
        properties["forced_down"] = types.BOOLEAN
    return {"type": "object", "properties": properties,
            "required": ["host", "binary"], "additionalProperties": False}


SERVICE_UPDATE = Versioned(
    ("2.1", "2.10", _legacy_update(False)),
    ("2.11", "2.52", _legacy_update(True)),
    ("2.53", None, {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["enabled", "disabled"]},
            "disabled_reason": _REASON,
            "forced_down": types.BOOLEAN,
        },
        "additionalProperties": False,
    }),
)

# -- os-hypervisors -----------------------------------------------------------

# 2.33 adds limit and marker (which may repeat), 2.53 takes them once.
HYPERVISORS_QUERY = Versioned(
    ("2.1", "2.32", query_schema({})),
    ("2.33", "2.52", query_schema({"limit": LIMIT, "marker": MARKER})),
    ("2.53", None, query_schema({
        "limit": single(NON_NEGATIVE), "marker": single({"type": "string"}),
        "hypervisor_hostname_pattern": single(HOST),
        "with_servers": single(_QUERY_BOOL)}, strict=True)),
)
HYPERVISOR_QUERY = Versioned(
    ("2.1", "2.52", query_schema({})),
    ("2.53", None, query_schema({"with_servers": single(_QUERY_BOOL)},
                                strict=True)),
)

# -- os-aggregates ------------------------------------------------------------

_ZONE = {"oneOf": [types.AZ_NAME, {"type": "null"}]}


def _wrap(key, properties, required=(), any_of=None):
    inner = {"type": "object", "properties": properties,
             "additionalProperties": False}
    if required:
        inner["required"] = list(required)
    if any_of:
        inner["anyOf"] = [{"required": [k]} for k in any_of]
    return {"type": "object", "properties": {key: inner},
            "required": [key], "additionalProperties": False}


AGGREGATE_CREATE = _wrap("aggregate", {"name": types.NAME,
                                       "availability_zone": _ZONE},
                         required=["name"])
# Upstream's update takes a name with leading or trailing spaces.
AGGREGATE_UPDATE = _wrap("aggregate", {"name": types.NAME_SPACED,
                                       "availability_zone": _ZONE},
                         any_of=["name", "availability_zone"])
ADD_HOST = _wrap("add_host", {"host": HOST}, required=["host"])
REMOVE_HOST = _wrap("remove_host", {"host": HOST}, required=["host"])
SET_METADATA = _wrap("set_metadata", {"metadata": {
    "type": "object",
    "patternProperties": {
        r"^[a-zA-Z0-9-_:. ]{1,255}$": {
            "type": ["string", "null"], "maxLength": 255}},
    "additionalProperties": False}}, required=["metadata"])
# The action's own schema is checked once the key has picked it.
AGGREGATE_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}
AGGREGATE_IMAGES = {
    "type": "object",
    "properties": {"cache": {
        "type": "array", "minItems": 1,
        "items": {"type": "object", "properties": {"id": types.UUID},
                  "required": ["id"], "additionalProperties": False}}},
    "required": ["cache"], "additionalProperties": False,
}

# -- os-simple-tenant-usage ---------------------------------------------------

_USAGE = {"start": _STRINGS, "end": _STRINGS}
_USAGE_PAGES = {"limit": LIMIT, "marker": MARKER}
USAGE_LIST_QUERY = Versioned(
    ("2.1", "2.39", query_schema({**_USAGE, "detailed": _STRINGS})),
    ("2.40", "2.74", query_schema({**_USAGE, "detailed": _STRINGS,
                                   **_USAGE_PAGES})),
    ("2.75", None, query_schema({**_USAGE, "detailed": _STRINGS,
                                 **_USAGE_PAGES}, strict=True)),
)
USAGE_SHOW_QUERY = Versioned(
    ("2.1", "2.39", query_schema(dict(_USAGE))),
    ("2.40", "2.74", query_schema({**_USAGE, **_USAGE_PAGES})),
    ("2.75", None, query_schema({**_USAGE, **_USAGE_PAGES}, strict=True)),
)
