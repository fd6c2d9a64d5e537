"""What the handlers share when ports are Neutron's (``[neutron]``)."""

from nova.clients.neutron import Neutron
from nova.conf import neutron as neutron_conf


def enabled(req):
    """Whether networking goes to Neutron in this deployment."""
    return neutron_conf.enabled(req.app.backends.conf)


def as_caller(req):
    """Neutron as the caller (its token, plus a service token)."""
    return Neutron.for_user(req.app.backends.service_auth, req.context)


def as_service(req):
    """Neutron with ``[neutron]``'s own credentials."""
    return Neutron.for_service(req.app.backends.service_auth)


def for_release(req):
    """Neutron for deleting the ports of a server the caller deletes or
    detaches from: as upstream, the caller's token with a service token
    (Neutron 29's policy lets a member delete a ``compute:*`` port only
    with one); ``[neutron]``'s own credentials when the request has no
    Keystone token or no service token is configured."""
    if req.app.backends.service_auth.with_service_token(req.context):
        return as_caller(req)
    return as_service(req)


def required(req):
    """Neutron as the caller, for a proxy served only with [neutron]:
    without it the proxy is not served (404)."""
    from nova.api import errors

    if not enabled(req):
        raise errors.NotFound("The resource could not be found.")
    return as_caller(req)


def addresses_changed(req, server_id):
    """A floating IP moved on or off the server: its cached addresses
    are read again from Neutron (what network-changed does)."""
    from nova.compute import server_ports

    server_ports.refresh(req.app.backends.db, as_service(req), server_id)
