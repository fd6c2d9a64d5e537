"""os-networks and os-tenant-networks (the network proxies, until 2.35):
upstream's rule names and defaults. Their removed routes (create, delete,
add, the association actions) answer 410 and check no rule, as upstream."""

from nova.policies import base

NETWORKS = "os_compute_api:os-networks:%s"
TENANT_NETWORKS = "os_compute_api:os-tenant-networks:%s"

RULES = [
    base.rule(NETWORKS % "list", base.PROJECT_READER_OR_ADMIN,
              "List networks for the project (a proxy of the network "
              "service; deprecated, until 2.35).",
              [("GET", "/os-networks")]),
    base.rule(NETWORKS % "show", base.PROJECT_READER_OR_ADMIN,
              "Show network details (a proxy of the network service; "
              "deprecated, until 2.35).",
              [("GET", "/os-networks/{network_id}")]),
    base.rule(TENANT_NETWORKS % "list", base.PROJECT_READER_OR_ADMIN,
              "List project networks (a proxy of the network service; "
              "deprecated, until 2.35).",
              [("GET", "/os-tenant-networks")]),
    base.rule(TENANT_NETWORKS % "show", base.PROJECT_READER_OR_ADMIN,
              "Show project network details (a proxy of the network "
              "service; deprecated, until 2.35).",
              [("GET", "/os-tenant-networks/{network_id}")]),
]
