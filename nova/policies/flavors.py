"""Flavors, their extra specs and their project access."""

from nova.policies import base

MANAGE = "os_compute_api:os-flavor-manage:%s"
EXTRA_SPECS = "os_compute_api:os-flavor-extra-specs:%s"
ACCESS = "os_compute_api:os-flavor-access"
LIST = "os_compute_api:flavors:list"

RULES = [
    base.rule(LIST, base.ANY,
              "List and show flavors (private ones only with access).",
              [("GET", "/flavors"), ("GET", "/flavors/detail"),
               ("GET", "/flavors/{flavor_id}")]),
    base.rule(MANAGE % "create", base.ADMIN, "Create a flavor.",
              [("POST", "/flavors")]),
    base.rule(MANAGE % "update", base.ADMIN,
              "Update a flavor's description.",
              [("PUT", "/flavors/{flavor_id}")]),
    base.rule(MANAGE % "delete", base.ADMIN, "Delete a flavor.",
              [("DELETE", "/flavors/{flavor_id}")]),
    base.rule(EXTRA_SPECS % "index", base.PROJECT_READER_OR_ADMIN,
              "List a flavor's extra specs (also decides whether flavor "
              "views show them, from 2.61).",
              [("GET", "/flavors/{flavor_id}/os-extra_specs")]),
    base.rule(EXTRA_SPECS % "show", base.PROJECT_READER_OR_ADMIN,
              "Show one extra spec.",
              [("GET", "/flavors/{flavor_id}/os-extra_specs/{key}")]),
    base.rule(EXTRA_SPECS % "create", base.ADMIN, "Add extra specs.",
              [("POST", "/flavors/{flavor_id}/os-extra_specs")]),
    base.rule(EXTRA_SPECS % "update", base.ADMIN, "Update one extra spec.",
              [("PUT", "/flavors/{flavor_id}/os-extra_specs/{key}")]),
    base.rule(EXTRA_SPECS % "delete", base.ADMIN, "Delete one extra spec.",
              [("DELETE", "/flavors/{flavor_id}/os-extra_specs/{key}")]),
    base.rule(ACCESS, base.ADMIN,
              "List the projects that can use a private flavor.",
              [("GET", "/flavors/{flavor_id}/os-flavor-access")]),
    base.rule(ACCESS + ":add_tenant_access", base.ADMIN,
              "Give a project access to a private flavor.",
              [("POST", "/flavors/{flavor_id}/action (addTenantAccess)")]),
    base.rule(ACCESS + ":remove_tenant_access", base.ADMIN,
              "Take a project's access to a private flavor away.",
              [("POST", "/flavors/{flavor_id}/action (removeTenantAccess)")]),
]
