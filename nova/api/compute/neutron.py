"""The Neutron client of a request, for the proxies and actions that go
to Neutron when ``[neutron]`` is configured (``nova.conf.neutron``)."""

from nova.api import errors
from nova.clients import neutron as neutron_client
from nova.conf import neutron as neutron_conf


def enabled(req):
    return neutron_conf.enabled(req.app.backends.conf)


def client(req):
    """Neutron, called as the caller."""
    backends = req.app.backends
    return neutron_client.Neutron.for_user(backends.service_auth,
                                           req.context)


def required(req):
    """The client; without [neutron] the proxy is not served: 404."""
    if not enabled(req):
        raise errors.NotFound("The resource could not be found.")
    return client(req)


def addresses_changed(req, server_id):
    """A floating IP moved on or off the server: read its ports again
    into the cached addresses its views show (the port cache of
    ``nova.compute.server_ports``, when this tree has it)."""
    import importlib

    try:
        server_ports = importlib.import_module("nova.compute.server_ports")
    except ModuleNotFoundError:
        return
    backends = req.app.backends
    server_ports.refresh(backends.db, neutron_client.Neutron.for_service(
        backends.service_auth), server_id)
