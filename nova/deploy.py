"""Find the config files, parse them, set up logging and load one paste app.

This is the only module that reads the process environment. Everything it
builds is passed down as objects (the ``ConfigOpts`` travels to the paste
factories through ``loading_conf()``), so a failed load leaves nothing
behind: the next load starts from scratch and either succeeds or raises the
same ``StartupError``.

Compatible with upstream Nova: the directory comes from
``OS_NOVA_CONFIG_DIR`` (default ``/etc/nova``, blanks stripped), the names
from ``OS_NOVA_CONFIG_FILES`` split on ``;`` (default
``api-paste.ini;nova.conf``), each joined onto the directory. Better than
upstream: the paste file is found wherever it stands in the list (``[wsgi]
api_paste_config`` names it), empty entries are ignored,
``<dir>/nova.conf.d/*.conf`` is read after the listed files, and
``sys.argv`` is never parsed.
"""

import contextvars
import dataclasses
import gc
import logging
import os
import re
import threading

from oslo_config import cfg

ENV_DIR = "OS_NOVA_CONFIG_DIR"
ENV_FILES = "OS_NOVA_CONFIG_FILES"
DEFAULT_DIR = "/etc/nova"
DEFAULT_FILES = "api-paste.ini;nova.conf"
CONF_D = "nova.conf.d"

APIS = ("osapi_compute", "metadata")

PACKAGED_PASTE = os.path.join(os.path.dirname(__file__), "etc", "api-paste.ini")

LOG = logging.getLogger(__name__)

_HINT = (
    "Set {dir} to the directory that holds the files and {files} to their "
    "names separated by ';' (under mod_wsgi, SetEnv does not reach the "
    "process: set them in the .wsgi script or the daemon's environment)."
).format(dir=ENV_DIR, files=ENV_FILES)


class StartupError(RuntimeError):
    """The API cannot start; the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class ConfigSources:
    """Where the configuration of one process comes from."""

    directory: str
    files: tuple  # the listed files, in order, as paths
    conf_d: tuple  # <directory>/nova.conf.d/*.conf, in name order
    files_setting: str  # the raw OS_NOVA_CONFIG_FILES value (or default)
    from_env: bool  # whether OS_NOVA_CONFIG_FILES was set

    @property
    def all_files(self):
        return self.files + self.conf_d


def find_config(environ=None):
    """Work out the config files from the environment, upstream's way."""
    environ = os.environ if environ is None else environ
    directory = environ.get(ENV_DIR, DEFAULT_DIR).strip()
    from_env = ENV_FILES in environ
    setting = environ.get(ENV_FILES, DEFAULT_FILES)
    names = [name.strip() for name in setting.split(";")]
    files = tuple(os.path.join(directory, name) for name in names if name)
    if not files:
        raise StartupError(
            f"{ENV_FILES}={setting!r} names no file. {_HINT}")
    conf_d_dir = os.path.join(directory, CONF_D)
    conf_d = ()
    if os.path.isdir(conf_d_dir):
        conf_d = tuple(
            os.path.join(conf_d_dir, name)
            for name in sorted(os.listdir(conf_d_dir))
            if name.endswith(".conf")
            and os.path.isfile(os.path.join(conf_d_dir, name)))
    return ConfigSources(directory, files, conf_d, setting, from_env)


def _check_readable(path, sources):
    where = (f"listed in {ENV_FILES}={sources.files_setting!r}"
             if sources.from_env else
             f"from the default {ENV_FILES} list {DEFAULT_FILES!r}")
    if path in sources.conf_d:
        where = f"found in {os.path.join(sources.directory, CONF_D)}"
    where += f", in {ENV_DIR}={sources.directory!r}"
    try:
        os.stat(path)
    except PermissionError:
        raise StartupError(
            f"Config file {path} cannot be reached by this process (uid "
            f"{os.getuid()}): a directory on its path denies access "
            f"({where}). Let the API's user traverse the directories."
        ) from None
    except OSError:
        raise StartupError(
            f"Config file {path} does not exist ({where}). {_HINT}") from None
    if os.path.isdir(path):
        raise StartupError(
            f"Config file {path} is a directory, not a file ({where}). "
            f"{_HINT}")
    if not os.access(path, os.R_OK):
        raise StartupError(
            f"Config file {path} cannot be read by this process (uid "
            f"{os.getuid()}, gid {os.getgid()}) ({where}). Give the user the "
            f"API runs as read access (packages use mode 0640 root:nova).")


def build_conf(sources):
    """Parse the files into a new ``ConfigOpts``; every value is checked."""
    from nova import conf as nova_conf

    for path in sources.all_files:
        _check_readable(path, sources)
    conf = cfg.ConfigOpts()
    nova_conf.register_opts(conf)
    try:
        conf(args=[], project="nova", prog="nova-api",
             default_config_files=list(sources.all_files),
             default_config_dirs=[])
    except cfg.ConfigFileParseError as exc:
        raise StartupError(
            f"Config file {exc.config_file} cannot be parsed: {exc.msg}. "
            f"Fix the line, or remove the file from {ENV_FILES}.") from None
    except cfg.Error as exc:
        raise StartupError(f"Configuration error: {exc}. {_HINT}") from None
    validate(conf)
    return conf


def validate(conf):
    """Read every registered option so a bad value fails now, by name."""
    for group_name, opt in _all_opts(conf):
        group = conf if group_name is None else conf[group_name]
        try:
            group[opt.dest]
        except (ValueError, cfg.Error) as exc:
            match = _LOCATION.search(str(exc))
            where = match.group(1) if match else ""
            section = group_name or "DEFAULT"
            raise StartupError(
                f"Invalid value for option [{section}] {opt.name}"
                + (f" in {where}" if where else "")
                + f": {_reason(exc)}") from None


_LOCATION = re.compile(r"detail='([^']*)'\)")


def _all_opts(conf):
    for opt_info in conf._opts.values():  # noqa: SLF001 - no public iterator
        yield None, opt_info["opt"]
    for group_name in conf:
        group = conf[group_name]
        if isinstance(group, cfg.ConfigOpts.GroupAttr):
            for opt_info in group._group._opts.values():  # noqa: SLF001
                yield group_name, opt_info["opt"]


def _reason(exc):
    text = str(exc)
    # oslo.config wraps the real reason after "is not valid: ".
    marker = "is not valid: "
    return text.split(marker, 1)[1] if marker in text else text


def may_be_set(conf, group, name):
    """Whether option ``[group] name`` can have a value other than its
    default, without registering it: its section is in a parsed config
    file, or the environment variable that oslo.config reads for it
    (``OS_<GROUP>__<NAME>``) is set.

    For options of libraries that are imported only when the feature is
    used (oslo.middleware's CORS and proxy headers): when this is False,
    the option holds its default.
    """
    return (group in conf.list_all_sections()
            or f"OS_{group.upper()}__{name.upper()}" in os.environ)


def find_paste_file(conf, sources):
    """The PasteDeploy file: named by [wsgi] api_paste_config."""
    name = conf.wsgi.api_paste_config.strip()
    if os.path.isabs(name):
        candidates = [name]
    else:
        listed = [path for path in sources.files
                  if path == os.path.join(sources.directory, name)
                  or os.path.basename(path) == name]
        candidates = listed or [os.path.join(sources.directory, name)]
    for path in candidates:
        if os.path.isfile(path):
            if not os.access(path, os.R_OK):
                raise StartupError(
                    f"Paste file {path} ([wsgi] api_paste_config = {name!r}) "
                    f"cannot be read by this process (uid {os.getuid()}).")
            return path
    if name == conf.wsgi._group._opts["api_paste_config"]["opt"].default:  # noqa: SLF001
        return PACKAGED_PASTE
    raise StartupError(
        f"Paste file {candidates[0]} named by [wsgi] api_paste_config = "
        f"{name!r} does not exist (looked among the files of {ENV_FILES} and "
        f"in {ENV_DIR}={sources.directory!r}). Fix the option, or add the "
        f"file to {ENV_FILES}.")


# -- logging --------------------------------------------------------------

request_id_var = contextvars.ContextVar("nova_request_id", default="-")


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


_OUR_HANDLER = "_nova_handler"


def setup_logging(conf):
    """Configure the root logger from [DEFAULT]; safe to call again."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OUR_HANDLER, False):
            root.removeHandler(handler)
            handler.close()
    if conf.log_config_append:
        from logging import config as logging_config

        try:
            logging_config.fileConfig(conf.log_config_append,
                                      disable_existing_loggers=False)
        except Exception as exc:
            raise StartupError(
                f"[DEFAULT] log_config_append = {conf.log_config_append}: "
                f"cannot configure logging from it: {exc}") from None
        for handler in root.handlers:
            handler.addFilter(_RequestIdFilter())
            handler.addFilter(_OneLineFault())
        return
    if conf.log_file:
        path = conf.log_file
        if conf.log_dir and not os.path.isabs(path):
            path = os.path.join(conf.log_dir, path)
        try:
            handler = logging.FileHandler(path)
        except OSError as exc:
            raise StartupError(
                f"[DEFAULT] log_file: cannot open {path} for writing "
                f"({exc.strerror}). Create the directory and give the API's "
                f"user write access, or unset log_file to log to stderr."
            ) from None
    else:
        handler = logging.StreamHandler()
    setattr(handler, _OUR_HANDLER, True)
    handler.setFormatter(logging.Formatter(conf.log_format))
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(_OneLineFault())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
    for noisy in ("keystonemiddleware", "keystoneauth", "urllib3"):
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if conf.debug else logging.WARNING)


class _OneLineFault(logging.Filter):
    """SQLAlchemy's pool logs a whole traceback when it cannot roll back a
    connection the database dropped (an outage the API already reports as
    503): one line naming the driver's error instead (never the SQL)."""

    def filter(self, record):
        if (record.name.startswith("sqlalchemy.pool") and record.exc_info
                and record.exc_info[1] is not None):
            exc = record.exc_info[1]
            first = (str(exc).splitlines() or [""])[0][:300]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: " \
                         f"{first}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


# -- loading --------------------------------------------------------------

_loading_conf = contextvars.ContextVar("nova_loading_conf", default=None)
_load_lock = threading.Lock()
_loaded_api = None


def loading_conf():
    """The ``ConfigOpts`` of the app being loaded, for paste factories.

    Outside ``load_app`` (someone loading our paste file with plain
    PasteDeploy, ``gunicorn --paste``), the configuration is read from the
    environment as ``load_app`` would.
    """
    conf = _loading_conf.get()
    if conf is None:
        conf = build_conf(find_config())
    return conf


def load_app(name, environ=None, freeze=False):
    """Build the WSGI application ``name`` (``osapi_compute``/``metadata``).

    ``freeze`` (the entry modules, which a server process imports once):
    once loaded, move every object that exists to the garbage collector's
    permanent generation (``gc.freeze()``). They live as long as the
    process anyway; the collector no longer walks them on each full
    collection, and, above all, the interpreter's finalization at exit
    stops collecting them again and again: a mod_wsgi daemon that Apache
    stops on a graceful restart exits in a tenth of a second instead of
    seconds of CPU, time during which no daemon listens, the Apache
    workers of the old generation are starved of CPU and keep taking
    requests that they can no longer forward (503, WSGI0117).

    The entry modules also make the garbage collector run rarely while
    they import and build the API (``nova/wsgi/__init__.py``).
    """
    global _loaded_api
    if name not in APIS:
        raise StartupError(f"Unknown API {name!r}; this project serves "
                           f"{', '.join(APIS)}.")
    with _load_lock:
        if _loaded_api is not None and _loaded_api != name:
            raise StartupError(
                f"This process already serves the {_loaded_api} API; the "
                f"{name} API must run in a process of its own. Use separate "
                f"processes: one mod_wsgi daemon process group per API "
                f"(WSGIDaemonProcess + WSGIProcessGroup), or separate "
                f"gunicorn/uWSGI instances.")
        sources = find_config(environ)
        conf = build_conf(sources)
        setup_logging(conf)
        paste_file = find_paste_file(conf, sources)
        app = _loadapp(paste_file, name, conf)
        _loaded_api = name
        if freeze:
            # No gc.collect() first: it would cost more start-up time
            # than the few hundred objects of garbage it would spare.
            gc.freeze()
    LOG.info("Loaded the %s API from %s (config: %s)", name, paste_file,
             ", ".join(sources.all_files))
    return app


def _loadapp(paste_file, name, conf):
    from paste import deploy

    token = _loading_conf.set(conf)
    try:
        return deploy.loadapp(f"config:{paste_file}", name=name)
    except StartupError:
        raise
    except LookupError as exc:
        raise StartupError(
            f"Paste file {paste_file} has no application {name!r} "
            f"({exc}). Add a [composite:{name}] section (the shipped "
            f"api-paste.ini has one), or point [wsgi] api_paste_config at a "
            f"file that does.") from None
    except (ValueError, cfg.Error) as exc:
        raise StartupError(
            f"Loading {name} from {paste_file} failed: {_reason(exc)}"
        ) from None
    except ImportError as exc:
        raise StartupError(
            f"Loading {name} from {paste_file} failed: cannot import "
            f"{exc.name or exc} (named in the paste file, or needed by what "
            f"it names or by the configuration: install it, or change "
            f"that).") from None
    finally:
        _loading_conf.reset(token)
