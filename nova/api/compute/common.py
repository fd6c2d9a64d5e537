"""Links and pagination, shared by every collection of the compute API."""

import urllib.parse

import re2

from nova.api import errors, wsgi_util
from nova.api.validation import Versioned

ENV_URL_PROJECT = "nova.url_project_id"


def is_true(value):
    """Upstream's lax boolean: true, or else false (never an error)."""
    return str(value).strip().lower() in ("1", "t", "true", "on", "y", "yes")


def parse_bool(value, name):
    """Upstream's strict boolean parsing for query parameters."""
    text = str(value).strip().lower()
    if text in ("1", "t", "true", "on", "y", "yes"):
        return True
    if text in ("0", "f", "false", "off", "n", "no"):
        return False
    raise errors.BadRequest(f"Invalid {name} filter [{value}]")


def regex(pattern, name):
    """A filter's regular expression (the server list's and, from 2.102,
    the flavor list's ``name``), compiled by RE2 (linear time); 400 when
    it does not compile or is longer than 255 characters."""
    if len(pattern) > 255:
        raise errors.BadRequest(f"Invalid {name} filter: too long")
    try:
        return re2.compile(pattern)
    except re2.error:
        raise errors.BadRequest(f"Invalid {name} filter [{pattern}]") from None


def id_from_href(ref):
    """The id a reference names: "2", or the last segment of a link such as
    "http://host/v2.1/flavors/2" (upstream's ``get_id_from_href``)."""
    return urllib.parse.urlsplit(str(ref)).path.split("/")[-1]


def last(query, name, default=None):
    """The last value of a repeated query parameter (upstream's reading)."""
    values = query.get(name)
    return values[-1] if values else default


class Links:
    """Builds self/bookmark/next links the way upstream does."""

    def __init__(self, req):
        env = req.environ
        root = env.get(wsgi_util.ENV_ROOT, "")
        version_part = env.get("SCRIPT_NAME", "")[len(root):]  # "/v2.1"
        base = wsgi_util.application_url(env, req.app.link_prefix)
        project = env.get(ENV_URL_PROJECT)
        project_part = f"/{project}" if project else ""
        self.api_base = base + version_part + project_part
        self.bookmark_base = base + project_part
        self.req = req

    def resource(self, collection, ident):
        return [
            {"rel": "self", "href": f"{self.api_base}/{collection}/{ident}"},
            {"rel": "bookmark",
             "href": f"{self.bookmark_base}/{collection}/{ident}"},
        ]

    def bookmark(self, collection, ident):
        return [{"rel": "bookmark",
                 "href": f"{self.bookmark_base}/{collection}/{ident}"}]

    def next(self, collection, marker, path_suffix=""):
        params = [(k, v) for k, v in self.req.GET.items() if k != "marker"]
        params.append(("marker", marker))
        return [{"rel": "next",
                 "href": f"{self.api_base}/{collection}{path_suffix}?"
                         + urllib.parse.urlencode(params)}]


def page_params(req):
    """(limit, marker) from the query; limit clamped to [api] max_limit."""
    max_limit = req.app.max_limit
    raw = last(req.query, "limit")
    if raw is None:
        limit = max_limit
    else:
        try:
            limit = int(raw)
        except ValueError:
            raise errors.BadRequest("limit param must be an integer") from None
        if limit < 0:
            raise errors.BadRequest("limit param must be positive")
        limit = min(limit, max_limit)
    return limit, last(req.query, "marker")


def collection(req, key, items, limit, marker_of, collection_name=None,
               path_suffix=""):
    """``{key: items}`` plus ``<key>_links`` when the page is full."""
    body = {key: items}
    if items and len(items) == limit:
        links = Links(req)
        body[f"{key}_links"] = links.next(collection_name or key,
                                          marker_of(items[-1]), path_suffix)
    return body


# Query schema pieces (values arrive as lists of strings). A parameter
# may repeat (the handler reads the last value), unless ``single``.
STRINGS = {"type": "array", "items": {"type": "string"}}
# Upstream's non_negative_integer and positive_integer, as query values:
# digits only (no sign, no blank).
NON_NEGATIVE = {"type": "string", "pattern": "^[0-9]+$"}
POSITIVE = {"type": "string", "pattern": "^0*[1-9][0-9]*$"}
LIMIT = {"type": "array", "items": NON_NEGATIVE}
MARKER = STRINGS


def single(schema):
    """A query parameter given once at most (upstream's single_param)."""
    return {"type": "array", "items": schema, "maxItems": 1}


def query_schema(properties, strict=False):
    return {"type": "object", "properties": properties,
            "additionalProperties": not strict}


# Where upstream declares no query schema (its writes, mostly): nothing of
# the query string is checked, at any version. 2.102 refused unknown
# parameters only where a query schema is declared.
ANY_QUERY = query_schema({})


def lax_until(version, properties=None):
    """Query schema: any parameter until ``version``-1, only ``properties``
    from ``version`` (upstream's ``*_query`` / ``*_query_v<version>``)."""
    major, minor = version.split(".")
    before = f"{major}.{int(minor) - 1}"
    return Versioned(
        ("2.1", before, query_schema(dict(properties or {}))),
        (version, None, query_schema(dict(properties or {}), strict=True)))


# The GETs of one thing that upstream's 2.102 made strict.
SHOW_QUERY = lax_until("2.102")
