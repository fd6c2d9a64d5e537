"""/images: the image proxy until 2.35 (upstream removed it in 2.36), over
the image interface: the local catalogue, or Glance v2 when configured."""

from nova import exception
from nova.api.compute import common
from nova.api.compute.common import ANY_QUERY, last
from nova.api.compute.handlers.server_common import compute_of
from nova.api.compute.router import Result, Route
from nova.policies import images as rules

# 2.36 removes /images (max_version 2.35 below); 2.39 removes the image
# metadata proxy (handlers/image_metadata.py).
HONOURED = {"images": {"2.36", "2.39"}}
_MAX = (2, 35)

# As upstream's: limit, page_size and offset are positive integers (the
# last two are ignored here, as Glance ignores them).
_POSITIVE = {"type": "array", "items": common.POSITIVE}
INDEX_QUERY = common.query_schema({
    "name": common.STRINGS, "status": common.STRINGS,
    "limit": _POSITIVE, "page_size": _POSITIVE, "offset": _POSITIVE,
    "marker": common.STRINGS,
    "changes-since": common.STRINGS, "server": common.STRINGS,
    "type": common.STRINGS, "minRam": common.STRINGS,
    "minDisk": common.STRINGS})


def _time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _links(image, links, glance):
    """self and bookmark, and with Glance upstream's third link: the
    image in Glance (``alternate``)."""
    found = links.resource("images", image.id)
    if glance:
        found.append({"rel": "alternate",
                      "type": "application/vnd.openstack.image",
                      "href": f"{glance}/images/{image.id}"})
    return found


def _basic(image, links, glance=None):
    return {"id": image.id, "name": image.name,
            "links": _links(image, links, glance)}


def _detail(image, links, glance=None):
    view = {
        "id": image.id, "name": image.name,
        "minRam": image.min_ram, "minDisk": image.min_disk,
        "metadata": dict(image.properties),
        "created": _time(image.created_at),
        "updated": _time(image.updated_at or image.created_at),
        "status": image.status.upper(), "progress": 100,
        "OS-EXT-IMG-SIZE:size": image.size,
        "links": _links(image, links, glance),
    }
    # As upstream: a snapshot or backup names the server it was made of.
    server_id = image.properties.get("instance_uuid")
    if server_id is not None:
        view["server"] = {"id": server_id,
                          "links": links.resource("servers", server_id)}
    return view


# Upstream's proxy filters, as Glance v2 names them.
_FILTERS = {"name": "name", "status": "status", "server": "instance_uuid",
            "type": "image_type", "minRam": "min_ram",
            "minDisk": "min_disk"}


def _filters(req):
    """Upstream's: ``server`` (an id or a URL) is the ``instance_uuid``
    property, ``type`` ``image_type``, ``changes-since`` ``updated_at``
    ``gte:``, ``property-X`` the property X; status in lower case."""
    filters = {}
    for key in req.query:
        value = last(req.query, key)
        if key in _FILTERS:
            filters[_FILTERS[key]] = value
        elif key == "changes-since":
            filters["updated_at"] = f"gte:{value}"
        elif key.startswith("property-") and len(key) > len("property-"):
            filters[key[len("property-"):]] = value
    if "instance_uuid" in filters:
        filters["instance_uuid"] = filters["instance_uuid"].rsplit("/")[-1]
    if "status" in filters:
        filters["status"] = filters["status"].lower()
    return filters


def _list(req, render):
    limit, marker = common.page_params(req)
    images = compute_of(req).images
    context = context_of(req)
    rows = images.list(context, limit=limit, marker=marker,
                       filters=_filters(req))
    links = common.Links(req)
    glance = images.endpoint(context)
    return common.collection(req, "images",
                             [render(r, links, glance) for r in rows],
                             limit, lambda item: item["id"])


def index(req):
    return _list(req, _basic)


def detail(req):
    return _list(req, _detail)


def context_of(req):
    """The caller, with the admin flag the policy gives it (the local
    catalogue filters by it; Glance reads the token)."""
    import dataclasses

    return dataclasses.replace(req.context,
                               is_admin=req.can("context_is_admin"))


def show(req, image_id):
    images = compute_of(req).images
    context = context_of(req)
    try:
        image = images.show(context, image_id)
    except exception.NotFound:
        raise exception.NotFound("Image not found.") from None
    return {"image": _detail(image, common.Links(req),
                             images.endpoint(context))}


def delete(req, image_id):
    try:
        compute_of(req).images.delete(context_of(req), image_id)
    except exception.NotFound:
        raise exception.NotFound("Image not found.") from None
    except exception.Forbidden:
        raise exception.Forbidden(
            "You are not allowed to delete the image.") from None
    return Result(204)


ROUTES = (
    Route("/images", "GET", index, rules.LIST, query=INDEX_QUERY,
          max_version=_MAX),
    Route("/images/detail", "GET", detail, rules.LIST, query=INDEX_QUERY,
          max_version=_MAX),
    Route("/images/{image_id}", "GET", show, rules.LIST, query=ANY_QUERY,
          max_version=_MAX),
    Route("/images/{image_id}", "DELETE", delete, rules.UPDATE,
          query=ANY_QUERY, max_version=_MAX),
)
