"""Absolute limits: anyone their own project's; admins another's."""

from nova.policies import base

BASE = "os_compute_api:limits"
OTHER_PROJECT = "os_compute_api:limits:other_project"

RULES = [
    base.rule(BASE, base.ANY,
              "Show rate and absolute limits for the current user's "
              "project.", [("GET", "/limits")]),
    base.rule(OTHER_PROJECT, base.ADMIN,
              "Show rate and absolute limits of another project "
              "(tenant_id).", [("GET", "/limits")]),
]
