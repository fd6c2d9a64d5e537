"""``nova-manage``: operator commands.

Config files are found as the APIs find them (``OS_NOVA_CONFIG_DIR``,
``OS_NOVA_CONFIG_FILES``, ``<dir>/nova.conf.d``) unless ``--config-file``
is given (repeatable, in order).
"""

import argparse
import os
import sys
import uuid

from nova import config_files, exception
from nova.cmd import demo


def _conf(args):
    if args.config_file:
        sources = config_files.ConfigSources(
            directory=os.path.dirname(os.path.abspath(args.config_file[0])),
            files=tuple(args.config_file), conf_d=(),
            files_setting=";".join(args.config_file), from_env=True)
    else:
        sources = config_files.find_config()
    return config_files.build_conf(sources)


def db_sync(args, conf):
    from nova.db import engine as db_engine
    from nova.db import migration

    url = db_engine.make_url(conf.database.connection)
    if url.get_backend_name() == "sqlite" and url.database not in (
            None, "", ":memory:"):
        directory = os.path.dirname(os.path.abspath(url.database))
        os.makedirs(directory, exist_ok=True)
    engine = db_engine.create_engine(conf.database)
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
    from nova.db import engine as db_engine
    from nova.db import migration

    engine = db_engine.create_engine(conf.database)
    try:
        print(migration.current(engine) or "none")
    finally:
        engine.dispose()
    return 0


def _db(conf):
    from nova.db import api as db_api

    return db_api.Database(conf.database)


def image_create(args, conf):
    from nova.compute import images

    properties = {}
    for item in args.property:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"nova-manage: --property {item!r}: expected KEY=VALUE",
                  file=sys.stderr)
            return 2
        properties[key] = value
    db = _db(conf)
    try:
        with db.writer() as session:
            if args.id and images.exists(session, args.id):
                print(f"nova-manage: an image with id {args.id} already "
                      "exists", file=sys.stderr)
                return 1
            image = images.create(
                session, name=args.name, image_id=args.id,
                visibility=args.visibility, owner=args.owner,
                min_disk=args.min_disk, min_ram=args.min_ram,
                size=args.size, disk_format=args.disk_format,
                container_format=args.container_format,
                properties=properties)
            print(image.id)
    finally:
        db.dispose()
    return 0


def image_list(args, conf):
    import sqlalchemy as sa

    from nova.db.models import Image

    db = _db(conf)
    try:
        with db.reader() as session:
            rows = session.execute(sa.select(Image).order_by(
                Image.created_at)).scalars().all()
    finally:
        db.dispose()
    for image in rows:
        print(f"{image.id}  {image.visibility:<8} {image.status:<8} "
              f"{image.name}")
    return 0


def image_delete(args, conf):
    from nova.compute import images

    db = _db(conf)
    try:
        with db.writer() as session:
            images.delete(session, args.id)
    except exception.NotFound as exc:
        print(f"nova-manage: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"Deleted image {args.id}")
    return 0


def _image_id(text):
    """An image id as ``imageRef`` must name it: a UUID, canonical form."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a UUID (servers name images by UUID)") from None


def _non_negative(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a non-negative integer")
    return value


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

    image = categories.add_parser(
        "image", help="the local image catalogue servers boot from")
    image_cmds = image.add_subparsers(dest="action", required=True)
    create = image_cmds.add_parser("create", help="add an image; prints "
                                                   "its id")
    create.add_argument("name")
    create.add_argument("--id", type=_image_id,
                        help="image UUID (default: a new one)")
    create.add_argument("--visibility", default="public",
                        choices=("public", "private", "shared",
                                 "community"))
    create.add_argument("--owner", help="owning project (private images)")
    create.add_argument("--min-disk", type=_non_negative, default=0,
                        help="GB of root disk a flavor must have")
    create.add_argument("--min-ram", type=_non_negative, default=0,
                        help="MB of RAM a flavor must have")
    create.add_argument("--size", type=_non_negative, default=0,
                        help="size in bytes, as shown by the API")
    create.add_argument("--disk-format", default="qcow2")
    create.add_argument("--container-format", default="bare")
    create.add_argument("--property", action="append", default=[],
                        metavar="KEY=VALUE")
    create.set_defaults(func=image_create)
    listing = image_cmds.add_parser("list", help="list the images")
    listing.set_defaults(func=image_list)
    delete = image_cmds.add_parser("delete", help="remove an image")
    delete.add_argument("id")
    delete.set_defaults(func=image_delete)

    demo.add_parser(categories, _db)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        conf = _conf(args)
        return args.func(args, conf)
    except exception.StartupError as exc:
        print(f"nova-manage: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - report, don't dump a trace
        from nova.db import engine as db_engine

        print(f"nova-manage: {db_engine.describe(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
