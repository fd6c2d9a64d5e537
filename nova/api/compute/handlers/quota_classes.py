"""/os-quota-class-sets/{class}: a quota class's limits (admins).

Only the class ``default`` has an effect: its limits replace the
``[quota]`` options as every project's defaults. Another name is stored
and shown, as upstream does, and used by nothing.
"""

from nova.api import errors
from nova.api.compute.common import ANY_QUERY, SHOW_QUERY
from nova.api.compute.handlers import quota_sets
from nova.api.compute.router import Route
from nova.api.compute.schemas import quotas as schemas
from nova.api.compute.views import quotas as views
from nova.compute import quota_limits as limit_service
from nova.compute import quotas as service
from nova.policies import quota_class_sets as rules

# 2.36: nothing changed for classes (their network resources left at 2.50).
HONOURED = {"os-quota-class-sets": {"2.36", "2.50", "2.57", "2.102"}}


def _authorize(req, class_name, action):
    req.authorize({"project_id": req.context.project_id,
                   "quota_class": class_name},
                  rule=rules.POLICY_ROOT % action)


def show(req, class_name):
    _authorize(req, class_name, "show")
    services = req.app.backends
    with services.db.reader() as session:
        limits = service.class_limits(session, services.conf, class_name)
    return views.quota_class_set(req, class_name, limits)


def update(req, class_name):
    _authorize(req, class_name, "update")
    if not 1 <= len(class_name) <= 255:
        raise errors.BadRequest(
            "quota_class_name has a length of more than 255 characters.")
    # 'networks' (accepted before 2.50) is no resource any more: ignored.
    values = quota_sets.limit_values(
        {k: v for k, v in req.json["quota_class_set"].items()
         if k in service.RESOURCES})
    services = req.app.backends
    with services.db.writer() as session:
        limit_service.update_class(session, class_name, values)
        limits = service.class_limits(session, services.conf, class_name)
    return views.quota_class_set(req, None, limits)


_PATH = "/os-quota-class-sets/{class_name}"
ROUTES = (
    Route(_PATH, "GET", show, rules.POLICY_ROOT % "show",
          query=SHOW_QUERY, check_first=False),
    Route(_PATH, "PUT", update, rules.POLICY_ROOT % "update",
          query=ANY_QUERY, body=schemas.QUOTA_CLASS_UPDATE,
          check_first=False),
)
