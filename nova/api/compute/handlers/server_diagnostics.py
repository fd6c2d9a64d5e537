"""/servers/{id}/diagnostics: what the driver reports of a running server
(admin, ``os_compute_api:os-server-diagnostics``).

Upstream's free-form dict before 2.48, the standardised document from 2.48
(``nova.api.compute.views.server_diagnostics``); 409 when the server has
no host ("Instance <uuid> is not ready") or is not running ("Cannot
'get_diagnostics' instance <uuid> while it is in power state shutdown").
"""

from nova.api.compute.common import SHOW_QUERY
from nova.api.compute.handlers.server_common import compute_of, db_of, load
from nova.api.compute.router import Route
from nova.api.compute.views import server_diagnostics as views
from nova.compute import diagnostics as service
from nova.policies import server_actions as rules

HONOURED = {"servers/diagnostics": {"2.48", "2.102"}}


def index(req, server_id):
    compute = compute_of(req)
    with db_of(req).reader() as session:
        instance = load(req, session, server_id, rule=rules.DIAGNOSTICS)
        fixed = compute.network.addresses(session, [instance.uuid])
        macs = [ip.mac_address for ip in fixed[instance.uuid]]
        found = service.get(instance, compute.driver, macs)
    if req.is_version("2.48"):
        return views.standard(found)
    return views.legacy(found)


ROUTES = (
    Route("/servers/{server_id}/diagnostics", "GET", index,
          rules.DIAGNOSTICS, query=SHOW_QUERY, check_first=False),
)
