"""/servers/{id}/metadata: the server's key/value metadata."""

from nova.api import errors
from nova.api.compute.common import ANY_QUERY, SHOW_QUERY
from nova.api.compute.handlers.server_common import load, load_for_change
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import servers as schemas
from nova.compute import servers as service
from nova.compute import states
from nova.policies import servers as rules

HONOURED = {"servers/metadata": set()}

_ALLOWED = (states.ACTIVE, states.PAUSED, states.SUSPENDED, states.STOPPED,
            states.SHELVED, states.SHELVED_OFFLOADED)


def _db(req):
    return req.app.backends.db


def _conf(req):
    return req.app.backends.conf


def _writable(req, session, server_id, rule, action):
    instance = load_for_change(req, session, server_id, rule)
    service.check_state(instance, action, _ALLOWED)
    return instance


def index(req, server_id):
    with _db(req).reader() as session:
        instance = load(req, session, server_id)
        return {"metadata": service.metadata_of(
            session, [instance.uuid])[instance.uuid]}


def show(req, server_id, key):
    with _db(req).reader() as session:
        instance = load(req, session, server_id)
        items = service.metadata_of(session, [instance.uuid])[instance.uuid]
    if key not in items:
        raise errors.NotFound("Metadata item was not found")
    return {"meta": {key: items[key]}}


def create(req, server_id):
    with _db(req).writer() as session:
        instance = _writable(req, session, server_id, rules.META % "create",
                             "update metadata")
        merged = service.set_metadata(session, instance,
                                      req.json["metadata"], conf=_conf(req))
    return {"metadata": merged}


def update_all(req, server_id):
    with _db(req).writer() as session:
        instance = _writable(req, session, server_id,
                             rules.META % "update_all", "update metadata")
        items = service.set_metadata(session, instance,
                                     req.json["metadata"], replace=True,
                                     conf=_conf(req))
    return {"metadata": items}


def update(req, server_id, key):
    meta = req.json["meta"]
    if key not in meta:
        raise errors.BadRequest("Request body and URI mismatch")
    with _db(req).writer() as session:
        instance = _writable(req, session, server_id, rules.META % "update",
                             "update metadata")
        service.set_metadata(session, instance, meta, conf=_conf(req))
    return {"meta": meta}


def delete(req, server_id, key):
    with _db(req).writer() as session:
        instance = _writable(req, session, server_id, rules.META % "delete",
                             "delete metadata")
        service.delete_metadata(session, instance, key)
    return Result(204)


_BASE = "/servers/{server_id}/metadata"
ROUTES = (
    Route(_BASE, "GET", index, rules.META % "index",
          query=SHOW_QUERY, check_first=False),
    Route(_BASE, "POST", create, rules.META % "create",
          query=ANY_QUERY, body=schemas.METADATA_SET,
          check_first=False),
    Route(_BASE, "PUT", update_all, rules.META % "update_all",
          query=ANY_QUERY, body=schemas.METADATA_SET,
          check_first=False),
    Route(_BASE + "/{key}", "GET", show, rules.META % "show",
          query=SHOW_QUERY, check_first=False),
    Route(_BASE + "/{key}", "PUT", update, rules.META % "update",
          query=ANY_QUERY, body=schemas.METADATA_ITEM,
          check_first=False),
    Route(_BASE + "/{key}", "DELETE", delete, rules.META % "delete",
          query=ANY_QUERY, check_first=False),
)
