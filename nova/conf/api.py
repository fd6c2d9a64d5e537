"""[api]: how the compute API authenticates and pages."""

from oslo_config import cfg

GROUP = "api"

AUTH_STRATEGIES = ("keystone", "http_basic", "noauth2")

OPTS = [
    cfg.StrOpt("auth_strategy", default="keystone", choices=AUTH_STRATEGIES,
               help="How callers of the compute API are authenticated. "
                    "``keystone``: keystonemiddleware's auth_token (configure "
                    "[keystone_authtoken]). ``http_basic``: HTTP Basic "
                    "against "
                    "the bcrypt htpasswd file named by "
                    "http_basic_auth_user_file, for standalone deployments. "
                    "``noauth2``: trusts ``X-Auth-Token: user:project``; for "
                    "development only, never on a network you do not own."),
    cfg.StrOpt("http_basic_auth_user_file", default="/etc/nova/htpasswd",
               help="htpasswd file (bcrypt entries only, as written by "
                    "``htpasswd -B``) for auth_strategy = http_basic. It is "
                    "read again when it changes."),
    cfg.DictOpt("http_basic_user_projects", default={},
                help="For http_basic: the project of each user, as "
                     "``user:project`` pairs. A user not listed works in a "
                     "project named like the user."),
    cfg.ListOpt("http_basic_admin_users", default=["admin"],
                help="For http_basic: users who get the admin role (others "
                     "get member and reader)."),
    cfg.IntOpt("max_limit", default=1000, min=1,
               help="The most items one page of a collection holds; a larger "
                    "``limit`` is clamped to this."),
    cfg.StrOpt("compute_link_prefix",
               help="Base URL for links in compute API responses, replacing "
                    "scheme, host and port of the request (for a proxy that "
                    "rewrites them)."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
