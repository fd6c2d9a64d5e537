"""GET /servers/{id}/os-security-groups: the security groups of a
server's ports (``nova.compute.security_groups``, or Neutron's with
[neutron]: ``nova.compute.neutron_security_groups``), sorted by project and
name as upstream; none for a server without ports."""

from nova.api.compute.common import SHOW_QUERY
from nova.api.compute.handlers import neutron_common as neutron
from nova.api.compute.handlers.server_common import compute_of, db_of, load
from nova.api.compute.router import Route
from nova.compute import neutron_security_groups as neutron_groups
from nova.compute import security_groups as service
from nova.policies import security_groups as rules

HONOURED = {"servers/os-security-groups": {"2.102"}}


def index(req, server_id):
    if neutron.enabled(req):
        with db_of(req).reader() as session:
            instance = load(req, session, server_id,
                            rule=rules.SECURITY_GROUPS % "list")
            uuid = instance.uuid
        # Neutron is asked outside the transaction.
        return {"security_groups": neutron_groups.of_server(
            neutron.as_caller(req), uuid)}
    with db_of(req).reader() as session:
        instance = load(req, session, server_id,
                        rule=rules.SECURITY_GROUPS % "list")
        groups = service.of_server(session, instance,
                                   compute_of(req).network)
    return {"security_groups": sorted(
        groups, key=lambda g: (g["tenant_id"], g["name"]))}


ROUTES = (
    Route("/servers/{server_id}/os-security-groups", "GET", index,
          rules.SECURITY_GROUPS % "list", query=SHOW_QUERY,
          check_first=False),
)
