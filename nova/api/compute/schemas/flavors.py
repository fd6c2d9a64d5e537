"""Request schemas of /flavors."""

import copy

from nova.api.compute.common import LIMIT, STRINGS, query_schema
from nova.api.compute.schemas import types
from nova.api.validation import Versioned

SORT_KEYS = ["created_at", "description", "disabled", "ephemeral_gb",
             "flavorid", "id", "is_public", "memory_mb", "name", "root_gb",
             "rxtx_factor", "swap", "updated_at", "vcpu_weight", "vcpus"]
# 2.102 removed rxtx_factor from flavors (views, create, sort keys).
SORT_KEYS_2102 = [key for key in SORT_KEYS if key != "rxtx_factor"]

_INDEX_PROPS = {
    "is_public": STRINGS, "minRam": STRINGS, "minDisk": STRINGS,
    "sort_key": STRINGS, "sort_dir": STRINGS, "limit": LIMIT,
    "marker": STRINGS,
}
# Unknown parameters are refused from 2.75, as for the server list; 2.102
# adds the name filter (a regular expression).
INDEX_QUERY = Versioned(
    ("2.1", "2.74", query_schema(_INDEX_PROPS)),
    ("2.75", "2.101", query_schema(_INDEX_PROPS, strict=True)),
    ("2.102", None, query_schema({**_INDEX_PROPS, "name": STRINGS},
                                 strict=True)),
)


ID_PATTERN = r"^(?! )[a-zA-Z0-9. _-]+(?<! )$"

_FLAVOR = {
    "type": "object",
    "properties": {
        "name": types.NAME,
        # Upstream takes a string, a number (stored as its string form:
        # tempest sends integers) or null (a generated UUID).
        "id": {"type": ["string", "number", "null"],
               "minLength": 1, "maxLength": 255, "pattern": ID_PATTERN},
        "ram": types.int_param(1),
        "vcpus": types.int_param(1),
        "disk": types.int_param(0),
        "OS-FLV-EXT-DATA:ephemeral": types.int_param(0),
        "swap": types.int_param(0),
        "rxtx_factor": {"oneOf": [
            {"type": "number", "exclusiveMinimum": 0,
             "maximum": 3.40282e38},
            {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}]},
        "os-flavor-access:is_public": types.BOOLEAN,
    },
    "required": ["name", "ram", "vcpus", "disk"],
    "additionalProperties": False,
}
_CREATE_21 = {"type": "object", "properties": {"flavor": _FLAVOR},
              "required": ["flavor"], "additionalProperties": False}
_CREATE_255 = copy.deepcopy(_CREATE_21)
_CREATE_255["properties"]["flavor"]["properties"]["description"] = \
    types.DESCRIPTION
_CREATE_2102 = copy.deepcopy(_CREATE_255)
del _CREATE_2102["properties"]["flavor"]["properties"]["rxtx_factor"]
CREATE = Versioned(("2.1", "2.54", _CREATE_21),
                   ("2.55", "2.101", _CREATE_255),
                   ("2.102", None, _CREATE_2102))

UPDATE = {
    "type": "object",
    "properties": {"flavor": {
        "type": "object",
        "properties": {"description": types.DESCRIPTION},
        "required": ["description"], "additionalProperties": False}},
    "required": ["flavor"], "additionalProperties": False,
}

# As upstream's: keys of metadata characters (no "/"), values strings of
# at most 255 characters or numbers (stored as their text).
_SPEC_KEY = r"^[a-zA-Z0-9-_:. ]{1,255}$"
_SPEC_VALUE = {"type": ["string", "number"], "maxLength": 255}
EXTRA_SPECS_CREATE = {
    "type": "object",
    "properties": {"extra_specs": {
        "type": "object", "patternProperties": {_SPEC_KEY: _SPEC_VALUE},
        "additionalProperties": False}},
    "required": ["extra_specs"], "additionalProperties": False,
}
EXTRA_SPEC_UPDATE = {
    "type": "object", "patternProperties": {_SPEC_KEY: _SPEC_VALUE},
    "additionalProperties": False, "minProperties": 1, "maxProperties": 1,
}

_TENANT = {
    "type": "object",
    "properties": {"tenant": {"type": "string", "minLength": 1,
                              "maxLength": 255}},
    "required": ["tenant"], "additionalProperties": False}

ACTION = {
    "type": "object",
    "properties": {"addTenantAccess": _TENANT,
                   "removeTenantAccess": _TENANT},
    "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
}

# Each action alone (the table of actions, the OpenAPI description).
ADD_TENANT_ACCESS = {"type": "object",
                     "properties": {"addTenantAccess": _TENANT},
                     "required": ["addTenantAccess"],
                     "additionalProperties": False}
REMOVE_TENANT_ACCESS = {"type": "object",
                        "properties": {"removeTenantAccess": _TENANT},
                        "required": ["removeTenantAccess"],
                        "additionalProperties": False}
