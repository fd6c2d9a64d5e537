"""GET /os-console-auth-tokens/{console_token}: what a console proxy
(nova-novncproxy, nova-spicehtml5proxy, nova-serialproxy...) asks with
the token of a client's URL: the server and the host and port to connect
to (admin, ``os_compute_api:os-console-auth-tokens``).

As upstream: before 2.31 the API served RDP consoles only (gone with the
Hyper-V driver), so it is 400 for everyone, before policy; an unknown or
expired token is 404 "Token not found"; from 2.99 ``tls_port`` is shown
for spice-direct consoles and unknown query parameters are 400. The
token is in the path: it is never logged (nova.api.middleware.faultwrap
masks it) and never shown in a response.
"""

from nova.api import errors
from nova.api.compute.handlers.server_common import db_of
from nova.api.compute.router import Route
from nova.api.compute.schemas import consoles as schemas
from nova.api.compute.views import consoles as views
from nova.compute import consoles as service
from nova.policies import console_auth_tokens as rules

HONOURED = {"os-console-auth-tokens": {
    "2.31",   # every console type (until then RDP only: 400 here)
    "2.99",   # tls_port; unknown query parameters refused
    "2.102",  # unknown query parameters refused (already from 2.99)
}}

# webob's HTTPBadRequest with no explanation, as upstream's fault shows it.
BAD_REQUEST = ("The server could not comply with the request since it is "
               "either malformed or otherwise incorrect.")


def show(req, console_token):
    if not req.is_version("2.31"):
        raise errors.BadRequest(BAD_REQUEST)
    req.authorize()
    with db_of(req).reader() as session:
        token = service.validate(session, console_token)
        return views.connect_info(token, req.is_version("2.99"))


ROUTES = (
    Route("/os-console-auth-tokens/{console_token}", "GET", show,
          rules.CONSOLE_AUTH_TOKENS, query=schemas.TOKEN_QUERY,
          check_first=False),
)
