"""/os-quota-sets/{project_id}: a project's limits (or a user's in it with
``?user_id=``), with usage (detail), the defaults, update and revert.

The policy target is the project of the URL: readers of a project see
its quotas, admins change them.
"""

from nova.api import errors
from nova.api.compute import identity
from nova.api.compute.common import ANY_QUERY
from nova.api.compute.router import Result, Route
from nova.api.compute.schemas import quotas as schemas
from nova.api.compute.schemas import types
from nova.api.compute.views import quotas as views
from nova.compute import quota_limits as limit_service
from nova.compute import quotas as service
from nova.policies import quota_sets as rules

HONOURED = {"os-quota-sets": {"2.36", "2.57", "2.75", "2.102"}}


def _user(req):
    """``user_id`` as upstream reads it: the first value."""
    values = req.query.get("user_id")
    return values[0] if values else None


def _services(req):
    return req.app.backends


def _authorize(req, project_id, action):
    req.authorize({"project_id": project_id}, rule=rules.POLICY_ROOT % action)


def show(req, project_id):
    _authorize(req, project_id, "show")
    user_id = _user(req)
    services = _services(req)
    with services.db.reader() as session:
        limits = service.user_limits(session, services.conf, project_id,
                                     user_id)
    return views.quota_set(req, project_id, limits)


def detail(req, project_id):
    _authorize(req, project_id, "detail")
    user_id = _user(req)
    services = _services(req)
    conf = services.conf
    with services.db.reader() as session:
        limits = service.user_limits(session, conf, project_id, user_id)
        used = service.usages(session, project_id, user_id)
    reserved = 0
    if not service.enforced(conf):
        used, reserved = dict.fromkeys(used, -1), -1
    return views.quota_set(req, project_id, limits, used, reserved)


def defaults(req, project_id):
    _authorize(req, project_id, "defaults")
    services = _services(req)
    with services.db.reader() as session:
        limits = service.defaults(session, services.conf)
    return views.quota_set(req, project_id, limits)


def limit_values(body):
    """{resource: int} of an update body (without 'force'), range-checked
    also for values given as strings."""
    values = {}
    for resource, raw in body.items():
        if resource == "force":
            continue
        value = int(raw)
        if value < -1:
            raise errors.BadRequest(
                f"Quota limit {value} for {resource} must be -1 or greater.")
        if value > types.MAX_INT:
            raise errors.BadRequest(
                f"Quota limit {value} for {resource} must be less than or "
                f"equal to {types.MAX_INT}.")
        values[resource] = value
    return values


def update(req, project_id):
    _authorize(req, project_id, "update")
    user_id = _user(req)
    identity.verify_project(req, project_id)
    body = req.json["quota_set"]
    force = types.to_bool(body.get("force", False))
    values = limit_values(body)
    services = _services(req)
    conf = services.conf
    with services.db.writer() as session:
        limit_service.update(session, conf, project_id, user_id, values, force)
        limits = service.user_limits(session, conf, project_id, user_id)
    return views.quota_set(req, None, limits)


def delete(req, project_id):
    _authorize(req, project_id, "delete")
    identity.verify_project(req, project_id)
    with _services(req).db.writer() as session:
        limit_service.delete(session, project_id, _user(req))
    return Result(202)


_PATH = "/os-quota-sets/{project_id}"
ROUTES = (
    Route(_PATH, "GET", show, rules.POLICY_ROOT % "show",
          query=schemas.QUOTA_SET_QUERY, check_first=False),
    Route(_PATH, "PUT", update, rules.POLICY_ROOT % "update",
          query=schemas.QUOTA_SET_QUERY, body=schemas.QUOTA_SET_UPDATE,
          check_first=False),
    Route(_PATH, "DELETE", delete, rules.POLICY_ROOT % "delete",
          query=schemas.QUOTA_SET_QUERY, check_first=False),
    Route(_PATH + "/detail", "GET", detail, rules.POLICY_ROOT % "detail",
          query=schemas.QUOTA_SET_QUERY, check_first=False),
    Route(_PATH + "/defaults", "GET", defaults,
          rules.POLICY_ROOT % "defaults", query=ANY_QUERY,
          check_first=False),
)
