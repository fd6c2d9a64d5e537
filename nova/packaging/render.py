"""Render the deployment files of the two APIs: pure functions, text out.

Each ``render_*`` function fills one template of ``templates/`` (package
data) from its arguments and returns the text; nothing is read from the
environment and nothing is written. Standard library only, and no import of
the rest of ``nova``: ``setup.py`` loads this file by path at build time,
before the project's dependencies exist.

- ``render_wsgi_script``: ``nova-compute-api.wsgi`` / ``nova-metadata.wsgi``
  for mod_wsgi (``WSGIScriptAlias``): import ``application`` from the entry
  module, after optional ``os.environ.setdefault`` config defaults and an
  optional virtualenv activation.
- ``render_vhost``: an Apache snippet for one API (RHEL or Debian paths;
  plain, TLS, or under a path prefix on the site's own virtual hosts).
- ``render_uwsgi``, ``render_gunicorn``: a config file for one API served
  from its module path.

``api`` is ``"compute"`` or ``"metadata"`` (``"osapi_compute"`` and the file
stems ``"nova-compute-api"``/``"nova-metadata"`` are accepted too).
"""

import dataclasses
import os
import string

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "templates")

# As nova.config_files; not imported (see above).
ENV_DIR = "OS_NOVA_CONFIG_DIR"
ENV_FILES = "OS_NOVA_CONFIG_FILES"

# The default of [oslo_middleware] max_request_body_size (nova/conf).
DEFAULT_MAX_REQUEST_BODY_SIZE = 114688


@dataclasses.dataclass(frozen=True)
class Api:
    key: str  # "compute" / "metadata"
    name: str  # file stem, process group, process name
    title: str
    module: str  # the entry module; ``application`` is in it
    port: int
    processes: int  # default workers


APIS = {
    "compute": Api("compute", "nova-compute-api", "compute API",
                   "nova.wsgi.osapi_compute", 8774, 4),
    "metadata": Api("metadata", "nova-metadata", "metadata API",
                    "nova.wsgi.metadata", 8775, 2),
}
_ALIASES = {"osapi_compute": "compute", "nova-compute-api": "compute",
            "nova-metadata": "metadata"}


@dataclasses.dataclass(frozen=True)
class Layout:
    key: str
    script_dir: str  # where the .wsgi scripts are installed
    log_dir: str
    ssl_certificate: str
    ssl_certificate_key: str
    install: str  # where a snippet goes: a comment for its header
    install_prefix: str  # the same for a server-level (path prefix) one
    mod_ssl: str  # how to get mod_ssl


LAYOUTS = {
    "rhel": Layout(
        "rhel", "/var/www/cgi-bin/nova", "/var/log/httpd",
        "/etc/pki/tls/certs/nova.crt", "/etc/pki/tls/private/nova.key",
        install=("# RHEL family: install as /etc/httpd/conf.d/{file}\n"
                 "# (mod_wsgi from python3-mod_wsgi).\n"),
        install_prefix=("# RHEL family: install as /etc/httpd/conf.d/{file}\n"
                        "# (mod_wsgi from python3-mod_wsgi).\n"),
        mod_ssl="dnf install mod_ssl"),
    "debian": Layout(
        "debian", "/usr/lib/cgi-bin/nova", "${APACHE_LOG_DIR}",
        "/etc/ssl/certs/nova.pem", "/etc/ssl/private/nova.key",
        install=("# Debian family: install as /etc/apache2/sites-available/"
                 "{file}\n# and run a2ensite {stem} (mod_wsgi from "
                 "libapache2-mod-wsgi-py3).\n"),
        install_prefix=("# Debian family: install as /etc/apache2/"
                        "conf-available/{file}\n# and run a2enconf {stem} "
                        "(mod_wsgi from libapache2-mod-wsgi-py3).\n"),
        mod_ssl="a2enmod ssl"),
}

# Apache's access log: the combined format with X-Forwarded-For second and
# the request time in microseconds (%D) before referer and user agent.
APACHE_LOG_FORMAT = ('%h %{X-Forwarded-For}i %l %u %t \\"%r\\" %>s %b %D '
                     '\\"%{Referer}i\\" \\"%{User-Agent}i\\"')
GUNICORN_LOG_FORMAT = ('%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s '
                       '"%(r)s" %(s)s %(b)s %(D)s "%(f)s" "%(a)s"')


def api_info(api):
    """The ``Api`` named ``api``; ``ValueError`` names the choices."""
    key = _ALIASES.get(api, api)
    if key not in APIS:
        raise ValueError(f"unknown API {api!r}; expected one of "
                         f"{', '.join(APIS)}")
    return APIS[key]


def layout_info(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of "
                         f"{', '.join(LAYOUTS)}")
    return LAYOUTS[layout]


# -- file names -------------------------------------------------------------

def script_filename(api):
    return f"{api_info(api).name}.wsgi"


def vhost_filename(api, tls=False, path_prefix=None):
    """``nova-compute-api.conf``, ``-tls.conf``, ``-prefix.conf``."""
    name = api_info(api).name
    if path_prefix:
        return f"{name}-prefix.conf"
    return f"{name}-tls.conf" if tls else f"{name}.conf"


def uwsgi_filename(api):
    return f"{api_info(api).name}.ini"


def gunicorn_filename(api):
    return f"{api_info(api).name}.conf.py"


# -- the renderers -----------------------------------------------------------

def render_wsgi_script(api, python_home=None, config_dir=None,
                       config_files=None):
    """The ``.wsgi`` script of ``api``.

    ``config_dir`` / ``config_files`` (a ``;``-separated string or a list of
    names) become ``os.environ.setdefault`` defaults: applied under
    mod_wsgi, where no process environment is set, while a variable set in
    the environment still wins. ``python_home`` (a virtualenv) is put on
    ``sys.path`` unless the interpreter already runs from it
    (``WSGIDaemonProcess python-home=`` or the virtualenv's own server).
    """
    info = api_info(api)
    imports = []
    python_home_block = config_block = ""
    if python_home:
        python_home = _abs_path("python_home", python_home)
        imports += ["os", "site", "sys"]
        python_home_block = _template(
            "wsgi-script-python-home.tmpl").substitute(
                python_home=_py_str(python_home),
                python_home_plain=python_home)
    setdefaults = _setdefault_lines(config_dir, config_files)
    if setdefaults:
        imports.append("os")
        config_block = _template("wsgi-script-config.tmpl").substitute(
            setdefaults=setdefaults)
    import_lines = "".join(f"import {name}\n"
                           for name in sorted(set(imports)))
    return _template("wsgi-script.tmpl").substitute(
        filename=script_filename(api), title=info.title, module=info.module,
        imports="\n" + import_lines if import_lines else "",
        python_home_block=python_home_block, config_block=config_block)


def render_vhost(api, layout="rhel", tls=False, path_prefix=None, *,
                 port=None, listen_address=None, server_name=None,
                 processes=None, threads=1, user="nova", group="nova",
                 script_dir=None, log_dir=None, python_home=None,
                 max_request_body_size=DEFAULT_MAX_REQUEST_BODY_SIZE,
                 request_timeout=60, queue_timeout=45, graceful_timeout=15,
                 ssl_certificate=None, ssl_certificate_key=None):
    """The Apache snippet of ``api`` for ``layout`` (``rhel``/``debian``).

    Plain: ``Listen`` and a ``<VirtualHost>`` on the API's port (8774 for
    compute, 8775 for metadata). ``tls``: the same over mod_ssl with the
    layout's certificate paths. ``path_prefix`` (``/compute``): server-level
    directives that serve the API under the prefix on the site's own
    virtual hosts (80/443, as DevStack does); no ``Listen``, so ``port``,
    ``listen_address``, ``server_name`` and ``tls`` do not combine with it.
    Paths default to the layout's: ``script_dir`` (where the ``.wsgi``
    scripts are installed), ``log_dir``, the certificate and its key.
    ``python_home`` adds ``python-home=`` to the daemon.
    """
    info = api_info(api)
    lay = layout_info(layout)
    processes = _processes(processes, info)
    script_dir = _abs_path("script_dir", script_dir or lay.script_dir)
    values = dict(
        name=info.name, title=info.title, process_group=info.name,
        processes=processes, threads=_positive("threads", threads),
        user=_word("user", user), group=_word("group", group),
        python_home="",
        request_timeout=_positive("request_timeout", request_timeout),
        queue_timeout=_positive("queue_timeout", queue_timeout),
        graceful_timeout=_positive("graceful_timeout", graceful_timeout),
        max_request_body_size=_non_negative("max_request_body_size",
                                            max_request_body_size),
        script_dir=script_dir, script_name=script_filename(api),
        script=_path_join(script_dir, script_filename(api)),
        log_format=APACHE_LOG_FORMAT)
    if python_home:
        values["python_home"] = (
            " python-home=" + _abs_path("python_home", python_home))
    if path_prefix is not None:
        path_prefix = _prefix(path_prefix)
        for option, value in (("tls", tls), ("port", port),
                              ("listen_address", listen_address),
                              ("server_name", server_name)):
            if value:
                raise ValueError(
                    f"{option} does not combine with path_prefix: the "
                    f"prefix snippet is served by the site's own virtual "
                    f"hosts, on their ports and with their TLS settings")
        filename = vhost_filename(api, path_prefix=path_prefix)
        values.update(
            filename=filename, path_prefix=path_prefix,
            install_note=_install_note(lay.install_prefix, filename))
        return _template("vhost-prefix.conf.tmpl").substitute(values)
    port = _port(info.port if port is None else port)
    log_dir = _abs_or_var("log_dir", log_dir or lay.log_dir)
    listen = f"{port}"
    if listen_address:
        listen = f"{_word('listen_address', listen_address)}:{port}"
    if tls:
        listen += " https"
    values.update(
        filename=vhost_filename(api, tls=tls), port=port, listen=listen,
        over_tls=" over TLS" if tls else "",
        needs=f" and mod_ssl ({lay.mod_ssl})" if tls else "",
        install_note=_install_note(lay.install, vhost_filename(api, tls)),
        server_name=(f"    ServerName {_word('server_name', server_name)}\n"
                     if server_name else ""),
        ssl_block="", log_dir=log_dir)
    if tls:
        values["ssl_block"] = _template("vhost-tls.tmpl").substitute(
            ssl_certificate=_abs_path(
                "ssl_certificate", ssl_certificate or lay.ssl_certificate),
            ssl_certificate_key=_abs_path(
                "ssl_certificate_key",
                ssl_certificate_key or lay.ssl_certificate_key)) + "\n"
    return _template("vhost.conf.tmpl").substitute(values)


def render_uwsgi(api, *, bind=None, processes=None, python_home=None,
                 config_dir=None, config_files=None, request_timeout=60,
                 graceful_timeout=15):
    """The uWSGI ini of ``api``, serving HTTP/1.1 itself on ``bind``.

    ``bind`` defaults to ``0.0.0.0:<port>``. ``python_home`` becomes
    uWSGI's ``virtualenv``; ``config_dir``/``config_files`` are defaults
    set only when the variable is not in the environment, as in the
    ``.wsgi`` scripts.
    """
    info = api_info(api)
    extra = []
    if python_home:
        python_home = _uwsgi_value(
            "python_home", _abs_path("python_home", python_home))
        extra.append(f"virtualenv = {python_home}")
    for var, value in _config_values(config_dir, config_files):
        value = _uwsgi_value(var, value)
        if not extra or extra[-1] != "endif =":
            extra.append("# Baked-in defaults; a value set in the process "
                         "environment wins.")
        extra += [f"if-not-env = {var}", f"env = {var}={value}", "endif ="]
    return _template("uwsgi.ini.tmpl").substitute(
        filename=uwsgi_filename(api), title=info.title, module=info.module,
        name=info.name, bind=_bind(bind, info), extra="\n".join(extra),
        processes=_processes(processes, info),
        request_timeout=_positive("request_timeout", request_timeout),
        graceful_timeout=_positive("graceful_timeout", graceful_timeout),
    ).rstrip("\n") + "\n"


def render_gunicorn(api, *, bind=None, processes=None, config_dir=None,
                    config_files=None, request_timeout=60,
                    graceful_timeout=15):
    """The gunicorn config file (Python) of ``api``, bound to ``bind``.

    ``bind`` defaults to ``0.0.0.0:<port>``; gunicorn's ``--bind`` on the
    command line replaces it. ``config_dir``/``config_files`` are
    ``os.environ.setdefault`` defaults, as in the ``.wsgi`` scripts.
    """
    info = api_info(api)
    config_block = ""
    setdefaults = _setdefault_lines(config_dir, config_files)
    if setdefaults:
        config_block = "\nimport os\n" + _template(
            "wsgi-script-config.tmpl").substitute(setdefaults=setdefaults)
    return _template("gunicorn.conf.py.tmpl").substitute(
        filename=gunicorn_filename(api), title=info.title,
        module=info.module, name=info.name,
        config_block=config_block, bind=_py_str(_bind(bind, info)),
        processes=_processes(processes, info),
        request_timeout=_positive("request_timeout", request_timeout),
        graceful_timeout=_positive("graceful_timeout", graceful_timeout),
        log_format=GUNICORN_LOG_FORMAT)


# -- helpers -----------------------------------------------------------------

_CACHE = {}


def _template(name):
    if name not in _CACHE:
        with open(os.path.join(TEMPLATES, name), encoding="utf-8") as fh:
            _CACHE[name] = string.Template(fh.read())
    return _CACHE[name]


def _install_note(note, filename):
    return note.format(file=filename, stem=filename.rsplit(".", 1)[0])


def _config_values(config_dir, config_files):
    values = []
    if config_dir:
        values.append((ENV_DIR, _abs_path("config_dir", config_dir)))
    if config_files:
        if isinstance(config_files, str):
            names = [name.strip() for name in config_files.split(";")]
        else:
            names = [str(name).strip() for name in config_files]
        names = [name for name in names if name]
        for name in names:
            if ";" in name or _bad_chars(name):
                raise ValueError(f"config_files: bad file name {name!r}")
        if not names:
            raise ValueError(f"config_files {config_files!r} names no file")
        values.append((ENV_FILES, ";".join(names)))
    return values


def _setdefault_lines(config_dir, config_files):
    return "".join(f"os.environ.setdefault({_py_str(var)}, {_py_str(value)})\n"
                   for var, value in _config_values(config_dir, config_files)
                   ).rstrip("\n")


def _py_str(value):
    """A Python string literal, double-quoted when it can be."""
    text = repr(str(value))
    if text.startswith("'") and '"' not in value and "\\" not in text:
        text = '"' + text[1:-1] + '"'
    return text


def _bad_chars(value):
    return any(ch in value for ch in '"\n\r\t\0') or value != value.strip()


def _abs_path(option, value):
    value = str(value)
    if not os.path.isabs(value) or _bad_chars(value) or " " in value:
        raise ValueError(f"{option}: {value!r} is not an absolute path "
                         f"without blanks or quotes")
    return os.path.normpath(value)


def _abs_or_var(option, value):
    """An absolute path, or one starting with an Apache ${VARIABLE}."""
    if str(value).startswith("${"):
        if _bad_chars(value) or " " in value:
            raise ValueError(f"{option}: bad value {value!r}")
        return value
    return _abs_path(option, value)


def _path_join(directory, name):
    return directory.rstrip("/") + "/" + name


def _word(option, value):
    value = str(value)
    if not value or any(ch.isspace() for ch in value) or _bad_chars(value):
        raise ValueError(f"{option}: {value!r} must be one word")
    return value


def _positive(option, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{option}: {value!r} is not a positive integer")
    return value


def _processes(value, info):
    return _positive("processes", info.processes if value is None else value)


def _non_negative(option, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{option}: {value!r} is not an integer >= 0")
    return value


def _port(value):
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 0 < value < 65536:
        raise ValueError(f"port: {value!r} is not a TCP port")
    return value


def _prefix(value):
    value = "/" + str(value).strip().strip("/")
    if value == "/" or _bad_chars(value) or " " in value:
        raise ValueError(f"path_prefix: {value!r} must be a path like "
                         f"/compute (use no prefix to serve at /)")
    return value


def _bind(bind, info):
    if bind is None:
        return f"0.0.0.0:{info.port}"
    return _word("bind", bind)


def _uwsgi_value(option, value):
    # uWSGI expands %x, $(VAR) and @(file) in option values.
    if any(mark in value for mark in ("%", "$(", "@(")):
        raise ValueError(f"{option}: {value!r} holds characters uWSGI "
                         f"would expand (%, $( or @()")
    return value
