"""Quota sets: readers see their project's, admins change them.

The target is the project named in the URL.
"""

from nova.policies import base

POLICY_ROOT = "os_compute_api:os-quota-sets:%s"
_PATH = "/os-quota-sets/{tenant_id}"

RULES = [
    base.rule(POLICY_ROOT % "update", base.ADMIN,
              "Update the quotas of a project (or of a user in it).",
              [("PUT", _PATH)]),
    base.rule(POLICY_ROOT % "defaults", base.ANY,
              "List the default quotas.", [("GET", _PATH + "/defaults")]),
    base.rule(POLICY_ROOT % "show", base.PROJECT_READER_OR_ADMIN,
              "Show the quotas of a project.", [("GET", _PATH)]),
    base.rule(POLICY_ROOT % "delete", base.ADMIN,
              "Revert the quotas of a project (or user) to the defaults.",
              [("DELETE", _PATH)]),
    base.rule(POLICY_ROOT % "detail", base.PROJECT_READER_OR_ADMIN,
              "Show the quotas of a project with their usage.",
              [("GET", _PATH + "/detail")]),
]
