"""/servers/{id}/os-server-password: what the guest posted to the metadata
API's ``password`` (encrypted with the server's key by the guest)."""

from nova.api.compute.common import ANY_QUERY, SHOW_QUERY
from nova.api.compute.handlers.server_common import load
from nova.api.compute.router import Result, Route
from nova.db.models import utcnow
from nova.policies import servers as rules

HONOURED = {"servers/os-server-password": set()}


def show(req, server_id):
    with req.app.backends.db.reader() as session:
        instance = load(req, session, server_id)
        return {"password": instance.password or ""}


def clear(req, server_id):
    with req.app.backends.db.writer() as session:
        instance = load(req, session, server_id, for_update=True)
        instance.password = None
        instance.updated_at = utcnow()
    return Result(204)


ROUTES = (
    Route("/servers/{server_id}/os-server-password", "GET", show,
          rules.PASSWORD % "show", query=SHOW_QUERY, check_first=False),
    Route("/servers/{server_id}/os-server-password", "DELETE", clear,
          rules.PASSWORD % "clear", query=ANY_QUERY, check_first=False),
)
