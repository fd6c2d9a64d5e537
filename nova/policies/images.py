"""The image proxy at /images (until 2.35) and its metadata (2.38)."""

from nova.policies import base

LIST = "os_compute_api:images:list"
UPDATE = "os_compute_api:images:update"

RULES = [
    base.rule(LIST, base.ANY, "List and show images (2.1 to 2.35).",
              [("GET", "/images"), ("GET", "/images/detail"),
               ("GET", "/images/{image_id}"),
               ("GET", "/images/{image_id}/metadata"),
               ("GET", "/images/{image_id}/metadata/{key}")]),
    # As upstream's proxy, which checks no rule of its own: Glance (or,
    # for the local catalogue, the image's owner) decides.
    base.rule(UPDATE, base.ANY,
              "Delete images and change their metadata (2.1 to 2.35, "
              "metadata to 2.38).",
              [("DELETE", "/images/{image_id}"),
               ("POST", "/images/{image_id}/metadata"),
               ("PUT", "/images/{image_id}/metadata"),
               ("PUT", "/images/{image_id}/metadata/{key}"),
               ("DELETE", "/images/{image_id}/metadata/{key}")]),
]
