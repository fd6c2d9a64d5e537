"""``nova-wsgi-build``: write the deployment files of the two APIs.

For packagers (an RPM's ``%install``) and operators::

    nova-wsgi-build DIR                      # the two .wsgi scripts into DIR
    nova-wsgi-build --python-home /opt/nova --config-dir /etc/nova DIR
    nova-wsgi-build --layout rhel --script-dir /var/www/cgi-bin/nova \\
        --no-host-checks --apache %{buildroot}/etc/httpd/conf.d \\
        %{buildroot}/var/www/cgi-bin/nova
    nova-wsgi-build --bind compute=192.0.2.10:8774 \\
        --bind metadata=[::1]:8775 --server-name api.example.org \\
        --ssl-certificate /etc/pki/tls/certs/api.crt \\
        --ssl-certificate-key /etc/pki/tls/private/api.key \\
        --apache /etc/httpd/conf.d /var/www/cgi-bin/nova
    nova-wsgi-build --uwsgi /etc/nova/uwsgi --gunicorn /etc/nova/gunicorn DIR
    nova-wsgi-build --shipped .              # refresh the repository's copies
    nova-wsgi-build --shipped . --check      # exit 1 if any copy is stale

Everything is rendered by ``nova.packaging.render``; the options are baked
into the files. Nothing here reads nova's configuration. Warnings (a config
file order upstream Nova refuses; with --apache, a user, group or log
directory this machine lacks) go to stderr and change nothing. Standard
library only: ``python3 -m nova.cmd.wsgi_build`` runs from a source tree,
and the single-file kit (``tools/build-kit.py``) carries this module.
"""

import argparse
import os
import sys

from nova.packaging import preflight, render, shipped

_EPILOG = """\
The scripts set OS_NOVA_CONFIG_DIR / OS_NOVA_CONFIG_FILES with
os.environ.setdefault, so a value in the process environment still wins.
Upstream Nova takes the FIRST file of OS_NOVA_CONFIG_FILES as its paste
file: list api-paste.ini first (a warning says so otherwise).

Apache snippets point at the scripts in --script-dir (default: the
layout's, /var/www/cgi-bin/nova on rhel, /usr/lib/cgi-bin/nova on debian),
which is where the scripts are installed, not necessarily DIR (a build
root). Their logs go to a directory of their own (/var/log/httpd/nova,
${APACHE_LOG_DIR}/nova), which must exist, as must the daemons' user and
group: the header of each snippet has the commands, and with --apache
this command warns about any that this machine lacks (--no-host-checks
skips that, for a build root).

--bind, --server-name, --ssl-certificate and --ssl-certificate-key take
VALUE (for every API written) or API=VALUE (for that API; repeat the
option for each), e.g. --bind compute=127.0.0.1:8774 --bind
metadata=[::1]:8775. A plain --bind ADDR:PORT needs exactly one --api.
ADDR: an IPv4 address, [IPv6] or a host name; *:PORT is every address
(Apache: Listen PORT; uWSGI and gunicorn: 0.0.0.0:PORT). With
--path-prefix the compute API is served by the site's own virtual hosts:
plain values apply to the metadata API only there.
"""

PER_API = ("bind", "server_name", "ssl_certificate", "ssl_certificate_key")


def parser(prog="nova-wsgi-build"):
    p = argparse.ArgumentParser(
        prog=prog,
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
                   help="the virtualenv that holds the API's code; scripts "
                        "add it to sys.path unless the interpreter already "
                        "runs from it, vhosts set python-home=, uWSGI "
                        "virtualenv=")
    p.add_argument("--config-dir", metavar="DIR",
                   help="default OS_NOVA_CONFIG_DIR baked into the files")
    p.add_argument("--config-files", metavar="'A;B'",
                   help="default OS_NOVA_CONFIG_FILES baked into the files "
                        "(names separated by ';', the paste file first for "
                        "upstream Nova), in the order given")
    p.add_argument("--processes", type=int, metavar="N",
                   help="daemon processes / workers per API (default: 4 for "
                        "compute, 2 for metadata)")
    p.add_argument("--bind", action="append", metavar="[API=]ADDR:PORT",
                   help="where the API listens: Apache's Listen and "
                        "VirtualHost, uWSGI's and gunicorn's bind "
                        "(repeatable, see below; default: port 8774 / 8775 "
                        "on every address)")
    web = p.add_argument_group("Apache httpd + mod_wsgi")
    web.add_argument("--apache", metavar="DIR",
                     help="also write the vhost snippets into DIR")
    web.add_argument("--layout", choices=sorted(render.LAYOUTS),
                     default="rhel", help="paths of this distribution family "
                                          "(default: rhel)")
    web.add_argument("--tls", action="store_true",
                     help="serve over TLS (mod_ssl) on the API ports, with "
                          "the layout's certificate paths unless given")
    web.add_argument("--ssl-certificate", action="append",
                     metavar="[API=]PATH",
                     help="SSLCertificateFile; implies --tls for the APIs "
                          "it is given for, and needs --ssl-certificate-key")
    web.add_argument("--ssl-certificate-key", action="append",
                     metavar="[API=]PATH",
                     help="SSLCertificateKeyFile; goes with "
                          "--ssl-certificate")
    web.add_argument("--server-name", action="append", metavar="[API=]NAME",
                     help="ServerName of the virtual host")
    web.add_argument("--path-prefix", metavar="/PREFIX",
                     help="serve the compute API under this prefix on the "
                          "site's own virtual hosts (DevStack: /compute); "
                          "the metadata API keeps its port")
    web.add_argument("--script-dir", metavar="DIR",
                     help="where the scripts are installed (default: the "
                          "layout's)")
    web.add_argument("--user", default="nova",
                     help="the daemons' user (default: nova); it must exist")
    web.add_argument("--group", default="nova",
                     help="the daemons' group (default: nova); it must exist")
    web.add_argument("--log-dir", metavar="DIR",
                     help="default: the layout's (/var/log/httpd/nova, "
                          "${APACHE_LOG_DIR}/nova); it must exist")
    web.add_argument("--max-request-body-size", type=int,
                     default=render.DEFAULT_MAX_REQUEST_BODY_SIZE,
                     metavar="BYTES",
                     help="LimitRequestBody; keep it equal to "
                          "[oslo_middleware] max_request_body_size")
    web.add_argument("--no-host-checks", action="store_true",
                     help="do not look for the user, group and log "
                          "directory on this machine (package builds in a "
                          "build root)")
    servers = p.add_argument_group("uWSGI and gunicorn")
    servers.add_argument("--uwsgi", metavar="DIR",
                         help="also write the uWSGI ini files into DIR")
    servers.add_argument("--gunicorn", metavar="DIR",
                         help="also write the gunicorn config files into DIR")
    repo = p.add_argument_group("the repository's copies")
    repo.add_argument("--shipped", metavar="ROOT",
                      help="write deployment/ (mod_wsgi/, apache/, uwsgi/, "
                           "gunicorn/) under ROOT with the default options, "
                           "and nothing else")
    repo.add_argument("--check", action="store_true",
                      help="with --shipped: write nothing, list the stale "
                           "files and exit 1 if there are any")
    return p


# -- the per-API options ---------------------------------------------------

def _option(name):
    return "--" + name.replace("_", "-")


def per_api(p, name, values, apis):
    """``({api: value or None}, {apis given explicitly})`` from VALUE (every
    API) and API=VALUE (that one) of the option ``name``."""
    option = _option(name)
    default, own = None, {}
    for raw in values or ():
        key, sep, rest = raw.partition("=")
        try:
            api = render.api_info(key).key if sep else None
        except ValueError:
            api = None
        if api is None:
            if default is not None:
                p.error(f"{option} is given twice for every API; write "
                        f"{option} API=VALUE for each API")
            default = raw
            continue
        if api not in apis:
            p.error(f"{option} {raw}: the {api} API is not written here "
                    f"(--api {' --api '.join(apis)})")
        if api in own:
            p.error(f"{option} is given twice for the {api} API")
        if not rest:
            p.error(f"{option} {raw}: no value after '='")
        own[api] = rest
    if name == "bind" and default is not None and len(apis) != 1:
        p.error(f"--bind {default} needs exactly one --api (each API has "
                f"its own port); or write --bind compute=ADDR:PORT --bind "
                f"metadata=ADDR:PORT")
    explicit = set(own) | (set(apis) if default is not None and
                           len(apis) == 1 else set())
    return {api: own.get(api, default) for api in apis}, explicit


def parse_bind(p, value):
    """``ADDR:PORT`` -> ``(address or None for *, port)``."""
    host, sep, port = value.rpartition(":")
    usage = (f"--bind {value}: expected ADDR:PORT, e.g. 127.0.0.1:8774, "
             f"[::1]:8774, *:8774")
    if not sep or not host or not port.isdigit() \
            or not 0 < int(port) < 65536:
        p.error(usage)
    if host == "*":
        return None, int(port)
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        p.error(f"{usage} (an IPv6 address goes in brackets)")
    try:
        return render.listen_host(host), int(port)
    except ValueError as exc:
        p.error(f"--bind {value}: {exc}")
    raise AssertionError("unreachable")  # p.error exits


def bind_string(address, port):
    """The bind of uWSGI and gunicorn: ``*`` is 0.0.0.0 there."""
    return f"{address or '0.0.0.0'}:{port}"


def resolve(p, args, apis):
    """``{api: {option: value}}`` of the per-API options, checked."""
    values = {}
    for name in PER_API:
        got, explicit = per_api(p, name, getattr(args, name), apis)
        values[name] = (got, explicit)
    options = {api: {name: values[name][0][api] for name in PER_API}
               for api in apis}
    explicit = {name: values[name][1] for name in PER_API}
    servers = args.uwsgi or args.gunicorn
    for name in PER_API[1:]:
        if any(options[api][name] for api in apis) and not args.apache:
            p.error(f"{_option(name)} goes with --apache")
    if any(options[api]["bind"] for api in apis) and not (
            args.apache or servers):
        p.error("--bind goes with --apache, --uwsgi or --gunicorn")
    for api in apis:
        opts = options[api]
        if opts["bind"]:
            opts["bind"] = parse_bind(p, opts["bind"])
        if api == "compute" and args.path_prefix:
            # The prefix snippet is served by the site's own vhosts.
            for name in PER_API:
                if name == "bind" and servers:
                    continue
                if "compute" in explicit[name]:
                    p.error(f"{_option(name)} for the compute API does not "
                            f"combine with --path-prefix: the site's own "
                            f"virtual hosts serve it, on their ports, names "
                            f"and certificates")
            continue
        if bool(opts["ssl_certificate"]) != bool(opts["ssl_certificate_key"]):
            p.error(f"--ssl-certificate and --ssl-certificate-key go "
                    f"together (missing one for the {api} API)")
    return options


# -- writing ---------------------------------------------------------------

def _write(directory, name, text, out):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o644)
    print(path, file=out)


def _warn(p, message):
    print(f"{p.prog}: warning: {message}", file=sys.stderr)


def _shipped(args, out):
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


def main(argv=None, out=None, prog="nova-wsgi-build"):
    out = sys.stdout if out is None else out
    p = parser(prog)
    args = p.parse_args(argv)
    if args.shipped:
        return _shipped(args, out)
    if args.check:
        p.error("--check goes with --shipped")
    apis = list(dict.fromkeys(args.api or render.APIS))
    options = resolve(p, args, apis)
    directory = args.directory or os.curdir
    if args.config_files:
        warning = preflight.config_files_warning(args.config_files)
        if warning:
            _warn(p, warning)
    try:
        files = []
        for api in apis:
            opts = options[api]
            files.append((directory, render.script_filename(api),
                          render.render_wsgi_script(
                              api, python_home=args.python_home,
                              config_dir=args.config_dir,
                              config_files=args.config_files)))
            if args.apache:
                prefix = args.path_prefix if api == "compute" else None
                vhost = {} if prefix else dict(
                    tls=bool(args.tls or opts["ssl_certificate"]),
                    server_name=opts["server_name"],
                    ssl_certificate=opts["ssl_certificate"],
                    ssl_certificate_key=opts["ssl_certificate_key"])
                if opts["bind"] and not prefix:
                    vhost.update(listen_address=opts["bind"][0],
                                 port=opts["bind"][1])
                files.append((args.apache,
                              render.vhost_filename(
                                  api, vhost.get("tls", False), prefix),
                              render.render_vhost(
                                  api, args.layout, path_prefix=prefix,
                                  processes=args.processes, user=args.user,
                                  group=args.group,
                                  script_dir=args.script_dir,
                                  log_dir=args.log_dir,
                                  python_home=args.python_home,
                                  max_request_body_size=(
                                      args.max_request_body_size),
                                  **vhost)))
            bind = bind_string(*opts["bind"]) if opts["bind"] else None
            if args.uwsgi:
                files.append((args.uwsgi, render.uwsgi_filename(api),
                              render.render_uwsgi(
                                  api, bind=bind, processes=args.processes,
                                  python_home=args.python_home,
                                  config_dir=args.config_dir,
                                  config_files=args.config_files)))
            if args.gunicorn:
                files.append((args.gunicorn, render.gunicorn_filename(api),
                              render.render_gunicorn(
                                  api, bind=bind, processes=args.processes,
                                  config_dir=args.config_dir,
                                  config_files=args.config_files)))
    except ValueError as exc:
        p.error(str(exc))
    # Everything rendered: nothing is written when an option is wrong.
    for where, name, text in files:
        _write(where, name, text, out)
    if args.apache and not args.no_host_checks:
        logs = any(api != "compute" or not args.path_prefix for api in apis)
        for warning in preflight.host_warnings(
                args.layout, args.user, args.group, args.log_dir, logs=logs):
            _warn(p, warning)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
