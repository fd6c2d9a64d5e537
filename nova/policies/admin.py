"""The admin views: services, hypervisors, aggregates, availability zones
and usage. Upstream's rule names and defaults: everything admin-only but
the zone list (anyone) and a project's own usage (its readers)."""

from nova.policies import base

SERVICES = "os_compute_api:os-services:%s"
HYPERVISORS = "os_compute_api:os-hypervisors:%s"
AGGREGATES = "os_compute_api:os-aggregates:%s"
AGGREGATE_IMAGES = "compute:aggregates:images"
ZONES = "os_compute_api:os-availability-zone:%s"
USAGE = "os_compute_api:os-simple-tenant-usage:%s"

_HYP = "/os-hypervisors"
_AGG = "/os-aggregates/{aggregate_id}"

RULES = [
    base.rule(SERVICES % "list", base.ADMIN, "List compute services.",
              [("GET", "/os-services")]),
    base.rule(SERVICES % "update", base.ADMIN,
              "Enable, disable or force down a compute service.",
              [("PUT", "/os-services/enable"),
               ("PUT", "/os-services/disable"),
               ("PUT", "/os-services/disable-log-reason"),
               ("PUT", "/os-services/force-down"),
               ("PUT", "/os-services/{service_id}")]),
    base.rule(SERVICES % "delete", base.ADMIN, "Delete a compute service.",
              [("DELETE", "/os-services/{service_id}")]),
    base.rule(HYPERVISORS % "list", base.ADMIN, "List all hypervisors.",
              [("GET", _HYP)]),
    base.rule(HYPERVISORS % "list-detail", base.ADMIN,
              "List all hypervisors with details.",
              [("GET", _HYP + "/detail")]),
    base.rule(HYPERVISORS % "statistics", base.ADMIN,
              "Show summary statistics for all hypervisors (until 2.87).",
              [("GET", _HYP + "/statistics")]),
    base.rule(HYPERVISORS % "show", base.ADMIN,
              "Show details for a hypervisor.",
              [("GET", _HYP + "/{hypervisor_id}")]),
    base.rule(HYPERVISORS % "uptime", base.ADMIN,
              "Show the uptime of a hypervisor (until 2.87).",
              [("GET", _HYP + "/{hypervisor_id}/uptime")]),
    base.rule(HYPERVISORS % "search", base.ADMIN,
              "Search hypervisors by hostname pattern (until 2.52).",
              [("GET", _HYP + "/{hypervisor_hostname_pattern}/search")]),
    base.rule(HYPERVISORS % "servers", base.ADMIN,
              "List the servers of hypervisors matching a hostname pattern "
              "(until 2.52).",
              [("GET", _HYP + "/{hypervisor_hostname_pattern}/servers")]),
    base.rule(AGGREGATES % "index", base.ADMIN, "List host aggregates.",
              [("GET", "/os-aggregates")]),
    base.rule(AGGREGATES % "create", base.ADMIN, "Create a host aggregate.",
              [("POST", "/os-aggregates")]),
    base.rule(AGGREGATES % "show", base.ADMIN, "Show a host aggregate.",
              [("GET", _AGG)]),
    base.rule(AGGREGATES % "update", base.ADMIN,
              "Rename a host aggregate or change its availability zone.",
              [("PUT", _AGG)]),
    base.rule(AGGREGATES % "delete", base.ADMIN,
              "Delete an empty host aggregate.", [("DELETE", _AGG)]),
    base.rule(AGGREGATES % "add_host", base.ADMIN,
              "Add a host to an aggregate.",
              [("POST", _AGG + "/action (add_host)")]),
    base.rule(AGGREGATES % "remove_host", base.ADMIN,
              "Remove a host from an aggregate.",
              [("POST", _AGG + "/action (remove_host)")]),
    base.rule(AGGREGATES % "set_metadata", base.ADMIN,
              "Set or remove metadata of an aggregate.",
              [("POST", _AGG + "/action (set_metadata)")]),
    base.rule(AGGREGATE_IMAGES, base.ADMIN,
              "Ask an aggregate's hosts to cache images (2.81).",
              [("POST", _AGG + "/images")]),
    base.rule(ZONES % "list", base.ANY, "List availability zones.",
              [("GET", "/os-availability-zone")]),
    base.rule(ZONES % "detail", base.ADMIN,
              "List availability zones with their hosts and services.",
              [("GET", "/os-availability-zone/detail")]),
    base.rule(USAGE % "show", base.PROJECT_READER_OR_ADMIN,
              "Show a project's usage.",
              [("GET", "/os-simple-tenant-usage/{tenant_id}")]),
    base.rule(USAGE % "list", base.ADMIN,
              "List the usage of every project.",
              [("GET", "/os-simple-tenant-usage")]),
]
