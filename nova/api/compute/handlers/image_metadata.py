"""/images/{id}/metadata: an image's custom properties, until 2.38 (as
upstream's proxy, which 2.39 removed), over the image interface: Glance
v2 (a json-patch) when configured, else the local catalogue."""

from nova import exception
from nova.api import errors
from nova.api.compute.common import ANY_QUERY, SHOW_QUERY
from nova.api.compute.handlers.images import context_of
from nova.api.compute.handlers.server_common import compute_of
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import servers as schemas
from nova.compute import servers as service
from nova.policies import images as rules

HONOURED = {"images": {"2.39"}}
_MAX = (2, 38)


def _images(req):
    return compute_of(req).images


def _properties(req, image_id):
    try:
        return dict(_images(req).show(context_of(req), image_id).properties)
    except exception.NotFound:
        raise exception.NotFound("Image not found.") from None


def _check_quota(properties):
    if len(properties) > service.MAX_METADATA_ITEMS:
        raise errors.Forbidden("Image metadata limit exceeded")


def _update(req, image_id, set_, remove=()):
    try:
        image = _images(req).update_properties(
            context_of(req), image_id, set_=set_, remove=remove)
    except exception.NotFound:
        raise exception.NotFound("Image not found.") from None
    return dict(image.properties)


def index(req, image_id):
    return {"metadata": _properties(req, image_id)}


def show(req, image_id, key):
    properties = _properties(req, image_id)
    if key not in properties:
        raise errors.NotFound("The resource could not be found.")
    return {"meta": {key: properties[key]}}


def create(req, image_id):
    wanted = req.json["metadata"]
    current = _properties(req, image_id)
    _check_quota({**current, **wanted})
    return {"metadata": _update(req, image_id, wanted)}


def update_all(req, image_id):
    wanted = req.json["metadata"]
    _check_quota(wanted)
    current = _properties(req, image_id)
    gone = [key for key in current if key not in wanted]
    return {"metadata": _update(req, image_id, wanted, gone)}


def update(req, image_id, key):
    meta = req.json["meta"]
    if key not in meta:
        raise errors.BadRequest("Request body and URI mismatch")
    if len(meta) > 1:
        raise errors.BadRequest("Request body contains too many items")
    current = _properties(req, image_id)
    _check_quota({**current, **meta})
    _update(req, image_id, meta)
    return {"meta": meta}


def delete(req, image_id, key):
    if key not in _properties(req, image_id):
        raise errors.NotFound("Invalid metadata key")
    _update(req, image_id, {}, [key])
    return Result(204)


_BASE = "/images/{image_id}/metadata"
ROUTES = (
    Route(_BASE, "GET", index, rules.LIST, query=SHOW_QUERY,
          max_version=_MAX),
    Route(_BASE, "POST", create, rules.UPDATE, query=ANY_QUERY,
          body=schemas.METADATA_SET, max_version=_MAX),
    Route(_BASE, "PUT", update_all, rules.UPDATE, query=ANY_QUERY,
          body=schemas.METADATA_SET, max_version=_MAX),
    Route(_BASE + "/{key}", "GET", show, rules.LIST, query=SHOW_QUERY,
          max_version=_MAX),
    Route(_BASE + "/{key}", "PUT", update, rules.UPDATE, query=ANY_QUERY,
          body=schemas.METADATA_ITEM, max_version=_MAX),
    Route(_BASE + "/{key}", "DELETE", delete, rules.UPDATE,
          query=ANY_QUERY, max_version=_MAX),
)
