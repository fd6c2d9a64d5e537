"""/limits: the project's absolute limits and what it uses (no rate
limits: ``rate`` is always empty, as upstream since Newton)."""

from nova.api.compute.router import Route
from nova.api.compute.schemas import quotas as schemas
from nova.api.compute.views import quotas as views
from nova.compute import quotas as service
from nova.policies import limits as rules

# 2.36 (network limits gone), 2.39 (maxImageMeta gone), 2.57 (personality
# limits gone), 2.75 (unknown query parameters refused).
HONOURED = {"limits": {"2.36", "2.39", "2.57", "2.75", "2.102"}}


def index(req):
    req.authorize(rule=rules.BASE)
    project_id = req.context.project_id
    if "tenant_id" in req.query:
        project_id = req.query["tenant_id"][-1]
        req.authorize({"project_id": project_id}, rule=rules.OTHER_PROJECT)
    conf = req.app.backends.conf
    with req.app.backends.db.reader() as session:
        limits = service.project_limits(session, conf, project_id)
        used = service.usages(session, project_id)
    if not service.enforced(conf):
        used = dict.fromkeys(used, -1)
    return {"limits": {"rate": [],
                       "absolute": views.absolute(req, limits, used)}}


ROUTES = (
    Route("/limits", "GET", index, rules.BASE, query=schemas.LIMITS_QUERY,
          check_first=False),
)
