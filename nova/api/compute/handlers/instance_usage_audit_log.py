"""/os-instance_usage_audit_log: the usage audit of the last completed
period (admin).

``GET /os-instance_usage_audit_log`` reports the period completed last
before now, ``GET /os-instance_usage_audit_log/{before_timestamp}`` the one
completed last before that time (``YYYY-MM-DD HH:MM:SS``, optionally with
``.ffffff``; anything else is 400 "Invalid timestamp for date ..."). The
period is ``[DEFAULT] instance_usage_audit_period``; no audit task runs
here, so every compute host is reported as not having run
(``nova.compute.usage_audit``).
"""

import datetime

from nova.api import errors
from nova.api.compute.common import SHOW_QUERY
from nova.api.compute.handlers.services import synced_db
from nova.api.compute.router import Route
from nova.compute import usage_audit
from nova.policies import hosts as rules

HONOURED = {"os-instance_usage_audit_log": {"2.102"}}


def _view(log):
    return {
        "hosts_not_run": list(log.not_run),
        "log": log.log,
        "num_hosts": len(log.hosts),
        "num_hosts_done": len(log.done),
        "num_hosts_not_run": len(log.not_run),
        "num_hosts_running": len(log.running),
        "overall_status": log.overall_status,
        "period_beginning": str(log.period_beginning),
        "period_ending": str(log.period_ending),
        "total_errors": log.total_errors,
        "total_instances": log.total_instances,
    }


def _report(req, before=None):
    unit = req.app.backends.conf.instance_usage_audit_period
    with synced_db(req).reader() as session:
        return _view(usage_audit.audit_log(session, unit, before))


def index(req):
    return {"instance_usage_audit_logs": _report(req)}


def _timestamp(text):
    layout = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    try:
        return datetime.datetime.strptime(text, layout)
    except ValueError:
        raise errors.BadRequest(
            f"Invalid timestamp for date {text}") from None


def show(req, before_timestamp):
    before = _timestamp(before_timestamp)
    return {"instance_usage_audit_log": _report(req, before)}


ROUTES = (
    Route("/os-instance_usage_audit_log", "GET", index,
          rules.AUDIT_LOG % "list", query=SHOW_QUERY),
    Route("/os-instance_usage_audit_log/{before_timestamp}", "GET", show,
          rules.AUDIT_LOG % "show", query=SHOW_QUERY),
)
