"""Projects named in a request, checked with Keystone (upstream's
``nova.api.openstack.identity``): only when the API authenticates with
Keystone, since only then are project ids Keystone's."""

from nova.clients import keystone


def verify_project(req, project_id):
    """400 when Keystone says ``project_id`` is no project (see
    ``nova.clients.keystone``); nothing without Keystone auth."""
    backends = req.app.backends
    if backends.conf.api.auth_strategy != "keystone":
        return
    keystone.verify_project(backends.service_auth, req.context, project_id)
