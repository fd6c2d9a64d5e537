"""Key pairs: each user's own; admins may act for another user (2.10).

Every check has the target ``{"user_id": <the keypairs' owner>,
"project_id": <the caller's project>}``: key pairs belong to a user, not to
a project, so the owner rule compares users.
"""

from nova.policies import base

POLICY_ROOT = "os_compute_api:os-keypairs:%s"
INDEX = POLICY_ROOT % "index"
SHOW = POLICY_ROOT % "show"
CREATE = POLICY_ROOT % "create"
DELETE = POLICY_ROOT % "delete"

ADMIN_OR_OWNER = "(" + base.ADMIN + ") or user_id:%(user_id)s"

RULES = [
    base.rule(INDEX, ADMIN_OR_OWNER,
              "List a user's key pairs (another user's: admin, with "
              "user_id from 2.10).",
              [("GET", "/os-keypairs")]),
    base.rule(CREATE, ADMIN_OR_OWNER,
              "Create or import a key pair (for another user: admin, with "
              "keypair.user_id from 2.10).",
              [("POST", "/os-keypairs")]),
    base.rule(DELETE, ADMIN_OR_OWNER,
              "Delete a key pair (another user's: admin, with user_id from "
              "2.10).",
              [("DELETE", "/os-keypairs/{keypair_name}")]),
    base.rule(SHOW, ADMIN_OR_OWNER,
              "Show a key pair (another user's: admin, with user_id from "
              "2.10).",
              [("GET", "/os-keypairs/{keypair_name}")]),
]
