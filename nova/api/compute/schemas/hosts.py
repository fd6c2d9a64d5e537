"""Request schemas of os-hosts (served until 2.42).

As upstream's: the list takes ``zone`` and ignores any other parameter
(the API was deprecated before unknown parameters were refused, at 2.102),
the other routes take any query string, and PUT takes ``status`` and/or
``maintenance_mode``, each ``enable`` or ``disable`` (in lower, title or
upper case).
"""

from nova.api.compute.common import STRINGS, query_schema

HOSTS_QUERY = query_schema({"zone": STRINGS})
ANY_QUERY = query_schema({})

_SWITCH = {"type": "string",
           "enum": ["enable", "disable", "Enable", "Disable", "ENABLE",
                    "DISABLE"]}
HOST_UPDATE = {
    "type": "object",
    "properties": {"status": _SWITCH, "maintenance_mode": _SWITCH},
    "anyOf": [{"required": ["status"]}, {"required": ["maintenance_mode"]}],
    "additionalProperties": False,
}
