"""/os-floating-ips and /os-floating-ip-pools: the proxies of Neutron's
floating IPs and external networks (deprecated; until 2.35, 404 from
2.36), served when [neutron] is configured
(``nova.compute.neutron_floating_ips``); without it, not served (404).
The addFloatingIp/removeFloatingIp actions are in server_actions.
"""

from nova.api.compute.handlers import neutron_common as neutron
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import floating_ips as schemas
from nova.compute import neutron_floating_ips as service
from nova.policies import floating_ips as rules

HONOURED = {"os-floating-ips": {"2.36"},
            "os-floating-ip-pools": {"2.36"},
            # the actions end at 2.43 (server_actions' table)
            "servers/action:addFloatingIp": {"2.44"},
            "servers/action:removeFloatingIp": {"2.44"}}

_MAX = (2, 35)
_P = rules.FLOATING_IPS


def pools(req):
    return {"floating_ip_pools": service.pools(neutron.required(req))}


def index(req):
    client = neutron.required(req)
    return {"floating_ips": service.list_floating(client,
                                                  req.context.project_id)}


def show(req, floating_ip_id):
    client = neutron.required(req)
    return {"floating_ip": service.show_floating(client, floating_ip_id)}


def create(req):
    client = neutron.required(req)
    body = req.json if isinstance(req.json, dict) else {}
    pool = body.get("pool")
    default = req.app.backends.conf.neutron.default_floating_pool
    return {"floating_ip": service.allocate(client, pool, default)}


def delete(req, floating_ip_id):
    client = neutron.required(req)
    released = service.release(client, floating_ip_id)
    server_id = service.server_of(client, released)
    if server_id:
        neutron.addresses_changed(req, server_id)
    return Result(202)


_IP = "/os-floating-ips/{floating_ip_id}"
ROUTES = (
    Route("/os-floating-ip-pools", "GET", pools, rules.POOLS,
          query=schemas.QUERY, max_version=_MAX),
    Route("/os-floating-ips", "GET", index, _P % "list",
          query=schemas.QUERY, max_version=_MAX),
    Route("/os-floating-ips", "POST", create, _P % "create",
          query=schemas.QUERY, body=schemas.CREATE, max_version=_MAX),
    Route(_IP, "GET", show, _P % "show", query=schemas.QUERY,
          max_version=_MAX),
    Route(_IP, "DELETE", delete, _P % "delete", query=schemas.QUERY,
          max_version=_MAX),
)
