"""Console auth tokens: upstream's rule name and default (admin: what a
console proxy is told is the hypervisor side of a console)."""

from nova.policies import base

CONSOLE_AUTH_TOKENS = "os_compute_api:os-console-auth-tokens"

RULES = [
    base.rule(CONSOLE_AUTH_TOKENS, base.ADMIN,
              "Show the connection information a console auth token "
              "stands for.",
              [("GET", "/os-console-auth-tokens/{console_token}")]),
]
