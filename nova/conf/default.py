"""[DEFAULT]: logging and process-wide settings."""

from oslo_config import cfg

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
]


def register_opts(conf):
    conf.register_opts(OPTS)


def list_opts():
    return [("DEFAULT", OPTS)]
