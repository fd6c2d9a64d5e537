"""Remote consoles: upstream's rule name and default (a member of the
server's project, or an admin), for POST /servers/{id}/remote-consoles
and the actions it replaced at 2.6."""

from nova.policies import base

REMOTE_CONSOLES = "os_compute_api:os-remote-consoles"

_OPERATIONS = [("POST", f"/servers/{{server_id}}/action ({name})")
               for name in ("os-getSerialConsole", "os-getSPICEConsole",
                            "os-getVNCConsole")]
_OPERATIONS.append(("POST", "/servers/{server_id}/remote-consoles"))

RULES = [
    base.rule(REMOTE_CONSOLES, base.PROJECT_MEMBER_OR_ADMIN,
              "Get the URL of a server's remote console (the actions are "
              "the deprecated forms, until 2.5).",
              _OPERATIONS),
]
