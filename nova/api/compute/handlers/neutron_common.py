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
