"""/os-hosts: the compute hosts, as upstream's deprecated API shows them
(admin; served until 2.42, 404 from 2.43).

The list has the enabled nova-compute services (service "compute", the
host's zone; ``zone`` filters), as upstream, which hides the API's own
services and the disabled ones (there is no scheduler or conductor here).
A host's show has upstream's usage rows: ``(total)``, ``(used_now)``,
``(used_max)`` and one per project. PUT ``status`` enables or disables the
host's nova-compute service, the very state os-services shows and
placement reads; ``maintenance_mode`` and the power actions (GET
``startup``, ``shutdown``, ``reboot``) are the driver's, and the built-in
driver does neither: 501, as upstream answers with a driver that cannot.
An unknown host is 404 "Host '<name>' is not mapped to any cell".
"""

from nova.api.compute.common import last
from nova.api.compute.handlers.services import driver, synced_db
from nova.api.compute.router import Route
from nova.api.compute.schemas import hosts as schemas
from nova.compute import hosts as service
from nova.policies import hosts as rules

HONOURED = {"os-hosts": {"2.43"}}  # gone from 2.43: the routes' max_version

_LAST = (2, 42)


def index(req):
    zone = last(req.query, "zone")  # upstream: an empty zone is no filter
    with synced_db(req).reader() as session:
        rows = service.enabled_services(session, zone or None)
    return {"hosts": [{"host_name": row.host, "service": service.TOPIC,
                       "zone": where} for row, where in rows]}


def show(req, host_name):
    with synced_db(req).reader() as session:
        row, _zone = service.get_service(session, host_name)
        found = service.resources(session, row)
    return {"host": [{"resource": {
        "host": row.host, "project": project, "cpu": cpu,
        "memory_mb": memory_mb, "disk_gb": disk_gb}}
        for project, cpu, memory_mb, disk_gb in found]}


def _enable(value):
    return value.strip().lower() == "enable"


def update(req, host_name):
    body = req.json
    result = {"host": host_name}
    # One transaction: a part the driver refuses (501) leaves nothing
    # changed.
    with synced_db(req).writer() as session:
        if "status" in body:
            result["status"] = service.set_enabled(
                session, host_name, _enable(body["status"]))
        if "maintenance_mode" in body:
            result["maintenance_mode"] = service.set_maintenance(
                session, driver(req), host_name,
                _enable(body["maintenance_mode"]))
    return result


def _power(action):
    def handler(req, host_name):
        with synced_db(req).reader() as session:
            done = service.power_action(session, driver(req), host_name,
                                        action)
        return {"host": host_name, "power_action": done}
    handler.__name__ = action
    return handler


_HOST = "/os-hosts/{host_name}"

ROUTES = (
    Route("/os-hosts", "GET", index, rules.HOSTS % "list",
          query=schemas.HOSTS_QUERY, max_version=_LAST),
    Route(_HOST, "GET", show, rules.HOSTS % "show", query=schemas.ANY_QUERY,
          max_version=_LAST),
    Route(_HOST, "PUT", update, rules.HOSTS % "update",
          query=schemas.ANY_QUERY, body=schemas.HOST_UPDATE,
          max_version=_LAST),
    Route(_HOST + "/startup", "GET", _power("startup"), rules.HOSTS % "start",
          query=schemas.ANY_QUERY, max_version=_LAST),
    Route(_HOST + "/shutdown", "GET", _power("shutdown"),
          rules.HOSTS % "shutdown", query=schemas.ANY_QUERY,
          max_version=_LAST),
    Route(_HOST + "/reboot", "GET", _power("reboot"), rules.HOSTS % "reboot",
          query=schemas.ANY_QUERY, max_version=_LAST),
)
