"""/os-server-groups: groups of servers placed by a policy (affinity,
anti-affinity and their soft variants), and their members.

Another project's group is 404 (admins see every project's); a server
joins a group with the ``group`` scheduler hint of its create request.
"""

from nova.api import errors
from nova.api.compute.common import ANY_QUERY, SHOW_QUERY
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import server_groups as schemas
from nova.api.compute.schemas import types
from nova.api.compute.views import server_groups as views
from nova.compute import quotas
from nova.compute import server_groups as service
from nova.policies import server_groups as rules

HONOURED = {"os-server-groups": {"2.13", "2.15", "2.64", "2.75", "2.102"}}


def _services(req):
    return req.app.backends


def _load(req, session, group_id, action):
    is_admin = req.can("context_is_admin")
    group = service.get(session, group_id, project_id=None if is_admin
                        else req.context.project_id)
    req.authorize({"project_id": group.project_id},
                  rule=rules.POLICY_ROOT % action)
    return group


def show(req, group_id):
    with _services(req).db.reader() as session:
        group = _load(req, session, group_id, "show")
        members = service.members_of(session, [group.id])[group.id]
        return {"server_group": views.group(req, group, members)}


def delete(req, group_id):
    with _services(req).db.writer() as session:
        group = _load(req, session, group_id, "delete")
        service.delete(session, group)
    return Result(204)


def _page(req):
    """(limit, offset) as upstream reads them: at most [api] max_limit."""
    def number(name, default):
        values = req.query.get(name)
        return int(values[-1]) if values else default

    limit = number("limit", 0) or req.app.max_limit
    # An offset past any table still binds on every database (a bigger
    # one would overflow the driver's 64-bit integer): it selects nothing.
    return min(limit, req.app.max_limit), min(number("offset", 0),
                                              types.MAX_INT)


def index(req):
    req.authorize(rule=rules.POLICY_ROOT % "index")
    project_id = req.context.project_id
    # Upstream: a non-admin asking for all projects gets their own.
    if "all_projects" in req.query and req.can("context_is_admin"):
        req.authorize(rule=rules.POLICY_ROOT % "index:all_projects")
        project_id = None
    limit, offset = _page(req)
    with _services(req).db.reader() as session:
        groups = service.list_groups(session, project_id, limit, offset)
        members = service.members_of(session, [g.id for g in groups])
        items = [views.group(req, g, members[g.id]) for g in groups]
    return {"server_groups": items}


def create(req):
    body = req.json["server_group"]
    if req.is_version("2.64"):
        policy = body["policy"]
        group_rules = dict(body.get("rules") or {})
        if "max_server_per_host" in group_rules:
            group_rules["max_server_per_host"] = types.coerce_int(
                group_rules["max_server_per_host"], "max_server_per_host", 1,
                None)
    else:
        policy, group_rules = body["policies"][0], {}
    context = req.context
    services = _services(req)
    with services.db.writer() as session:
        quotas.check_server_groups(session, services.conf,
                                   context.project_id, context.user_id)
        if group_rules and policy != "anti-affinity":
            raise errors.BadRequest(
                "Only anti-affinity policy supports rules.")
        group = service.create(session, name=body["name"], policy=policy,
                               rules=group_rules,
                               project_id=context.project_id,
                               user_id=context.user_id)
        view = views.group(req, group, [])
    return {"server_group": view}


_PATH = "/os-server-groups/{group_id}"
ROUTES = (
    Route("/os-server-groups", "GET", index, rules.POLICY_ROOT % "index",
          query=schemas.INDEX_QUERY, check_first=False),
    Route("/os-server-groups", "POST", create, rules.POLICY_ROOT % "create",
          query=ANY_QUERY, body=schemas.CREATE),
    Route(_PATH, "GET", show, rules.POLICY_ROOT % "show",
          query=SHOW_QUERY, check_first=False),
    Route(_PATH, "DELETE", delete, rules.POLICY_ROOT % "delete",
          query=ANY_QUERY, check_first=False),
)
