"""/os-availability-zone: the zones of the compute hosts.

A zone is available while one of its hosts is enabled; a zone whose hosts
are all disabled is listed as not available. The detail (admin) also shows
the internal zone of the API's own services (with no hosts, as upstream,
which never lists API services) and each enabled host's nova-compute.
"""

from nova.api.compute.common import SHOW_QUERY
from nova.api.compute.handlers.services import configured, synced_db
from nova.api.compute.router import Route
from nova.compute import hosts as service
from nova.policies import admin as rules

HONOURED = {"os-availability-zone": {"2.102"}}


def _zone(name, available, hosts=None):
    return {"zoneName": name, "zoneState": {"available": available},
            "hosts": hosts}


def index(req):
    with synced_db(req).reader() as session:
        available, unavailable = service.zones(session)
    return {"availabilityZoneInfo":
            [_zone(z, True) for z in available
             if z != service.INTERNAL_ZONE]
            + [_zone(z, False) for z in unavailable
               if z != service.INTERNAL_ZONE]}


def detail(req):
    with synced_db(req).reader() as session:
        available, unavailable = service.zones(session)
        rows = service.list_hosts(session)
    hosts_conf = configured(req)
    by_zone = {}
    for row, zone in rows:
        if row.disabled:
            continue  # upstream lists the enabled services only
        by_zone.setdefault(zone, {})[row.host] = {service.BINARY: {
            "available": service.is_up(row, hosts_conf),
            "active": not row.disabled,
            "updated_at": service.timestamp(row.updated_at or row.created_at),
        }}
    return {"availabilityZoneInfo":
            [_zone(z, True, by_zone.get(z, {})) for z in available]
            + [_zone(z, False) for z in unavailable]}


ROUTES = (
    Route("/os-availability-zone", "GET", index, rules.ZONES % "list",
          query=SHOW_QUERY),
    Route("/os-availability-zone/detail", "GET", detail,
          rules.ZONES % "detail", query=SHOW_QUERY),
)
