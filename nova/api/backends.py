"""What the apps of one process share: the configuration and what it builds.

``Backends`` holds the ``ConfigOpts``, the store (``nova.db.api.Database``,
one connection pool) and, built on first use, the compute driver, the
flat network and the clients of other OpenStack services. Paste builds
several apps from one paste file (the compute router, the health check,
the metadata app); they must share one ``Backends`` per configuration,
so it rides on the ``ConfigOpts`` object it was built from (``for_conf``).
"""

_ATTR = "_nova_backends"


class Backends:
    def __init__(self, conf):
        from nova.db import api as db_api

        self.conf = conf
        self.db = db_api.Database(conf.database)
        self._compute = None
        self._service_auth = None

    @property
    def service_auth(self):
        """Sessions and adapters for Glance, Neutron and Keystone
        (``nova.clients.auth.ServiceAuth``, built on first use)."""
        if self._service_auth is None:
            from nova.clients import auth

            self._service_auth = auth.ServiceAuth(self.conf)
        return self._service_auth

    @property
    def compute(self):
        """The compute driver and the flat network (built on first use)."""
        if self._compute is None:
            self._compute = Compute(self.conf, self)
        return self._compute


class Compute:
    def __init__(self, conf, backends=None):
        from nova.compute import driver, network, port_cache
        from nova.conf import neutron

        self.driver = driver.load(conf)
        self._backends = backends
        self._images = None
        # With [neutron], ports are Neutron's and addresses come from the
        # servers' network info cache; a server's release (a reclaim, a
        # failed build) gives them back with [neutron]'s credentials, as
        # upstream's periodic tasks and build failures do.
        # A move's ports follow the server with them too
        # (``port_moves``).
        self.network = port_cache.PortNetwork(
            self._release_ports, self._follow_ports) \
            if neutron.enabled(conf) else network.FlatNetwork(conf)

    @property
    def images(self):
        """The image service (``nova.compute.image_api.Images``): Glance
        when nova.conf has a ``[glance]`` section, else the local
        catalogue."""
        if self._images is None:
            import nova.conf.glance

            backends = self._backends
            if nova.conf.glance.enabled(backends.conf):
                from nova.api.glance_images import GlanceImages
                from nova.clients.glance import GlanceClient

                self._images = GlanceImages(
                    GlanceClient(backends.service_auth))
            else:
                from nova.compute.images import LocalImages

                self._images = LocalImages(backends.db)
        return self._images

    def _release_ports(self, ports):
        from nova.clients.neutron import Neutron
        from nova.compute import neutron_ports

        neutron_ports.deallocate(
            Neutron.for_service(self._backends.service_auth), ports)


    def _follow_ports(self, move):
        from nova.clients.neutron import Neutron
        from nova.compute import port_moves

        backends = self._backends
        port_moves.follow(backends.db,
                          Neutron.for_service(backends.service_auth),
                          self.driver, backends.conf, move)


def for_conf(conf):
    """The ``Backends`` of ``conf``, made on the first call."""
    backends = conf.__dict__.get(_ATTR)
    if backends is None:
        backends = Backends(conf)
        conf.__dict__[_ATTR] = backends
    return backends
