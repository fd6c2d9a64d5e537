"""[quota]: default limits per project (and per user), as upstream names them.

Each is the limit a project gets until an admin sets its own with
``os-quota-sets`` (or changes the ``default`` class with
``os-quota-class-sets``, which wins over these). -1 means unlimited.
"""

from oslo_config import cfg

GROUP = "quota"

DB_DRIVER = "nova.quota.DbQuotaDriver"
NOOP_DRIVER = "nova.quota.NoopQuotaDriver"


def _limit(name, default, help_text):
    return cfg.IntOpt(name, default=default, min=-1, help=help_text
                      + " -1 means unlimited.")


OPTS = [
    _limit("instances", 10, "Servers a project may have."),
    _limit("cores", 20, "Virtual CPUs the servers of a project may have."),
    _limit("ram", 51200, "MB of RAM the servers of a project may have."),
    _limit("metadata_items", 128, "Metadata items a server may have."),
    _limit("injected_files", 5,
           "Files a server create may inject ('personality', before "
           "2.57)."),
    _limit("injected_file_content_bytes", 10240,
           "Bytes of content an injected file may have."),
    _limit("injected_file_path_length", 255,
           "Characters the path of an injected file may have."),
    _limit("key_pairs", 100, "Key pairs a user may have."),
    _limit("server_groups", 10, "Server groups a project may have."),
    _limit("server_group_members", 10,
           "Servers of one user a server group may have."),
    cfg.StrOpt("driver", default=DB_DRIVER,
               choices=(DB_DRIVER, NOOP_DRIVER),
               help="``nova.quota.DbQuotaDriver`` enforces the limits above "
                    "and those set through the API; "
                    "``nova.quota.NoopQuotaDriver`` reports every limit as "
                    "unlimited and enforces nothing."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
