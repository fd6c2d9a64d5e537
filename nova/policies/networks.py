"""os-networks (the network proxy, until 2.35): upstream's rule names and
defaults. Its removed routes (create, delete, add, the association
actions) answer 410 and check no rule, as upstream."""

from nova.policies import base

NETWORKS = "os_compute_api:os-networks:%s"

RULES = [
    base.rule(NETWORKS % "list", base.PROJECT_READER_OR_ADMIN,
              "List networks for the project (a proxy of the network "
              "service; deprecated, until 2.35).",
              [("GET", "/os-networks")]),
    base.rule(NETWORKS % "show", base.PROJECT_READER_OR_ADMIN,
              "Show network details (a proxy of the network service; "
              "deprecated, until 2.35).",
              [("GET", "/os-networks/{network_id}")]),
]
