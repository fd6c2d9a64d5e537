"""POST /os-server-external-events: Neutron, Cinder, Ironic and Cyborg
tell the compute API about a server's ports, volumes, power and
accelerators (a service API: the service role or an admin).

Each event comes back with a ``code`` (200 accepted, 400 an event that
needs a ``tag`` without one, 404 an unknown server, 422 a server with no
host) and a ``status`` ("completed" when accepted, else "failed"); the
answer is 200 when every event was accepted, else 207 (also when none
was: upstream's 404 for that case was a bug, fixed as bug 1855752). What
each event does is ``nova.compute.external_events``.
"""

import logging

from nova import exception
from nova.api.compute.handlers import neutron_common
from nova.api.compute.handlers.server_common import (
    caller,
    compute_of,
    db_of,
    sweep,
)
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import server_external_events as schemas
from nova.compute import external_events as service
from nova.compute import server_ports
from nova.policies import server_external_events as rules

LOG = logging.getLogger(__name__)

HONOURED = {
    "os-server-external-events": {
        "2.51", "2.76", "2.82", "2.93",
        "2.102",  # no query schema here: nothing to refuse (as upstream)
    },
}


def create(req):
    given = req.json["events"]
    events = [service.Event(e["server_uuid"], e["name"], e.get("tag"),
                            e.get("status") or "completed")
              for e in given]
    compute = compute_of(req)
    with db_of(req).writer() as session:
        sweep(req, session)  # the periodic work, as on every write
        codes = service.deliver(session, events, caller(req),
                                compute.driver, compute.network)
    if neutron_common.enabled(req):
        _refresh(req, [e.server_uuid for e, code in zip(
            events, codes, strict=True) if code == service.ACCEPTED
            and e.name == service.NETWORK_CHANGED])
    answered = []
    for event, code in zip(given, codes, strict=True):
        # The event as sent (its tag too), with its outcome: a "status"
        # sent is replaced, as upstream.
        answered.append({**event, "status": "completed"
                         if code == service.ACCEPTED else "failed",
                         "code": code})
    status = 200 if all(c == service.ACCEPTED for c in codes) else 207
    return Result(status, {"events": answered})


def _refresh(req, server_uuids):
    """network-changed: the servers' caches from Neutron, after the
    events' transaction (a failure is logged: the codes are given)."""
    for server_uuid in dict.fromkeys(server_uuids):
        try:
            server_ports.refresh(db_of(req), neutron_common.as_service(req),
                                 server_uuid)
        except exception.NovaError as exc:
            LOG.warning("Could not refresh the ports of server %s: %s",
                        server_uuid, exc.message)


ROUTES = (
    Route("/os-server-external-events", "POST", create,
          rules.EVENTS % "create", query=schemas.QUERY,
          body=schemas.CREATE),
)
