"""os-hosts (served until 2.42) and os-instance_usage_audit_log:
upstream's rule names and defaults (admin only)."""

from nova.policies import base

HOSTS = "os_compute_api:os-hosts:%s"
AUDIT_LOG = "os_compute_api:os-instance-usage-audit-log:%s"

_HOST = "/os-hosts/{host_name}"
_DEPRECATED = " This API is deprecated in favor of os-hypervisors and " \
    "os-services."

RULES = [
    base.rule(HOSTS % "list", base.ADMIN, "List physical hosts." + _DEPRECATED,
              [("GET", "/os-hosts")]),
    base.rule(HOSTS % "show", base.ADMIN, "Show physical host." + _DEPRECATED,
              [("GET", _HOST)]),
    base.rule(HOSTS % "update", base.ADMIN,
              "Update physical host." + _DEPRECATED, [("PUT", _HOST)]),
    base.rule(HOSTS % "reboot", base.ADMIN,
              "Reboot physical host." + _DEPRECATED,
              [("GET", _HOST + "/reboot")]),
    base.rule(HOSTS % "shutdown", base.ADMIN,
              "Shutdown physical host." + _DEPRECATED,
              [("GET", _HOST + "/shutdown")]),
    base.rule(HOSTS % "start", base.ADMIN,
              "Start physical host." + _DEPRECATED,
              [("GET", _HOST + "/startup")]),
    base.rule(AUDIT_LOG % "list", base.ADMIN, "List all usage audits.",
              [("GET", "/os-instance_usage_audit_log")]),
    base.rule(AUDIT_LOG % "show", base.ADMIN,
              "List all usage audits occurred before a specified time for "
              "all servers on all compute hosts where usage auditing is "
              "configured.",
              [("GET", "/os-instance_usage_audit_log/{before_timestamp}")]),
]
