"""/os-aggregates: host aggregates and their availability zones (admin).

Create, show, update and the actions answer 200 (upstream's historical
codes), delete 200 with no body; uuids from 2.41; the image cache request
of 2.81 is accepted (202) and has nothing to do with the built-in driver.
"""

from nova.api import errors, validation
from nova.api.compute.common import ANY_QUERY, SHOW_QUERY
from nova.api.compute.handlers.services import synced_db
from nova.api.compute.router import Action, Result, Route, action_table
from nova.api.compute.schemas import admin as schemas
from nova.compute import aggregates as service
from nova.compute import hosts as host_service
from nova.policies import admin as rules

HONOURED = {"os-aggregates": {"2.41", "2.81", "2.102"}}


def _db(req):
    # Hosts are named by add_host and remove_host: register them first.
    return synced_db(req)


def _id(aggregate_id):
    try:
        return int(aggregate_id)
    except ValueError:
        raise errors.BadRequest(
            "Invalid input received: id must be an integer") from None


def view(req, agg, full=True):
    row = agg.row
    body = {"availability_zone": agg.zone,
            "created_at": host_service.timestamp(row.created_at),
            "deleted": False, "deleted_at": None,
            "hosts": list(agg.hosts), "id": row.id,
            "metadata": dict(agg.metadata), "name": row.name,
            "updated_at": host_service.timestamp(row.updated_at)}
    if not full:
        del body["hosts"], body["metadata"]
    if req.is_version("2.41"):
        body["uuid"] = row.uuid
    return {"aggregate": body}


def index(req):
    with _db(req).reader() as session:
        found = service.list_aggregates(session)
    return {"aggregates": [view(req, agg)["aggregate"] for agg in found]}


def create(req):
    body = req.json["aggregate"]
    # As upstream (its normalize_name): the name and zone without blanks
    # at the ends, which the schema lets through only as a final newline.
    zone = body.get("availability_zone")
    with _db(req).writer() as session:
        agg = service.create(session, body["name"].strip(),
                             zone.strip() if zone else zone)
        return view(req, agg, full=False)


def show(req, aggregate_id):
    key = _id(aggregate_id)
    with _db(req).reader() as session:
        return view(req, service.get(session, key))


def update(req, aggregate_id):
    key = _id(aggregate_id)
    changes = dict(req.json["aggregate"])
    if "name" in changes:  # taken with blanks at the ends, stored without
        changes["name"] = changes["name"].strip()
    with _db(req).writer() as session:
        agg = service.get(session, key, for_update=True)
        return view(req, service.update(session, agg, changes))


def delete(req, aggregate_id):
    key = _id(aggregate_id)
    with _db(req).writer() as session:
        service.delete(session, key)
    return Result(200)


def _add_host(req, session, key, body):
    return service.add_host(session, key, body["host"])


def _remove_host(req, session, key, body):
    return service.remove_host(session, key, body["host"])


def _set_metadata(req, session, key, body):
    agg = service.get(session, key, for_update=True)
    return service.set_metadata(session, agg, body["metadata"])


ACTIONS = action_table(
    Action("add_host", _add_host, rules.AGGREGATES % "add_host",
           schemas.ADD_HOST),
    Action("remove_host", _remove_host, rules.AGGREGATES % "remove_host",
           schemas.REMOVE_HOST),
    Action("set_metadata", _set_metadata,
           rules.AGGREGATES % "set_metadata", schemas.SET_METADATA),
)


def action(req, aggregate_id):
    (name, body), = req.json.items()
    entry = ACTIONS.get(name)
    if entry is None:
        raise errors.BadRequest(f"There is no such action: {name}")
    validation.check(entry.schema, req.json)
    req.authorize(rule=entry.rule)
    key = _id(aggregate_id)
    with _db(req).writer() as session:
        return view(req, entry.handler(req, session, key, body))


def images(req, aggregate_id):
    key = _id(aggregate_id)
    image_ids = [item["id"] for item in req.json["cache"]]
    if len(set(image_ids)) != len(image_ids):
        raise errors.BadRequest("Duplicate images in request")
    with _db(req).reader() as session:
        service.get(session, key)
    return Result(202)


_AGG = "/os-aggregates/{aggregate_id}"

ROUTES = (
    Route("/os-aggregates", "GET", index, rules.AGGREGATES % "index",
          query=SHOW_QUERY),
    Route("/os-aggregates", "POST", create, rules.AGGREGATES % "create",
          query=ANY_QUERY, body=schemas.AGGREGATE_CREATE),
    Route(_AGG, "GET", show, rules.AGGREGATES % "show",
          query=SHOW_QUERY),
    Route(_AGG, "PUT", update, rules.AGGREGATES % "update",
          query=ANY_QUERY, body=schemas.AGGREGATE_UPDATE),
    Route(_AGG, "DELETE", delete, rules.AGGREGATES % "delete",
          query=ANY_QUERY),
    Route(_AGG + "/action", "POST", action, query=ANY_QUERY,
          body=schemas.AGGREGATE_ACTION, check_first=False,
          actions=ACTIONS),
    Route(_AGG + "/images", "POST", images, rules.AGGREGATE_IMAGES,
          query=ANY_QUERY, body=schemas.AGGREGATE_IMAGES,
          min_version=(2, 81)),
)
