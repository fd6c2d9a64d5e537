"""Server groups: members create and delete, readers look; the target is
the group's project (the caller's for create and list)."""

from nova.policies import base

POLICY_ROOT = "os_compute_api:os-server-groups:%s"
_PATH = "/os-server-groups/{server_group_id}"

RULES = [
    base.rule(POLICY_ROOT % "create", base.PROJECT_MEMBER_OR_ADMIN,
              "Create a new server group.", [("POST", "/os-server-groups")]),
    base.rule(POLICY_ROOT % "delete", base.PROJECT_MEMBER_OR_ADMIN,
              "Delete a server group.", [("DELETE", _PATH)]),
    base.rule(POLICY_ROOT % "index", base.PROJECT_READER_OR_ADMIN,
              "List all server groups.", [("GET", "/os-server-groups")]),
    base.rule(POLICY_ROOT % "index:all_projects", base.ADMIN,
              "List all server groups for all projects.",
              [("GET", "/os-server-groups")]),
    base.rule(POLICY_ROOT % "show", base.PROJECT_READER_OR_ADMIN,
              "Show details of a server group.", [("GET", _PATH)]),
]
