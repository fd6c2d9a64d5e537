"""Request schemas of /os-keypairs.

Upstream's versions: 'type' from 2.2, 'user_id' (body and query) from
2.10, 'limit'/'marker' from 2.35, unknown query parameters rejected by
list/show/delete from 2.75 (never by create, which upstream declares no
query schema for), 'public_key' required and '@' and '.' allowed in
names from 2.92.
"""

import copy

from nova.api.compute.common import query_schema
from nova.api.validation import Versioned

# Names: the characters upstream allows, then (checked by the handler,
# for upstream's message) no leading or trailing blank.
_NAME = {"type": "string", "minLength": 1, "maxLength": 255,
         "pattern": r"^[_\- a-zA-Z0-9]+$"}
_NAME_292 = {"type": "string", "minLength": 1, "maxLength": 255,
             "pattern": r"^[_\-\@\. a-zA-Z0-9]+$"}

TYPES = ["ssh", "x509"]

# The column's width: upstream takes any string, and a longer one fails in
# the database (a 500) instead of being refused.
MAX_USER_ID = 255
# No control characters or lone surrogates (which no backend can store).
_USER_ID_PATTERN = r"^[^\x00-\x1f\x7f\ud800-\udfff]*$"


def _create(name, with_type=False, with_user=False, key_required=False):
    keypair = {
        "type": "object",
        "properties": {"name": name, "public_key": {"type": "string"}},
        "required": ["name", "public_key"] if key_required else ["name"],
        "additionalProperties": False,
    }
    if with_type:
        keypair["properties"]["type"] = {"type": "string", "enum": TYPES}
    if with_user:
        keypair["properties"]["user_id"] = {
            "type": "string", "maxLength": MAX_USER_ID,
            "pattern": _USER_ID_PATTERN}
    return {"type": "object", "properties": {"keypair": keypair},
            "required": ["keypair"], "additionalProperties": False}


CREATE = Versioned(
    ("2.1", "2.1", _create(_NAME)),
    ("2.2", "2.9", _create(_NAME, with_type=True)),
    ("2.10", "2.91", _create(_NAME, with_type=True, with_user=True)),
    ("2.92", None, _create(_NAME_292, with_type=True, with_user=True,
                           key_required=True)),
)

# Query values arrive as lists of strings.
_USER_ID = {"type": "array", "items": {"type": "string"}}
_LIMIT = {"type": "array", "items": {"type": "string", "pattern": "^[0-9]*$",
                                     "minLength": 1}}
_MARKER = {"type": "array", "items": {"type": "string"}}

_PAGES = {"user_id": _USER_ID, "limit": _LIMIT, "marker": _MARKER}

INDEX_QUERY = Versioned(
    ("2.1", "2.9", query_schema({})),
    ("2.10", "2.34", query_schema({"user_id": _USER_ID})),
    ("2.35", "2.74", query_schema(copy.deepcopy(_PAGES))),
    ("2.75", None, query_schema(copy.deepcopy(_PAGES), strict=True)),
)
# Show and delete.
ONE_QUERY = Versioned(
    ("2.1", "2.9", query_schema({})),
    ("2.10", "2.74", query_schema({"user_id": _USER_ID})),
    ("2.75", None, query_schema({"user_id": _USER_ID}, strict=True)),
)
