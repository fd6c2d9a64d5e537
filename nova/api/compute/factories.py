"""Paste factories of the compute API's apps."""

from nova import exception, loading, policy
from nova.api import backends
from nova.api.compute import router, routes, versions


def api_factory(global_conf, **local_conf):
    conf = loading.loading_conf()
    return router.ComputeApp(
        routes.ROUTES, routes.MAX_VERSION,
        backends=backends.for_conf(conf),
        enforcer=policy.get_enforcer(conf),
        link_prefix=conf.api.compute_link_prefix,
        max_limit=conf.api.max_limit)


def versions_factory(global_conf, **local_conf):
    which = local_conf.get("document", "root")
    if which not in ("root", "v2", "v2.1"):
        raise exception.StartupError(
            f"versions app: document = {which!r}; expected root, v2 or v2.1")
    conf = loading.loading_conf()
    return versions.VersionsApp(which, routes.MAX_VERSION,
                                conf.api.compute_link_prefix)
