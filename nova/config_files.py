"""Find the config files, parse and check them, find the paste file.

Compatible with upstream Nova: the directory comes from
``OS_NOVA_CONFIG_DIR`` (default ``/etc/nova``, blanks stripped), the names
from ``OS_NOVA_CONFIG_FILES`` split on ``;`` (default
``api-paste.ini;nova.conf``), each joined onto the directory. Better than
upstream: the paste file is found wherever it stands in the list (``[wsgi]
api_paste_config`` names it), empty entries are ignored,
``<dir>/nova.conf.d/*.conf`` is read after the listed files, and
``sys.argv`` is never parsed. Every error is a ``StartupError`` whose
message names the file, the option or the variable to fix.
"""

import dataclasses
import os
import re

from oslo_config import cfg

from nova.exception import StartupError

ENV_DIR = "OS_NOVA_CONFIG_DIR"
ENV_FILES = "OS_NOVA_CONFIG_FILES"
DEFAULT_DIR = "/etc/nova"
DEFAULT_FILES = "api-paste.ini;nova.conf"
CONF_D = "nova.conf.d"

PACKAGED_PASTE = os.path.join(os.path.dirname(__file__), "etc",
                              "api-paste.ini")

_HINT = (
    "Set {dir} to the directory that holds the files and {files} to their "
    "names separated by ';' (under mod_wsgi, SetEnv does not reach the "
    "process: set them in the .wsgi script or the daemon's environment)."
).format(dir=ENV_DIR, files=ENV_FILES)


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
    nova_conf.register_service_opts(conf)
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
                + f": {reason(exc)}") from None


_LOCATION = re.compile(r"detail='([^']*)'\)")


def _all_opts(conf):
    for opt_info in conf._opts.values():  # noqa: SLF001 - no public iterator
        yield None, opt_info["opt"]
    for group_name in conf:
        group = conf[group_name]
        if isinstance(group, cfg.ConfigOpts.GroupAttr):
            for opt_info in group._group._opts.values():  # noqa: SLF001
                yield group_name, opt_info["opt"]


def reason(exc):
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

