"""Request schemas of os-floating-ips, os-floating-ip-pools and the
addFloatingIp/removeFloatingIp actions, as upstream declares them."""

from nova.api.compute.common import query_schema

QUERY = query_schema({})

CREATE = {
    "type": ["object", "null"],
    "properties": {"pool": {"type": ["string", "null"]}},
    "additionalProperties": True,
}

_ADDRESS = {"type": "string", "oneOf": [{"format": "ipv4"},
                                         {"format": "ipv6"}]}


def add_floating_ip(name="addFloatingIp"):
    return {
        "type": "object",
        "properties": {name: {
            "type": "object",
            "properties": {"address": _ADDRESS,
                           "fixed_address": _ADDRESS},
            "required": ["address"],
            "additionalProperties": False}},
        "required": [name],
        "additionalProperties": False,
    }


def remove_floating_ip(name="removeFloatingIp"):
    return {
        "type": "object",
        "properties": {name: {
            "type": "object",
            "properties": {"address": _ADDRESS},
            "required": ["address"],
            "additionalProperties": False}},
        "required": [name],
        "additionalProperties": False,
    }
