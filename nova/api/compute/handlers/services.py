"""/os-services: the compute hosts as nova-compute services (admin).

Only nova-compute services are listed: upstream hides the API's own
services (nova-osapi_compute, nova-metadata), and there is no scheduler or
conductor here. Before 2.53 a service is named by its integer id and
changed with PUT /os-services/{enable,disable,disable-log-reason,
force-down} and a host/binary body; from 2.53 by its uuid, with PUT
/os-services/{uuid}.
"""

from nova.api import errors
from nova.api.compute.common import ANY_QUERY, last
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import admin as schemas
from nova.api.compute.schemas import types
from nova.compute import hosts as service
from nova.policies import admin as rules

HONOURED = {"os-services": {"2.11", "2.53", "2.69", "2.102"}}


def db(req):
    return req.app.backends.db


def driver(req):
    return req.app.backends.compute.driver


def configured(req):
    return {h[0] for h in driver(req).hosts}


def synced_db(req):
    """The store, with the configured hosts registered."""
    service.ensure_synced(db(req), driver(req))
    return db(req)


def view(req, row, zone, configured_hosts):
    uuid_ids = req.is_version("2.53")
    body = {
        "binary": service.BINARY,
        "host": row.host,
        "id": row.uuid if uuid_ids else row.id,
        "zone": zone,
        "status": "disabled" if row.disabled else "enabled",
        "state": "up" if service.is_up(row, configured_hosts) else "down",
        "updated_at": service.timestamp(row.updated_at or row.created_at),
        "disabled_reason": row.disabled_reason,
    }
    if req.is_version("2.11"):
        body["forced_down"] = row.forced_down
    return body


def index(req):
    host = last(req.query, "host")
    binary = last(req.query, "binary")
    if binary and binary != service.BINARY:
        return {"services": []}
    with synced_db(req).reader() as session:
        rows = service.list_hosts(session, host=host or None)
    hosts = configured(req)
    return {"services": [view(req, row, zone, hosts) for row, zone in rows]}


def _not_compute(binary):
    return errors.BadRequest(
        f"Updating a {binary} service is not supported. Only nova-compute "
        "services can be updated.")


def update_legacy(req, service_id):
    """PUT /os-services/{action} (2.1 to 2.52)."""
    actions = ("enable", "disable", "disable-log-reason")
    if req.is_version("2.11"):
        actions += ("force-down",)
    if service_id not in actions:
        raise errors.NotFound("Unknown action")
    body = req.json
    host, binary = body["host"], body["binary"]
    changes = {}
    result = {"host": host, "binary": binary}
    if service_id == "enable":
        changes = {"disabled": False}
        result["status"] = "enabled"
    elif service_id in ("disable", "disable-log-reason"):
        reason = None
        if service_id == "disable-log-reason":
            if "disabled_reason" not in body:
                raise errors.BadRequest("Missing disabled reason field")
            reason = body["disabled_reason"]
        changes = {"disabled": True, "reason": reason}
        result["status"] = "disabled"
        if reason:
            result["disabled_reason"] = reason
    else:
        if "forced_down" not in body:
            raise errors.BadRequest("Missing forced_down field")
        forced = types.to_bool(body["forced_down"])
        changes = {"forced_down": forced}
        result["forced_down"] = forced
    if binary != service.BINARY:
        raise _not_compute(binary)
    with synced_db(req).writer() as session:
        found = service.get_by_name(session, host, for_update=True)
        if found is None:
            raise errors.NotFound(
                f"Could not find binary {binary} on host {host}.")
        service.update(found[0], **changes)
    return {"service": result}


def update(req, service_id):
    """PUT /os-services/{service_id} (from 2.53)."""
    if not service.is_uuid(service_id):
        raise errors.BadRequest(f"Invalid uuid {service_id}")
    body = req.json
    changes = {}
    if "status" in body:
        if body["status"] == "enabled":
            if body.get("disabled_reason"):
                raise errors.BadRequest(
                    "Specifying 'disabled_reason' with status 'enabled' is "
                    "invalid.")
            changes.update(disabled=False)
        else:
            changes.update(disabled=True,
                           reason=body.get("disabled_reason"))
    if "forced_down" in body:
        changes["forced_down"] = types.to_bool(body["forced_down"])
    with synced_db(req).writer() as session:
        found = service.get_by_id(session, service_id, for_update=True)
        if found is None:
            raise errors.NotFound(
                f"Service {service_id} could not be found.")
        if not changes:
            raise errors.BadRequest(
                "No updates were requested. Fields 'status' or "
                "'forced_down' should be specified.")
        row, zone = found
        service.update(row, **changes)
        session.flush()
        return {"service": view(req, row, zone, configured(req))}


def delete(req, service_id):
    if req.is_version("2.53"):
        if not service.is_uuid(service_id):
            raise errors.BadRequest(f"Invalid uuid {service_id}")
        key = service_id
    else:
        try:
            key = int(service_id)
        except ValueError:
            raise errors.BadRequest(
                "Invalid input received: id must be an integer") from None
    with synced_db(req).writer() as session:
        found = service.get_by_id(session, key, for_update=True)
        if found is None:
            raise errors.NotFound(f"Service {service_id} not found.")
        service.delete(session, found[0])
    return Result(204)


ROUTES = (
    Route("/os-services", "GET", index, rules.SERVICES % "list",
          query=schemas.SERVICES_QUERY),
    Route("/os-services/{service_id}", "PUT", update_legacy,
          rules.SERVICES % "update", query=ANY_QUERY,
          body=schemas.SERVICE_UPDATE, max_version=(2, 52)),
    Route("/os-services/{service_id}", "PUT", update,
          rules.SERVICES % "update", query=ANY_QUERY,
          body=schemas.SERVICE_UPDATE, min_version=(2, 53)),
    Route("/os-services/{service_id}", "DELETE", delete,
          rules.SERVICES % "delete", query=ANY_QUERY),
)
