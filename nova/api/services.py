"""What the apps of one process share: the configuration and the store.

Paste builds several apps from one paste file (the router, the health
check); they must share one ``Database`` (one pool) per configuration, so
the services ride on the ``ConfigOpts`` object they were built from.
"""

_ATTR = "_nova_services"


class Services:
    def __init__(self, conf):
        from nova.db import api as db_api

        self.conf = conf
        self.db = db_api.Database(conf.database)
        self._compute = None

    @property
    def compute(self):
        """The compute driver and the flat network (built on first use)."""
        if self._compute is None:
            self._compute = Compute(self.conf)
        return self._compute


class Compute:
    def __init__(self, conf):
        from nova.compute import driver, network

        self.driver = driver.load(conf)
        self.network = network.FlatNetwork(conf)


def for_conf(conf):
    services = conf.__dict__.get(_ATTR)
    if services is None:
        services = Services(conf)
        conf.__dict__[_ATTR] = services
    return services
