"""The compute API's route table, and what its handlers honour.

One entry per (path, method). Each resource's handler module contributes
``ROUTES`` and ``HONOURED`` (the microversions whose changes to that
resource it implements); the advertised maximum microversion follows.
"""

from nova.api import microversions
from nova.api.compute.handlers import (
    aggregates,
    availability_zones,
    console_auth_tokens,
    extensions,
    flavors,
    floating_ips,
    hosts,
    hypervisors,
    image_metadata,
    images,
    instance_actions,
    instance_usage_audit_log,
    interfaces,
    keypairs,
    limits,
    migrations,
    networks,
    quota_classes,
    quota_sets,
    remote_consoles,
    removed,
    security_groups,
    server_actions,
    server_diagnostics,
    server_external_events,
    server_groups,
    server_ips,
    server_list,
    server_metadata,
    server_migrations,
    server_password,
    server_security_groups,
    server_tags,
    servers,
    services,
    usage,
)

_MODULES = (flavors, keypairs, images, image_metadata, server_list,
            servers, server_actions, server_ips, server_metadata,
            server_tags, server_password,
            instance_actions, interfaces, migrations, server_migrations,
            limits, quota_sets, quota_classes, server_groups,
            server_diagnostics, extensions, server_security_groups,
            networks, security_groups, floating_ips, removed)
_ADMIN_MODULES = (services, hypervisors, aggregates, availability_zones,
                  usage, hosts, instance_usage_audit_log,
                  server_external_events)
_MODULES += _ADMIN_MODULES
_MODULES += (remote_consoles, console_auth_tokens)

ROUTES = tuple(route for module in _MODULES for route in module.ROUTES)

HONOURED = {}
for _module in _MODULES:
    for _resource, _versions in _module.HONOURED.items():
        HONOURED.setdefault(_resource, set()).update(_versions)

# Server actions count as resources of their own ("servers/action:NAME").
# A resource served only by gone routes (410 at every version, as
# os-fixed-ips) has no microversion changes left to honour.
IMPLEMENTED = frozenset(
    {route.resource for route in ROUTES if not route.gone}
    | {f"servers/action:{name}" for name in server_actions.ACTIONS})

MAX_VERSION = microversions.compute_max(IMPLEMENTED, HONOURED)
