"""Request schemas of /os-server-groups.

Upstream's versions: 'policies' (a list of one) of affinity and
anti-affinity, the soft ones from 2.15; 'policy' and 'rules'
({max_server_per_host}) instead from 2.64; the list's unknown query
parameters refused from 2.75, the show's from 2.102 (the create's and
the delete's never).
"""

import copy

from nova.api.compute.common import query_schema
from nova.api.compute.schemas import types
from nova.api.validation import Versioned


def _create(policies=None, policy=None):
    group = {"type": "object", "properties": {"name": types.NAME},
             "required": ["name"], "additionalProperties": False}
    if policies is not None:
        group["properties"]["policies"] = {
            "type": "array", "prefixItems": [{"type": "string",
                                              "enum": policies}],
            "items": False, "uniqueItems": True, "minItems": 1,
            "maxItems": 1}
        group["required"].append("policies")
    else:
        group["properties"]["policy"] = {"type": "string", "enum": policy}
        group["properties"]["rules"] = {
            "type": "object",
            "properties": {"max_server_per_host": types.POSITIVE_INTEGER},
            "additionalProperties": False}
        group["required"].append("policy")
    return {"type": "object", "properties": {"server_group": group},
            "required": ["server_group"], "additionalProperties": False}


_HARD = ["anti-affinity", "affinity"]
_ALL = _HARD + ["soft-anti-affinity", "soft-affinity"]

CREATE = Versioned(
    ("2.1", "2.14", _create(policies=_HARD)),
    ("2.15", "2.63", _create(policies=_ALL)),
    ("2.64", None, _create(policy=_ALL)),
)

_NUMBER = {"type": "array", "items": {"type": "string",
                                      "pattern": "^[0-9]+$"}}
_INDEX = {"all_projects": {"type": "array", "items": {"type": "string"}},
          "limit": _NUMBER, "offset": _NUMBER}

INDEX_QUERY = Versioned(
    ("2.1", "2.74", query_schema(copy.deepcopy(_INDEX))),
    ("2.75", None, query_schema(copy.deepcopy(_INDEX), strict=True)),
)
