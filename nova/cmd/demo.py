"""``nova-manage demo seed``: a cloud a new user can boot a server in.

The flavors and images are ``nova.compute.seed``'s. The users depend on
``[api] auth_strategy``: ``noauth2`` stores none (the token ``demo:demo``
is the user ``demo`` of the project ``demo``); ``http_basic`` gets the
user ``demo`` in its htpasswd file when it is missing there (project
``demo`` unless ``http_basic_user_projects`` says otherwise); Keystone's
users are Keystone's business. Safe to run again: it adds only what is
missing and says what it did with each item.
"""

import os
import secrets
import sys

USER = "demo"


def add_parser(categories, manage_db):
    demo = categories.add_parser(
        "demo", help="a demo cloud: DevStack's flavors, two images, the "
                     "demo user")
    cmds = demo.add_subparsers(dest="action", required=True)
    seed = cmds.add_parser(
        "seed", help="add the demo flavors, images and user that are "
                     "missing (safe to run again; changes nothing that is "
                     "there)")
    seed.add_argument(
        "--force", action="store_true",
        help="seed a database that has flavors or images of its own "
             "(otherwise left alone)")
    seed.add_argument(
        "--demo-password", metavar="PASSWORD",
        help="[api] auth_strategy = http_basic: the password of the demo "
             "user when it is added (default: a random one, printed)")
    seed.set_defaults(func=lambda args, conf: seed_cmd(args, conf,
                                                       manage_db(conf)))


def seed_cmd(args, conf, db):
    from nova.compute import seed

    try:
        with db.writer() as session:
            existing = seed.existing_cloud(session)
            if existing is not None and not args.force:
                flavor_count, image_count = existing
                print(f"Left alone: the database has {flavor_count} "
                      f"flavor(s) and {image_count} image(s) and none of "
                      "the demo images, so it is no demo cloud. "
                      "'nova-manage demo seed --force' adds the demo items "
                      "to it anyway.")
                return 0
            outcomes = seed.seed(session)
    finally:
        db.dispose()
    for item in outcomes:
        why = f" ({item.why})" if item.why else ""
        print(f"{item.kind} {item.name} (id {item.id}): {item.result}{why}")
    status = _user(conf, args.demo_password)
    created = sum(item.result == "created" for item in outcomes)
    print(f"Seeded: {created} created, "
          f"{sum(item.result == 'kept' for item in outcomes)} kept, "
          f"{sum(item.result == 'skipped' for item in outcomes)} skipped.")
    return status


def _user(conf, password):
    strategy = conf.api.auth_strategy
    if strategy == "noauth2":
        print(f"user {USER}: nothing to store under auth_strategy = noauth2 "
              f"(the token {USER}:{USER} is the user {USER} of the project "
              f"{USER}, admin:admin the admin)")
        return 0
    if strategy != "http_basic":
        print(f"user {USER}: not added (auth_strategy = {strategy}: make "
              f"the user {USER} and its project in Keystone)")
        return 0
    return _htpasswd_user(conf, password)


def _htpasswd_user(conf, password):
    import bcrypt

    from nova.api.middleware import http_basic

    path = conf.api.http_basic_auth_user_file
    text = ""
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            users = http_basic.parse_htpasswd(text, path)
        except (OSError, UnicodeDecodeError, http_basic.HtpasswdError) as exc:
            print(f"nova-manage: user {USER} not added: {exc}",
                  file=sys.stderr)
            return 1
        if USER in users:
            print(f"user {USER}: kept (in {path})")
            return 0
    shown = password is None
    if shown:
        password = secrets.token_urlsafe(12)
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()
    if text and not text.endswith("\n"):
        text += "\n"
    # Written whole and renamed: the API re-reads the file when it
    # changes, and must never read half of it.
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"{text}{USER}:{hashed}\n")
    if text:
        stat = os.stat(path)
        os.chmod(tmp, stat.st_mode & 0o7777)
        if os.geteuid() == 0:
            os.chown(tmp, stat.st_uid, stat.st_gid)
    os.replace(tmp, path)
    project = dict(conf.api.http_basic_user_projects).get(USER, USER)
    print(f"user {USER}: created in {path} (project {project})"
          + (f", password {password}" if shown else ""))
    return 0
