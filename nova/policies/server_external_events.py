"""os-server-external-events: how Neutron, Cinder and the others tell the
compute API about a server's ports, volumes and power. Upstream's rule
name and default (the service role, or an admin)."""

from nova.policies import base

EVENTS = "os_compute_api:os-server-external-events:%s"

RULES = [
    base.rule(EVENTS % "create", base.SERVICE_OR_ADMIN,
              "Create one or more external events.",
              [("POST", "/os-server-external-events")]),
]
