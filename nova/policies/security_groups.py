"""A server's security groups: upstream's rule names and defaults for the
routes served (the os-security-groups proxy itself is not served)."""

from nova.policies import base

SECURITY_GROUPS = "os_compute_api:os-security-groups:%s"

RULES = [
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
