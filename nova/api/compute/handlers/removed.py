"""APIs upstream removed but still routes: 410 Gone at every microversion,
whatever the body and whoever asks (upstream checks no policy there).

They went with nova-network (fixed IPs, floating IP DNS and bulk, fping,
default security group rules, virtual interfaces, tenant network create
and delete), nova-cert, cloudpipe, cells v1, the XenAPI agents and the
nova-console service. A client that still calls one learns it is gone
rather than that it never existed (404). The os-networks ones are in
handlers/networks.py, the resetNetwork action in the action table.
"""

from nova.api import errors
from nova.api.compute.router import Route
from nova.api.compute.schemas.networks import ANY, QUERY

HONOURED: dict[str, set[str]] = {}

# webob's HTTPGone, as upstream's fault shows it.
GONE = ("This resource is no longer available.  No forwarding address is "
        "given.")


def gone(req, **_path):
    raise errors.Gone(GONE)


# Server actions upstream removed: 410 up to the microversion given (None:
# every one), before the server is looked up or a policy checked.
GONE_ACTIONS = {
    "resetNetwork": None,         # nova-network
    "os-getRDPConsole": (2, 5),   # Hyper-V; the console actions end at 2.5
}


def check_action(name, version):
    """Raise upstream's answer when ``name`` is a removed action."""
    if name not in GONE_ACTIONS:
        return
    until = GONE_ACTIONS[name]
    if until is not None and version > until:
        raise errors.NotFound("The resource could not be found.")
    raise errors.Gone(GONE)


_REMOVED = {
    "/os-agents": ("GET", "POST"),
    "/os-agents/{id}": ("PUT", "DELETE"),
    "/os-cells": ("GET", "POST"),
    "/os-cells/capacities": ("GET",),
    "/os-cells/detail": ("GET",),
    "/os-cells/info": ("GET",),
    "/os-cells/sync_instances": ("POST",),
    "/os-cells/{id}": ("GET", "PUT", "DELETE"),
    "/os-cells/{id}/capacities": ("GET",),
    "/os-certificates": ("POST",),
    "/os-certificates/{id}": ("GET",),
    "/os-cloudpipe": ("GET", "POST"),
    "/os-cloudpipe/{id}": ("PUT",),
    "/os-fixed-ips/{id}": ("GET",),
    "/os-fixed-ips/{id}/action": ("POST",),
    "/os-floating-ip-dns": ("GET",),
    "/os-floating-ip-dns/{id}": ("PUT", "DELETE"),
    "/os-floating-ip-dns/{domain_id}/entries/{id}": ("GET", "PUT", "DELETE"),
    "/os-floating-ips-bulk": ("GET", "POST"),
    "/os-floating-ips-bulk/{id}": ("GET", "PUT"),
    "/os-fping": ("GET",),
    "/os-fping/{id}": ("GET",),
    "/os-security-group-default-rules": ("GET", "POST"),
    "/os-security-group-default-rules/{id}": ("GET", "DELETE"),
    "/os-tenant-networks": ("POST",),
    "/os-tenant-networks/{network_id}": ("DELETE",),
    "/servers/{server_id}/consoles": ("GET", "POST"),
    "/servers/{server_id}/consoles/{id}": ("GET", "DELETE"),
    "/servers/{server_id}/os-virtual-interfaces": ("GET",),
}

ROUTES = tuple(
    Route(path, method, gone, query=QUERY,
          body=ANY if method in ("POST", "PUT") else None, gone=True)
    for path, methods in _REMOVED.items() for method in methods)
