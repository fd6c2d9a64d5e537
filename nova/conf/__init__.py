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
    metadata,
    network,
    oslo_middleware,
    quota,
    scheduler,
    wsgi,
)

_MODULES = (default, api, wsgi, database, oslo_middleware, compute,
            network, metadata, quota, scheduler, consoles)


def register_opts(conf):
    for module in _MODULES:
        module.register_opts(conf)


def list_opts():
    """Entry point for ``oslo-config-generator`` (namespace ``nova``)."""
    opts = []
    for module in _MODULES:
        opts.extend(module.list_opts())
    return opts
