"""[DEFAULT]: logging and process-wide settings."""

from oslo_config import cfg

# What ``instance_usage_audit_period`` takes: the unit, and an offset
# within the next larger unit (the minute of the hour, the hour of the day,
# the day of the month up to the 28th, the month of the year).
AUDIT_PERIOD_PATTERN = (
    r"^(hour(@[0-5]?[0-9])?|day(@(1?[0-9]|2[0-3]))?"
    r"|month(@([0-9]|1[0-9]|2[0-8]))?|year(@([0-9]|1[0-2]))?)$")

OPTS = [
    cfg.BoolOpt("debug", default=False,
                help="Log at DEBUG level instead of INFO."),
    cfg.StrOpt("log_file",
               help="Write the log to this file. Relative names are taken "
                    "inside log_dir. Unset: log to stderr (which Apache, "
                    "gunicorn and uWSGI put in their error log)."),
    cfg.StrOpt("log_dir",
               help="Directory for log_file when log_file is relative."),
    cfg.StrOpt("log_config_append",
               help="A logging configuration file in Python's "
                    "logging.config.fileConfig format. When set, it replaces "
                    "every other logging option."),
    cfg.StrOpt("log_format",
               default="%(asctime)s %(process)d %(levelname)s %(name)s "
                       "[%(request_id)s] %(message)s",
               help="Format of each log line. ``%(request_id)s`` is the "
                    "request id of the request being served, or ``-``."),
    cfg.StrOpt("host", default="localhost",
               sample_default="<hostname>",
               help="Name of this API host, used in logs and in the "
                    "health check's detail."),
    # Server actions (as upstream's options of the same names).
    cfg.IntOpt("resize_confirm_window", default=0, min=0,
               help="Seconds after which a resized server (VERIFY_RESIZE) "
                    "is confirmed automatically; 0 disables it."),
    cfg.BoolOpt("allow_resize_to_same_host", default=False,
                help="Let a resize choose the server's own host as its "
                     "destination too. By default a resize moves the "
                     "server to another host, and fails (\"No valid host "
                     "was found\", the server unchanged) when no other "
                     "host can take it: set this where there is a single "
                     "host, or to resize members of an affinity group."),
    cfg.IntOpt("reclaim_instance_interval", default=0, min=0,
               help="When positive, deleting a server only soft-deletes it "
                    "(SOFT_DELETED, restorable with the restore action); "
                    "it is reclaimed once this many seconds have passed."),
    # Neutron's ports (as upstream's options of the same names).
    cfg.IntOpt("vif_plugging_timeout", default=300, min=0,
               help="With [neutron]: seconds a build waits for Neutron's "
                    "network-vif-plugged event when a port it bound is not "
                    "ACTIVE yet; 0 does not wait."),
    cfg.BoolOpt("vif_plugging_is_fatal", default=True,
                help="With [neutron]: whether a build whose ports were not "
                     "plugged within vif_plugging_timeout fails (ERROR, "
                     "\"Virtual Interface creation failed\"); otherwise it "
                     "goes ACTIVE anyway."),
    cfg.IntOpt("shelved_offload_time", default=0, min=-1,
               help="Seconds a shelved server keeps its host before it is "
                    "offloaded (SHELVED_OFFLOADED); 0 offloads at once, "
                    "-1 never."),
    # As upstream's option of the same name.
    cfg.StrOpt("instance_usage_audit_period", default="month",
               regex=AUDIT_PERIOD_PATTERN,
               help="The period os-instance_usage_audit_log reports on: "
                    "``hour``, ``day``, ``month`` or ``year``, optionally "
                    "offset with ``@N`` (the minute of the hour, the hour "
                    "of the day, the day of the month up to 28, the month "
                    "of the year): ``month@15`` runs from the 15th to the "
                    "15th. No audit runs here: every compute host is "
                    "reported as not having run."),
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [("DEFAULT", OPTS)]
