"""Request schemas of the remote consoles (POST
/servers/{id}/remote-consoles, the os-get*Console actions until 2.5) and
of GET /os-console-auth-tokens/{token}, as upstream's.

The enums keep values no driver here serves (xvpvnc, rdp, rdp-html5), as
upstream's do: they pass the schema and are refused further on (400).
"""

from nova.api.compute.common import query_schema
from nova.api.validation import Versioned


def _legacy(action, types):
    return {"type": "object",
            "properties": {action: {
                "type": "object",
                "properties": {"type": {"type": "string", "enum": types}},
                "required": ["type"],
                "additionalProperties": False}},
            "required": [action], "additionalProperties": False}


GET_VNC = _legacy("os-getVNCConsole", ["novnc", "xvpvnc"])
GET_SPICE = _legacy("os-getSPICEConsole", ["spice-html5"])
GET_SERIAL = _legacy("os-getSerialConsole", ["serial"])


def _create(protocols, types):
    return {"type": "object",
            "properties": {"remote_console": {
                "type": "object",
                "properties": {
                    "protocol": {"type": "string", "enum": protocols},
                    "type": {"type": "string", "enum": types}},
                "required": ["protocol", "type"],
                "additionalProperties": False}},
            "required": ["remote_console"], "additionalProperties": False}


_PROTOCOLS = ["vnc", "spice", "serial", "rdp"]
_TYPES = ["novnc", "xvpvnc", "spice-html5", "serial", "rdp-html5"]
CREATE = Versioned(
    ("2.6", "2.7", _create(_PROTOCOLS, _TYPES)),
    ("2.8", "2.98", _create(_PROTOCOLS + ["mks"], _TYPES + ["webmks"])),
    ("2.99", None, _create(_PROTOCOLS + ["mks"],
                           _TYPES + ["webmks", "spice-direct"])),
)
# Upstream reads no query parameter of the create, and refuses none.
CREATE_QUERY = query_schema({})

TOKEN_QUERY = Versioned(
    ("2.1", "2.98", query_schema({})),
    ("2.99", None, query_schema({}, strict=True)),
)

