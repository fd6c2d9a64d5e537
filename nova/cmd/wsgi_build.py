"""``nova-wsgi-build``: write the deployment files of the two APIs.

For packagers (an RPM's ``%install``) and operators::

    nova-wsgi-build DIR                      # the two .wsgi scripts into DIR
    nova-wsgi-build --python-home /opt/nova --config-dir /etc/nova DIR
    nova-wsgi-build --layout rhel --script-dir /var/www/cgi-bin/nova \\
        --apache %{buildroot}/etc/httpd/conf.d \\
        %{buildroot}/var/www/cgi-bin/nova
    nova-wsgi-build --uwsgi /etc/nova/uwsgi --gunicorn /etc/nova/gunicorn DIR
    nova-wsgi-build --shipped .              # refresh the repository's copies
    nova-wsgi-build --shipped . --check      # exit 1 if any copy is stale

Everything is rendered by ``nova.packaging.render``; the options are baked
into the files. Nothing here reads nova's configuration.
"""

import argparse
import os
import sys

from nova.packaging import render, shipped

_EPILOG = """\
The scripts set OS_NOVA_CONFIG_DIR / OS_NOVA_CONFIG_FILES with
os.environ.setdefault, so a value in the process environment still wins.
Apache snippets point at the scripts in --script-dir (default: the
layout's, /var/www/cgi-bin/nova on rhel, /usr/lib/cgi-bin/nova on debian),
which is where the scripts are installed, not necessarily DIR (a build root).
"""


def parser():
    p = argparse.ArgumentParser(
        prog="nova-wsgi-build",
        description="Write nova-compute-api.wsgi and nova-metadata.wsgi "
                    "(and, on request, Apache, uWSGI and gunicorn files).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("directory", nargs="?", default=None,
                   help="where the .wsgi scripts go (default: the current "
                        "directory)")
    p.add_argument("--api", action="append", choices=sorted(render.APIS),
                   help="only this API (repeatable; default: both)")
    p.add_argument("--python-home", metavar="DIR",
                   help="the virtualenv that holds nova-wsgi; scripts add "
                        "it to sys.path unless the interpreter already runs "
                        "from it, vhosts set python-home=, uWSGI "
                        "virtualenv=")
    p.add_argument("--config-dir", metavar="DIR",
                   help="default OS_NOVA_CONFIG_DIR baked into the files")
    p.add_argument("--config-files", metavar="'A;B'",
                   help="default OS_NOVA_CONFIG_FILES baked into the files "
                        "(names separated by ';')")
    web = p.add_argument_group("Apache httpd + mod_wsgi")
    web.add_argument("--apache", metavar="DIR",
                     help="also write the vhost snippets into DIR")
    web.add_argument("--layout", choices=sorted(render.LAYOUTS),
                     default="rhel", help="paths of this distribution family "
                                          "(default: rhel)")
    web.add_argument("--tls", action="store_true",
                     help="serve over TLS (mod_ssl) on the API ports")
    web.add_argument("--path-prefix", metavar="/PREFIX",
                     help="serve the compute API under this prefix on the "
                          "site's own virtual hosts (DevStack: /compute); "
                          "the metadata API keeps its port")
    web.add_argument("--script-dir", metavar="DIR",
                     help="where the scripts are installed (default: the "
                          "layout's)")
    web.add_argument("--user", default="nova")
    web.add_argument("--group", default="nova")
    web.add_argument("--log-dir", metavar="DIR",
                     help="default: the layout's (/var/log/httpd, "
                          "${APACHE_LOG_DIR})")
    web.add_argument("--max-request-body-size", type=int,
                     default=render.DEFAULT_MAX_REQUEST_BODY_SIZE,
                     metavar="BYTES",
                     help="LimitRequestBody; keep it equal to "
                          "[oslo_middleware] max_request_body_size")
    p.add_argument("--processes", type=int, metavar="N",
                   help="daemon processes / workers per API (default: 4 for "
                        "compute, 2 for metadata)")
    servers = p.add_argument_group("uWSGI and gunicorn")
    servers.add_argument("--uwsgi", metavar="DIR",
                         help="also write the uWSGI ini files into DIR")
    servers.add_argument("--gunicorn", metavar="DIR",
                         help="also write the gunicorn config files into DIR")
    servers.add_argument("--bind", metavar="HOST:PORT",
                         help="uWSGI/gunicorn address (only with one --api; "
                              "default 0.0.0.0:8774 / :8775)")
    repo = p.add_argument_group("the repository's copies")
    repo.add_argument("--shipped", metavar="ROOT",
                      help="write deployment/ (mod_wsgi/, apache/, uwsgi/, "
                           "gunicorn/) under ROOT with the default options, "
                           "and nothing else")
    repo.add_argument("--check", action="store_true",
                      help="with --shipped: write nothing, list the stale "
                           "files and exit 1 if there are any")
    return p


def _write(directory, name, text, out):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o644)
    print(path, file=out)


def main(argv=None, out=None):
    out = sys.stdout if out is None else out
    p = parser()
    args = p.parse_args(argv)
    if args.shipped:
        if args.check:
            stale = shipped.stale(args.shipped)
            for relpath in stale:
                print(f"stale: {relpath}", file=out)
            if stale:
                print("run: nova-wsgi-build --shipped ROOT", file=out)
            return 1 if stale else 0
        for path in shipped.write(args.shipped):
            print(path, file=out)
        return 0
    if args.check:
        p.error("--check goes with --shipped")
    apis = args.api or list(render.APIS)
    if args.bind and len(apis) != 1:
        p.error("--bind needs exactly one --api (each API has its own port)")
    directory = args.directory or os.curdir
    try:
        for api in apis:
            _write(directory, render.script_filename(api),
                   render.render_wsgi_script(
                       api, python_home=args.python_home,
                       config_dir=args.config_dir,
                       config_files=args.config_files), out)
            if args.apache:
                prefix = args.path_prefix if api == "compute" else None
                _write(args.apache,
                       render.vhost_filename(api, args.tls and not prefix,
                                             prefix),
                       render.render_vhost(
                           api, args.layout, tls=args.tls and not prefix,
                           path_prefix=prefix, processes=args.processes,
                           user=args.user, group=args.group,
                           script_dir=args.script_dir, log_dir=args.log_dir,
                           python_home=args.python_home,
                           max_request_body_size=args.max_request_body_size),
                       out)
            if args.uwsgi:
                _write(args.uwsgi, render.uwsgi_filename(api),
                       render.render_uwsgi(
                           api, bind=args.bind, processes=args.processes,
                           python_home=args.python_home,
                           config_dir=args.config_dir,
                           config_files=args.config_files), out)
            if args.gunicorn:
                _write(args.gunicorn, render.gunicorn_filename(api),
                       render.render_gunicorn(
                           api, bind=args.bind, processes=args.processes,
                           config_dir=args.config_dir,
                           config_files=args.config_files), out)
    except ValueError as exc:
        p.error(str(exc))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
