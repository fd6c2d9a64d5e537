"""oslo.policy rules in code, one module a noun.

Rule names are upstream's (``os_compute_api:...``) so that an operator's
existing ``policy.yaml`` overrides keep working.
"""

import importlib

from nova.policies import base

_NOUNS = ("flavors", "keypairs", "servers", "images", "server_actions",
          "limits", "quota_sets", "quota_class_sets", "server_groups",
          "admin", "hosts", "extensions", "networks", "security_groups",
          "floating_ips",
          "server_external_events", "remote_consoles",
          "console_auth_tokens")


def list_rules():
    rules = list(base.RULES)
    for noun in _NOUNS:
        try:
            module = importlib.import_module(f"nova.policies.{noun}")
        except ModuleNotFoundError as exc:
            if exc.name != f"nova.policies.{noun}":
                raise
            continue
        rules.extend(module.RULES)
    return rules
