"""[database]: the SQL store both APIs share."""

from oslo_config import cfg

GROUP = "database"

DEFAULT_CONNECTION = "sqlite:////var/lib/nova/nova.sqlite"

OPTS = [
    cfg.StrOpt("connection", default=DEFAULT_CONNECTION, secret=True,
               help="SQLAlchemy URL of the database. SQLite "
                    "(``sqlite:////var/lib/nova/nova.sqlite``) for one host; "
                    "``mysql+pymysql://user:pass@host/nova`` or "
                    "``postgresql+psycopg://user:pass@host/nova`` when "
                    "several API hosts share it."),
    cfg.IntOpt("max_pool_size", default=5, min=1,
               help="Connections kept open per process (MariaDB, "
                    "PostgreSQL)."),
    cfg.IntOpt("max_overflow", default=10, min=0,
               help="Connections opened beyond max_pool_size under load."),
    cfg.IntOpt("pool_timeout", default=10, min=1,
               help="Seconds to wait for a free pooled connection before "
                    "answering 503."),
    cfg.IntOpt("connection_recycle_time", default=3600, min=1,
               help="Seconds after which a pooled connection is replaced."),
    cfg.IntOpt("connect_timeout", default=5, min=1,
               help="Seconds to wait for the database server to accept a "
                    "connection before answering 503."),
    cfg.FloatOpt("lock_timeout", default=10.0, min=0.1,
                 help="Seconds a statement may wait for a lock held by "
                      "another transaction (SQLite busy timeout, MariaDB "
                      "innodb_lock_wait_timeout, PostgreSQL lock_timeout) "
                      "before the request gets 503."),
    cfg.IntOpt("sqlite_wal_autocheckpoint", default=10000, min=0,
               help="SQLite only: the number of pages (4 KiB each) the "
                    "write-ahead log may hold before a commit copies them "
                    "into the database file (0: never automatically). "
                    "SQLite's own default is 1000; a larger log copies a "
                    "page written by many commits (a busy server's row, "
                    "an index's last page) once instead of many times, "
                    "at the cost of a log file of up to about 40 MiB. "
                    "Ignored for MariaDB and PostgreSQL."),
    cfg.BoolOpt("connection_debug", default=False,
                help="Log every SQL statement (very verbose)."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
