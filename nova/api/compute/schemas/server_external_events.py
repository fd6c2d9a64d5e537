"""Request schemas of os-server-external-events: the event names each
microversion accepts (2.51 volume-extended, 2.76 power-update, 2.82
accelerator-request-bound, 2.93 volume-reimaged)."""

from nova.api.compute.common import query_schema
from nova.api.validation import Versioned
from nova.compute import external_events as events

# Upstream validates no query string on this POST, at any version (2.102
# made every API refuse unknown parameters, but only where a query schema
# is declared, which this route has none of).
QUERY = query_schema({})


def _create(version):
    names = [name for name, since in events.SINCE.items()
             if tuple(map(int, since.split("."))) <= version]
    return {
        "type": "object",
        "properties": {"events": {
            "type": "array", "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "enum": names},
                    "server_uuid": {"type": "string", "format": "uuid"},
                    "status": {"type": "string",
                               "enum": list(events.STATUSES)},
                    "tag": {"type": "string", "maxLength": 255},
                },
                "required": ["name", "server_uuid"],
                "additionalProperties": False,
            },
        }},
        "required": ["events"],
        "additionalProperties": False,
    }


CREATE = Versioned(
    ("2.1", "2.50", _create((2, 1))),
    ("2.51", "2.75", _create((2, 51))),
    ("2.76", "2.81", _create((2, 76))),
    ("2.82", "2.92", _create((2, 82))),
    ("2.93", None, _create((2, 93))),
)
