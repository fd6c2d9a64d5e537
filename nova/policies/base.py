"""Personas, as upstream defines them: admin, project manager, project
member, project reader, and the service users of other services (Neutron,
Cinder...).

Keystone's implied roles make an admin a manager, a manager a member and
a member a reader; noauth2 and http_basic know admins and members only
(a manager needs Keystone, or a policy.yaml that names another role).
"""

from oslo_policy import policy

ADMIN = "rule:context_is_admin"
PROJECT_MANAGER_OR_ADMIN = "rule:project_manager_or_admin"
PROJECT_MEMBER = "rule:project_member_api"
PROJECT_READER = "rule:project_reader_api"
PROJECT_MEMBER_OR_ADMIN = "rule:project_member_or_admin"
PROJECT_READER_OR_ADMIN = "rule:project_reader_or_admin"
SERVICE_OR_ADMIN = "rule:service_or_admin"
ANY = "@"

RULES = [
    policy.RuleDefault("context_is_admin", "role:admin",
                       "Decides what is an admin."),
    policy.RuleDefault("admin_api", "role:admin",
                       "Default rule for most admin APIs."),
    policy.RuleDefault("project_manager_api",
                       "role:manager and project_id:%(project_id)s",
                       "A manager of the project the target belongs to."),
    policy.RuleDefault("project_member_api",
                       "role:member and project_id:%(project_id)s",
                       "A member of the project the target belongs to."),
    policy.RuleDefault("project_reader_api",
                       "role:reader and project_id:%(project_id)s",
                       "A reader of the project the target belongs to."),
    policy.RuleDefault("project_manager_or_admin",
                       "rule:project_manager_api or rule:context_is_admin",
                       "A project manager, or an admin."),
    policy.RuleDefault("project_member_or_admin",
                       "rule:project_member_api or rule:context_is_admin",
                       "A project member, or an admin."),
    policy.RuleDefault("project_reader_or_admin",
                       "rule:project_reader_api or rule:context_is_admin",
                       "A project reader, or an admin."),
    policy.RuleDefault("service_api", "role:service",
                       "Default rule for service-to-service APIs."),
    policy.RuleDefault("service_or_admin",
                       "rule:service_api or rule:context_is_admin",
                       "Default rule for service or admin APIs."),
]


def rule(name, check, description, operations, scope_types=("project",),
         deprecated_rule=None):
    """A documented rule; ``operations`` is [(method, path), ...];
    ``deprecated_rule``: the older rule whose override it still honours."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description,
        operations=[{"method": m, "path": p} for m, p in operations],
        scope_types=list(scope_types), deprecated_rule=deprecated_rule)
