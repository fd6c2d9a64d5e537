"""/images: the local image catalogue, read-only, until 2.35 (as the image
proxy upstream, which 2.36 removed)."""

from nova.api.compute import common
from nova.api.compute.common import ANY_QUERY, last
from nova.api.compute.router import Route
from nova.compute import images as service
from nova.policies import images as rules

# 2.36 removes /images (max_version 2.35 below); 2.39 removes the image
# metadata proxy, which is not served at any version here.
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


def _basic(image, links):
    return {"id": image.id, "name": image.name,
            "links": links.resource("images", image.id)}


def _detail(image, links):
    return {
        "id": image.id, "name": image.name,
        "minRam": image.min_ram, "minDisk": image.min_disk,
        "metadata": service.properties(image),
        "created": _time(image.created_at),
        "updated": _time(image.updated_at or image.created_at),
        "status": image.status.upper(), "progress": 100,
        "OS-EXT-IMG-SIZE:size": image.size,
        "links": links.resource("images", image.id),
    }


def _list(req, render):
    limit, marker = common.page_params(req)
    with req.app.backends.db.reader() as session:
        rows = service.list_images(
            session, project_id=req.context.project_id,
            is_admin=req.can("context_is_admin"), limit=limit, marker=marker,
            name=last(req.query, "name"), status=last(req.query, "status"))
    links = common.Links(req)
    return common.collection(req, "images", [render(r, links) for r in rows],
                             limit, lambda item: item["id"])


def index(req):
    return _list(req, _basic)


def detail(req):
    return _list(req, _detail)


def show(req, image_id):
    with req.app.backends.db.reader() as session:
        image = service.get(session, image_id,
                            project_id=req.context.project_id,
                            is_admin=req.can("context_is_admin"))
    return {"image": _detail(image, common.Links(req))}


ROUTES = (
    Route("/images", "GET", index, rules.LIST, query=INDEX_QUERY,
          max_version=_MAX),
    Route("/images/detail", "GET", detail, rules.LIST, query=INDEX_QUERY,
          max_version=_MAX),
    Route("/images/{image_id}", "GET", show, rules.LIST, query=ANY_QUERY,
          max_version=_MAX),
)
