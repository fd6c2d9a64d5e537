"""Request schemas of /limits, /os-quota-sets and /os-quota-class-sets.

Upstream's versions: nova-network's resources leave quota sets at 2.36 and
quota class sets at 2.50, the injected_file* ones leave both at 2.57;
unknown query parameters are refused by limits and quota sets (show,
detail, update, delete) from 2.75, by the quota class set's GET from
2.102, never by the defaults and the quota class set's PUT.
"""

import copy

from nova.api.compute.common import query_schema
from nova.api.compute.schemas import types
from nova.api.validation import Versioned
from nova.compute import quotas

# An integer or a string of one; -1 is unlimited (the handler also checks
# strings, which minimum/maximum do not cover).
QUOTA_VALUE = {"type": ["integer", "string"], "pattern": "^-?[0-9]+$",
               "minimum": -1, "maximum": types.MAX_INT}

# "networks" is gone from upstream's schemas (since Train): refused.
_ALL = {name: QUOTA_VALUE for name in quotas.RESOURCES}
_V236 = {k: v for k, v in _ALL.items()
         if k not in quotas.NETWORK_RESOURCES}
_V257 = {k: v for k, v in _V236.items()
         if k not in quotas.INJECTED_FILE_RESOURCES}


def _update(key, properties):
    return {"type": "object",
            "properties": {key: {"type": "object",
                                 "properties": copy.deepcopy(properties),
                                 "additionalProperties": False}},
            "required": [key], "additionalProperties": False}


def _with_force(properties):
    return {**properties, "force": types.BOOLEAN}


QUOTA_SET_UPDATE = Versioned(
    ("2.1", "2.35", _update("quota_set", _with_force(_ALL))),
    ("2.36", "2.56", _update("quota_set", _with_force(_V236))),
    ("2.57", None, _update("quota_set", _with_force(_V257))),
)
QUOTA_CLASS_UPDATE = Versioned(
    ("2.1", "2.49", _update("quota_class_set", _ALL)),
    ("2.50", "2.56", _update("quota_class_set", _V236)),
    ("2.57", None, _update("quota_class_set", _V257)),
)

_STRINGS = {"type": "array", "items": {"type": "string"}}

LIMITS_QUERY = Versioned(
    ("2.1", "2.74", query_schema({"tenant_id": _STRINGS})),
    ("2.75", None, query_schema({"tenant_id": _STRINGS}, strict=True)),
)
# show, detail, update, delete of a quota set
QUOTA_SET_QUERY = Versioned(
    ("2.1", "2.74", query_schema({"user_id": _STRINGS})),
    ("2.75", None, query_schema({"user_id": _STRINGS}, strict=True)),
)
