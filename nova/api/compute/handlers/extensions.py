"""/extensions: upstream's fixed list of extensions (anyone may read it);
404 for an alias not in it."""

from nova.api import errors
from nova.api.compute.common import SHOW_QUERY
from nova.api.compute.router import Route
from nova.api.compute.views import extensions as views
from nova.policies import extensions as rules

HONOURED = {"extensions": {"2.102"}}


def index(req):
    return {"extensions": views.every()}


def show(req, alias):
    found = views.find(alias)
    if found is None:
        raise errors.NotFound()
    return {"extension": found}


ROUTES = (
    Route("/extensions", "GET", index, rules.EXTENSIONS,
          query=SHOW_QUERY),
    Route("/extensions/{alias}", "GET", show, rules.EXTENSIONS,
          query=SHOW_QUERY),
)
