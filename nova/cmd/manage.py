"""``nova-manage``: operator commands.

Config files are found as the APIs find them (``OS_NOVA_CONFIG_DIR``,
``OS_NOVA_CONFIG_FILES``, ``<dir>/nova.conf.d``) unless ``--config-file``
is given (repeatable, in order).
"""

import argparse
import os
import sys

from nova import deploy


def _conf(args):
    if args.config_file:
        sources = deploy.ConfigSources(
            directory=os.path.dirname(os.path.abspath(args.config_file[0])),
            files=tuple(args.config_file), conf_d=(),
            files_setting=";".join(args.config_file), from_env=True)
    else:
        sources = deploy.find_config()
    return deploy.build_conf(sources)


def db_sync(args, conf):
    from nova.db import api as db_api
    from nova.db import migration

    url = db_api.make_url(conf.database.connection)
    if url.get_backend_name() == "sqlite" and url.database not in (
            None, "", ":memory:"):
        directory = os.path.dirname(os.path.abspath(url.database))
        os.makedirs(directory, exist_ok=True)
    engine = db_api.create_engine(conf.database)
    try:
        before = migration.current(engine)
        after = migration.sync(engine, args.revision)
    finally:
        engine.dispose()
    if before == after:
        print(f"Database already at revision {after}; nothing to do.")
    else:
        print(f"Database upgraded from revision {before or 'none'} "
              f"to {after}.")
    return 0


def db_version(args, conf):
    from nova.db import api as db_api
    from nova.db import migration

    engine = db_api.create_engine(conf.database)
    try:
        print(migration.current(engine) or "none")
    finally:
        engine.dispose()
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="nova-manage")
    parser.add_argument("--config-file", action="append", default=[],
                        metavar="PATH",
                        help="config file to read (repeatable); default: "
                             "the files OS_NOVA_CONFIG_DIR and "
                             "OS_NOVA_CONFIG_FILES name, as the APIs do")
    categories = parser.add_subparsers(dest="category", required=True)
    db = categories.add_parser("db", help="database schema")
    db_cmds = db.add_subparsers(dest="action", required=True)
    sync = db_cmds.add_parser(
        "sync", help="create or upgrade the schema (safe to run again)")
    sync.add_argument("--revision", default="head",
                      help="target revision (default: head)")
    sync.set_defaults(func=db_sync)
    version = db_cmds.add_parser("version", help="print the schema revision")
    version.set_defaults(func=db_version)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        conf = _conf(args)
        return args.func(args, conf)
    except deploy.StartupError as exc:
        print(f"nova-manage: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - report, don't dump a trace
        from nova.db import api as db_api

        print(f"nova-manage: {db_api.describe(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
