"""What ``nova-wsgi-build`` warns about before it writes: lists of messages.

- ``config_files_warning``: an ``OS_NOVA_CONFIG_FILES`` value that
  upstream Nova would not start with. Upstream hands the *first* file to
  PasteDeploy (``nova/api/openstack/wsgi_app.py``: ``conf_files[0]``), so
  ``nova.conf;api-paste.ini`` fails there with ``LookupError: No section
  'osapi_compute'``; this project finds the paste file wherever it stands.
- ``host_warnings``: what a vhost needs on this machine and does not find:
  the daemons' user and group, the log directory. Skipped for package
  builds (``--no-host-checks``), where the build machine is not the one
  that serves.

Standard library only, like the rest of ``nova.packaging``.
"""

import grp
import os
import pwd

from nova.packaging import layouts


def _names(config_files):
    if isinstance(config_files, str):
        config_files = config_files.split(";")
    return [str(name).strip() for name in config_files if str(name).strip()]


def looks_like_paste(name):
    return "paste" in os.path.basename(name).lower()


def paste_first(config_files):
    """``config_files`` with the paste files moved to the front, the order
    of the rest kept: the order upstream Nova accepts."""
    names = _names(config_files)
    return ([n for n in names if looks_like_paste(n)]
            + [n for n in names if not looks_like_paste(n)])


def config_files_warning(config_files):
    """A warning when upstream Nova would not take ``config_files`` (a
    ``;``-separated string or a list), else ``None``."""
    names = _names(config_files)
    if not names or looks_like_paste(names[0]):
        return None
    value = ";".join(names)
    if any(looks_like_paste(name) for name in names):
        fix = ";".join(paste_first(names))
        return (f"--config-files {value!r}: the paste file is not first. "
                f"Upstream Nova loads its paste pipeline from the first "
                f"file of OS_NOVA_CONFIG_FILES and will not start with this "
                f"order (LookupError: No section 'osapi_compute'); this "
                f"project finds the paste file anywhere. For upstream Nova, "
                f"write {fix!r}.")
    return (f"--config-files {value!r}: no file looks like a paste file "
            f"(a name with 'paste'). Upstream Nova loads its paste pipeline "
            f"from the first file, {names[0]}, and will not start unless it "
            f"is one; this project finds the pipeline through [wsgi] "
            f"api_paste_config. For upstream Nova, put the paste file first "
            f"(default: 'api-paste.ini;nova.conf').")


def _exists(lookup, name):
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def account_warning(layout, user, group):
    """A warning naming the daemons' user or group that this machine
    lacks, with the command that creates it; ``None`` if both exist."""
    missing = [kind for kind, lookup, name in (
        ("user", pwd.getpwnam, user), ("group", grp.getgrnam, group))
        if not _exists(lookup, name)]
    if not missing:
        return None
    what = " and ".join(f"{kind} {name!r}" for kind, name in (
        ("user", user), ("group", group)) if kind in missing)
    return (f"this machine has no {what}, which the vhosts run the daemons "
            f"as: Apache will not start (AH00543: bad user name / AH00544: "
            f"bad group name). Create {'them' if len(missing) > 1 else 'it'}"
            f" with: "
            f"{layouts.account_commands(layout, user, group, missing)}")


def log_dir_warning(layout, log_dir=None, environ=None):
    """A warning when the vhosts' log directory does not exist here."""
    environ = os.environ if environ is None else environ
    path = layouts.log_dir_path(layout, log_dir,
                                environ.get("APACHE_LOG_DIR"))
    if path is None or os.path.isdir(path):
        return None
    return (f"the log directory {path} does not exist: Apache will not "
            f"start (AH02291: Cannot access directory). Create it with: "
            f"{layouts.log_dir_command(layout, path)}")


def host_warnings(layout, user, group, log_dir=None, logs=True,
                  environ=None):
    """Every warning about this machine for vhosts of ``layout``; ``logs``
    False when only prefix snippets (no log files of their own) are
    written."""
    found = [account_warning(layout, user, group)]
    if logs:
        found.append(log_dir_warning(layout, log_dir, environ))
    return [warning for warning in found if warning]
