"""The read-only image catalogue at /images (until 2.35)."""

from nova.policies import base

LIST = "os_compute_api:images:list"

RULES = [
    base.rule(LIST, base.ANY, "List and show images (2.1 to 2.35).",
              [("GET", "/images"), ("GET", "/images/detail"),
               ("GET", "/images/{image_id}")]),
]
