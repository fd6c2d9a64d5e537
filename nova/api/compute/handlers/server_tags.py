"""/servers/{id}/tags (2.26 and later)."""

import re

from nova.api import errors
from nova.api.compute.common import ANY_QUERY, Links
from nova.api.compute.handlers.server_common import load, load_for_change
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import servers as schemas
from nova.compute import servers as service
from nova.compute import states
from nova.policies import servers as rules

HONOURED = {"servers/tags": {"2.26"}}

_ALLOWED = (states.ACTIVE, states.PAUSED, states.SUSPENDED, states.STOPPED,
            states.SHELVED, states.SHELVED_OFFLOADED, states.BUILDING)
_TAG = re.compile(r"^[^,/]{1,60}$")


def _db(req):
    return req.app.backends.db


def _writable(req, session, server_id, rule, action):
    instance = load_for_change(req, session, server_id, rule)
    service.check_state(instance, action, _ALLOWED, task_states=None)
    return instance


def index(req, server_id):
    with _db(req).reader() as session:
        instance = load(req, session, server_id)
        return {"tags": service.tags_of(session,
                                        [instance.uuid])[instance.uuid]}


def show(req, server_id, tag):
    with _db(req).reader() as session:
        instance = load(req, session, server_id)
        tags = service.tags_of(session, [instance.uuid])[instance.uuid]
    if tag not in tags:
        raise errors.NotFound(
            f"Tag {tag} could not be found for instance {instance.uuid}.")
    return Result(204)


def update_all(req, server_id):
    with _db(req).writer() as session:
        instance = _writable(req, session, server_id,
                             rules.TAGS % "update_all", "update tags")
        tags = service.set_tags(session, instance, req.json["tags"])
    return {"tags": tags}


def update(req, server_id, tag):
    if not _TAG.match(tag):
        raise errors.BadRequest(
            f"Invalid tag {tag!r}: 1 to 60 characters, neither ',' nor '/'.")
    with _db(req).writer() as session:
        instance = _writable(req, session, server_id, rules.TAGS % "update",
                             "update tag")
        added = service.add_tag(session, instance, tag)
    if not added:
        return Result(204)
    href = Links(req).resource("servers", server_id)[0]["href"]
    return Result(201, headers=[("Location", f"{href}/tags/{tag}")])


def delete_all(req, server_id):
    with _db(req).writer() as session:
        instance = _writable(req, session, server_id,
                             rules.TAGS % "delete_all", "delete tags")
        service.set_tags(session, instance, [])
    return Result(204)


def delete(req, server_id, tag):
    with _db(req).writer() as session:
        instance = _writable(req, session, server_id, rules.TAGS % "delete",
                             "delete tag")
        service.delete_tag(session, instance, tag)
    return Result(204)


_BASE = "/servers/{server_id}/tags"
_V = (2, 26)
ROUTES = (
    Route(_BASE, "GET", index, rules.TAGS % "index", query=ANY_QUERY,
          min_version=_V, check_first=False),
    Route(_BASE, "PUT", update_all, rules.TAGS % "update_all",
          query=ANY_QUERY, body=schemas.TAGS_SET, min_version=_V,
          check_first=False),
    Route(_BASE, "DELETE", delete_all, rules.TAGS % "delete_all",
          query=ANY_QUERY, min_version=_V, check_first=False),
    Route(_BASE + "/{tag}", "GET", show, rules.TAGS % "show",
          query=ANY_QUERY, min_version=_V, check_first=False),
    Route(_BASE + "/{tag}", "PUT", update, rules.TAGS % "update",
          query=ANY_QUERY, body=schemas.TAG_PUT, min_version=_V,
          check_first=False),
    Route(_BASE + "/{tag}", "DELETE", delete, rules.TAGS % "delete",
          query=ANY_QUERY, min_version=_V, check_first=False),
)
