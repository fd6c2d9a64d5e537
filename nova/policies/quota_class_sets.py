"""Quota classes (only 'default' has an effect): admins only."""

from nova.policies import base

POLICY_ROOT = "os_compute_api:os-quota-class-sets:%s"
_PATH = "/os-quota-class-sets/{quota_class}"

RULES = [
    base.rule(POLICY_ROOT % "show", base.ADMIN,
              "List the quotas of a quota class.", [("GET", _PATH)]),
    base.rule(POLICY_ROOT % "update", base.ADMIN,
              "Update the quotas of a quota class.", [("PUT", _PATH)]),
]
