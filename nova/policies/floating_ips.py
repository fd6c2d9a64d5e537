"""Floating IPs and their pools (proxies of Neutron, served when
[neutron] is configured, until 2.35; the server actions until 2.43):
upstream's rule names and defaults."""

from nova.policies import base

FLOATING_IPS = "os_compute_api:os-floating-ips:%s"
POOLS = "os_compute_api:os-floating-ip-pools"

RULES = [
    base.rule(FLOATING_IPS % "add", base.PROJECT_MEMBER_OR_ADMIN,
              "Associate floating IPs to server. This API is deprecated.",
              [("POST", "/servers/{server_id}/action (addFloatingIp)")]),
    base.rule(FLOATING_IPS % "remove", base.PROJECT_MEMBER_OR_ADMIN,
              "Disassociate floating IPs to server. This API is "
              "deprecated.",
              [("POST", "/servers/{server_id}/action (removeFloatingIp)")]),
    base.rule(FLOATING_IPS % "list", base.PROJECT_READER_OR_ADMIN,
              "List floating IPs. This API is deprecated.",
              [("GET", "/os-floating-ips")]),
    base.rule(FLOATING_IPS % "create", base.PROJECT_MEMBER_OR_ADMIN,
              "Create floating IPs. This API is deprecated.",
              [("POST", "/os-floating-ips")]),
    base.rule(FLOATING_IPS % "show", base.PROJECT_READER_OR_ADMIN,
              "Show floating IPs. This API is deprecated.",
              [("GET", "/os-floating-ips/{floating_ip_id}")]),
    base.rule(FLOATING_IPS % "delete", base.PROJECT_MEMBER_OR_ADMIN,
              "Delete floating IPs. This API is deprecated.",
              [("DELETE", "/os-floating-ips/{floating_ip_id}")]),
    base.rule(POOLS, base.ANY,
              "List floating IP pools. This API is deprecated.",
              [("GET", "/os-floating-ip-pools")]),
]
