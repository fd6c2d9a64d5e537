"""/extensions: upstream's rule name and default (anyone)."""

from nova.policies import base

EXTENSIONS = "os_compute_api:extensions"

RULES = [
    base.rule(EXTENSIONS, base.ANY,
              "List available extensions and show information for an "
              "extension by alias.",
              [("GET", "/extensions"), ("GET", "/extensions/{alias}")]),
]
