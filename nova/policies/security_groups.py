"""Security groups: upstream's rule names and defaults, for a server's
groups and for the os-security-groups and os-security-group-rules
proxies (served when [neutron] is configured, until 2.35)."""

from nova.policies import base

SECURITY_GROUPS = "os_compute_api:os-security-groups:%s"

_GROUPS = "/os-security-groups"
_GROUP = "/os-security-groups/{security_group_id}"

RULES = [
    base.rule(SECURITY_GROUPS % "get", base.PROJECT_READER_OR_ADMIN,
              "List security groups. This API is deprecated.",
              [("GET", _GROUPS)]),
    base.rule(SECURITY_GROUPS % "show", base.PROJECT_READER_OR_ADMIN,
              "Show security group. This API is deprecated.",
              [("GET", _GROUP)]),
    base.rule(SECURITY_GROUPS % "create", base.PROJECT_MEMBER_OR_ADMIN,
              "Create security group. This API is deprecated.",
              [("POST", _GROUPS)]),
    base.rule(SECURITY_GROUPS % "update", base.PROJECT_MEMBER_OR_ADMIN,
              "Update security group. This API is deprecated.",
              [("PUT", _GROUP)]),
    base.rule(SECURITY_GROUPS % "delete", base.PROJECT_MEMBER_OR_ADMIN,
              "Delete security group. This API is deprecated.",
              [("DELETE", _GROUP)]),
    base.rule(SECURITY_GROUPS % "rule:create", base.PROJECT_MEMBER_OR_ADMIN,
              "Create security group Rule. This API is deprecated.",
              [("POST", "/os-security-group-rules")]),
    base.rule(SECURITY_GROUPS % "rule:delete", base.PROJECT_MEMBER_OR_ADMIN,
              "Delete security group Rule. This API is deprecated.",
              [("DELETE",
                "/os-security-group-rules/{security_group_id}")]),
    base.rule(SECURITY_GROUPS % "list", base.PROJECT_READER_OR_ADMIN,
              "List security groups of server.",
              [("GET", "/servers/{server_id}/os-security-groups")]),
    base.rule(SECURITY_GROUPS % "add", base.PROJECT_MEMBER_OR_ADMIN,
              "Add security groups to server.",
              [("POST", "/servers/{server_id}/action (addSecurityGroup)")]),
    base.rule(SECURITY_GROUPS % "remove", base.PROJECT_MEMBER_OR_ADMIN,
              "Remove security groups from server.",
              [("POST",
                "/servers/{server_id}/action (removeSecurityGroup)")]),
]
