"""Request schemas of os-security-groups and os-security-group-rules, as
upstream declares them (extra members allowed; ports, protocol and CIDR
of a rule are checked by the handler, not the schema)."""

from nova.api.compute.common import query_schema

_TEXT = {"type": "string", "minLength": 0, "maxLength": 255}

GROUP = {
    "type": "object",
    "properties": {"security_group": {
        "type": "object",
        "properties": {"name": _TEXT, "description": _TEXT},
        "required": ["name", "description"],
        "additionalProperties": True}},
    "required": ["security_group"],
    "additionalProperties": True,
}

RULE = {
    "type": "object",
    "properties": {"security_group_rule": {
        "type": "object",
        "properties": {
            "group_id": {"type": ["string", "null"], "format": "uuid"},
            "parent_group_id": {"type": "string", "format": "uuid"},
            "to_port": {}, "from_port": {}, "ip_protocol": {}, "cidr": {}},
        "required": ["parent_group_id"],
        "additionalProperties": True}},
    "required": ["security_group_rule"],
    "additionalProperties": True,
}

_MULTI_NON_NEGATIVE = {"type": "array", "items": {
    "type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 0}}

INDEX_QUERY = query_schema({
    "limit": _MULTI_NON_NEGATIVE, "offset": _MULTI_NON_NEGATIVE,
    "all_tenants": {"type": "array", "items": {"type": "string"}}})
QUERY = query_schema({})
