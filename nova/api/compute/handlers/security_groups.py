"""/os-security-groups and /os-security-group-rules: the proxies of
Neutron's security groups (deprecated; until 2.35, 404 from 2.36),
served when [neutron] is configured (``nova.compute.neutron_security_groups``);
without it they are not served (404), as before.
"""

from nova.api.compute.handlers import neutron_common as neutron
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import security_groups as schemas
from nova.compute import neutron_security_groups as service
from nova.policies import security_groups as rules

HONOURED = {"os-security-groups": {"2.36"},
            "os-security-group-rules": {"2.36"}}

_MAX = (2, 35)
_P = rules.SECURITY_GROUPS


def _limited(req, items):
    """Upstream's ``common.limited``: offset and limit of the query."""
    def first(name):
        values = req.query.get(name)
        return int(values[0]) if values else None
    offset = first("offset") or 0
    limit = first("limit")
    items = items[offset:]
    return items[:limit] if limit else items


def index(req):
    client = neutron.required(req)
    all_projects = "all_tenants" in req.query and req.can("context_is_admin")
    groups = service.list_groups(client, req.context.project_id,
                                 all_projects)
    return {"security_groups": _limited(req, groups)}


def show(req, security_group_id):
    group = service.show_group(neutron.required(req), security_group_id)
    return {"security_group": group}


def create(req):
    client = neutron.required(req)
    body = req.json["security_group"]
    group = service.create_group(client, body["name"], body["description"])
    return {"security_group": group}


def update(req, security_group_id):
    client = neutron.required(req)
    body = req.json["security_group"]
    group = service.update_group(client, security_group_id, body["name"],
                                 body["description"])
    return {"security_group": group}


def delete(req, security_group_id):
    service.delete_group(neutron.required(req), security_group_id)
    return Result(202)


def rule_create(req):
    client = neutron.required(req)
    rule = service.create_rule(client, req.json["security_group_rule"])
    return {"security_group_rule": rule}


def rule_delete(req, security_group_rule_id):
    service.delete_rule(neutron.required(req), security_group_rule_id)
    return Result(202)


_GROUP = "/os-security-groups/{security_group_id}"
ROUTES = (
    Route("/os-security-groups", "GET", index, _P % "get",
          query=schemas.INDEX_QUERY, max_version=_MAX),
    Route("/os-security-groups", "POST", create, _P % "create",
          query=schemas.QUERY, body=schemas.GROUP, max_version=_MAX),
    Route(_GROUP, "GET", show, _P % "show", query=schemas.QUERY,
          max_version=_MAX),
    Route(_GROUP, "PUT", update, _P % "update", query=schemas.QUERY,
          body=schemas.GROUP, max_version=_MAX),
    Route(_GROUP, "DELETE", delete, _P % "delete", query=schemas.QUERY,
          max_version=_MAX),
    Route("/os-security-group-rules", "POST", rule_create,
          _P % "rule:create", query=schemas.QUERY, body=schemas.RULE,
          max_version=_MAX),
    Route("/os-security-group-rules/{security_group_rule_id}", "DELETE",
          rule_delete, _P % "rule:delete", query=schemas.QUERY,
          max_version=_MAX),
)
