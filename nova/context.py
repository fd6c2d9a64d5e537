"""Who is asking: the request context every handler receives."""

import dataclasses

ENV_CONTEXT = "nova.context"


@dataclasses.dataclass
class RequestContext:
    user_id: str | None
    project_id: str | None
    roles: tuple = ()
    is_admin: bool = False
    request_id: str | None = None
    global_request_id: str | None = None
    user_name: str | None = None
    project_name: str | None = None
    user_domain_id: str | None = None
    project_domain_id: str | None = None
    system_scope: str | None = None
    remote_address: str | None = None
    auth_token: str | None = dataclasses.field(default=None, repr=False)
    service_catalog: list = dataclasses.field(default_factory=list,
                                              repr=False)

    def to_policy_values(self):
        """The credentials oslo.policy rules are checked against."""
        return {
            "user_id": self.user_id,
            "project_id": self.project_id,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            "user_domain_id": self.user_domain_id,
            "project_domain_id": self.project_domain_id,
            "system_scope": self.system_scope,
            "system": self.system_scope,
        }


def admin_context():
    """A context for internal work (``nova-manage``), not for requests."""
    return RequestContext(user_id=None, project_id=None,
                          roles=("admin", "member", "reader"), is_admin=True)
