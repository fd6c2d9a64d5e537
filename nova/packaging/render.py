"""Render the deployment files of the two APIs: pure functions, text out.

Each ``render_*`` function fills one template of ``templates/`` (package
data) from its arguments and returns the text; nothing is read from the
environment and nothing is written. Standard library only, and no import of
the rest of ``nova`` but ``nova.packaging``: ``setup.py`` imports it at
build time, before the project's dependencies exist, and the single-file
kit (``tools/build-kit.py``) carries it with its templates. The APIs and
the layouts are in ``nova.packaging.layouts``.

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

import ipaddress
import os
import string

# APIS and LAYOUTS are re-exported: callers know them as render.APIS, ...
from nova.packaging.layouts import APIS as APIS
from nova.packaging.layouts import LAYOUTS as LAYOUTS
from nova.packaging.layouts import api_info, host_note, layout_info

# Read through the module's loader (``_template``), so that the templates
# load from a source tree, an installed package and the single-file kit (a
# zip archive) alike; no abspath, which would break the zip's relative path.
TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")

# As nova.config_files; not imported (see above).
ENV_DIR = "OS_NOVA_CONFIG_DIR"
ENV_FILES = "OS_NOVA_CONFIG_FILES"

# The default of [oslo_middleware] max_request_body_size (nova/conf).
DEFAULT_MAX_REQUEST_BODY_SIZE = 114688


# Apache's access log: the combined format with X-Forwarded-For second and
# the request time in microseconds (%D) before referer and user agent.
APACHE_LOG_FORMAT = ('%h %{X-Forwarded-For}i %l %u %t \\"%r\\" %>s %b %D '
                     '\\"%{Referer}i\\" \\"%{User-Agent}i\\"')
GUNICORN_LOG_FORMAT = ('%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s '
                       '"%(r)s" %(s)s %(b)s %(D)s "%(f)s" "%(a)s"')


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
    ``listen_address`` may be IPv6 (``::1`` or ``[::1]``); the certificate
    paths go with ``tls``. Paths default to the layout's: ``script_dir``
    (where the ``.wsgi`` scripts are installed), ``log_dir`` (a directory
    of its own under Apache's), the certificate and its key.
    ``python_home`` adds ``python-home=`` to the daemon. The header names
    what must exist before Apache starts (``user``, ``group``,
    ``log_dir``) and the commands that create them.
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
                              ("server_name", server_name),
                              ("ssl_certificate", ssl_certificate),
                              ("ssl_certificate_key", ssl_certificate_key)):
            if value:
                raise ValueError(
                    f"{option} does not combine with path_prefix: the "
                    f"prefix snippet is served by the site's own virtual "
                    f"hosts, on their ports and with their TLS settings")
        filename = vhost_filename(api, path_prefix=path_prefix)
        values.update(
            filename=filename, path_prefix=path_prefix,
            install_note=_install_note(lay.install_prefix, filename),
            host_note=host_note(layout, user, group))
        return _template("vhost-prefix.conf.tmpl").substitute(values)
    if not tls:
        for option, value in (("ssl_certificate", ssl_certificate),
                              ("ssl_certificate_key", ssl_certificate_key)):
            if value:
                raise ValueError(f"{option} goes with tls")
    port = _port(info.port if port is None else port)
    log_dir = _abs_or_var("log_dir", log_dir or lay.log_dir)
    listen = f"{port}"
    if listen_address:
        listen = f"{listen_host(listen_address)}:{port}"
    if tls:
        listen += " https"
    values.update(
        filename=vhost_filename(api, tls=tls), port=port, listen=listen,
        over_tls=" over TLS" if tls else "",
        needs=f" and mod_ssl ({lay.mod_ssl})" if tls else "",
        install_note=_install_note(lay.install, vhost_filename(api, tls)),
        server_name=(f"    ServerName {_word('server_name', server_name)}\n"
                     if server_name else ""),
        ssl_block="", log_dir=log_dir,
        host_note=host_note(layout, user, group, log_dir))
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
        path = os.path.join(TEMPLATES, name)
        loader = globals().get("__loader__")
        if hasattr(loader, "get_data"):  # a file or a zip archive
            data = loader.get_data(path)
        else:
            with open(path, "rb") as fh:
                data = fh.read()
        _CACHE[name] = string.Template(data.decode("utf-8"))
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


def listen_host(address):
    """An address as Apache's Listen (and gunicorn, uWSGI) write it: IPv6
    in brackets (``::1`` or ``[::1]`` -> ``[::1]``), others as they are."""
    address = str(address)
    bare = address[1:-1] if address.startswith("[") and \
        address.endswith("]") else address
    if ":" in bare:
        try:
            return f"[{ipaddress.IPv6Address(bare)}]"
        except ValueError:
            raise ValueError(f"listen_address: {address!r} is not an IPv6 "
                             f"address") from None
    return _word("listen_address", bare)


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
