"""oslo.config option groups, one module a group.

Options are registered on a ``ConfigOpts`` object that the caller builds
(``nova.config_files.build_conf`` at start-up, tests with their own);
nothing here
holds a global configuration.
"""

from nova.conf import (
    api,
    compute,
    consoles,
    database,
    default,
    glance,
    keystone,
    metadata,
    network,
    neutron,
    oslo_middleware,
    quota,
    scheduler,
    service_user,
    wsgi,
)

_MODULES = (default, api, wsgi, database, oslo_middleware, compute,
            network, metadata, quota, scheduler, consoles, glance, neutron,
            keystone, service_user)
# Groups with keystoneauth's options: registered once the files are parsed,
# and only when they are used (keystoneauth is not imported otherwise).
_SERVICE_MODULES = (glance, neutron, keystone, service_user)


def register_opts(conf):
    for module in _MODULES:
        module.register_opts(conf)


def register_service_opts(conf, force=False):
    """After parsing: keystoneauth's options of the groups in use (all of
    them with ``force``)."""
    for module in _SERVICE_MODULES:
        module.register_service_opts(conf, force=force)


def list_opts():
    """Entry point for ``oslo-config-generator`` (namespace ``nova``)."""
    opts = []
    for module in _MODULES:
        opts.extend(module.list_opts())
    return opts
