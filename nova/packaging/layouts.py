"""The two APIs and the two Apache layouts, and what a host needs for them.

``APIS``: each API's name, entry module, port and default processes.
``LAYOUTS``: where a distribution family keeps the scripts, the vhosts'
logs and the certificates, and how its snippets are installed. For the
host: the commands that create the daemons' user and group and the log
directory (``account_commands``, ``log_dir_command``), and the header
paragraph of a vhost that names them (``host_note``). Standard library
only, like ``render``, which re-exports ``APIS``, ``LAYOUTS``,
``api_info`` and ``layout_info``.
"""

import dataclasses
import textwrap


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
    log_dir: str  # the vhosts' logs: a directory of their own
    apache_log_dir: str  # Apache's, where ${APACHE_LOG_DIR} points
    apache_logrotate: str  # what the distribution's logrotate file rotates
    ssl_certificate: str
    ssl_certificate_key: str
    install: str  # where a snippet goes: a comment for its header
    install_prefix: str  # the same for a server-level (path prefix) one
    mod_ssl: str  # how to get mod_ssl


LAYOUTS = {
    "rhel": Layout(
        "rhel", "/var/www/cgi-bin/nova", "/var/log/httpd/nova",
        "/var/log/httpd", "/var/log/httpd/*log",
        "/etc/pki/tls/certs/nova.crt", "/etc/pki/tls/private/nova.key",
        install=("# RHEL family: install as /etc/httpd/conf.d/{file}\n"
                 "# (mod_wsgi from python3-mod_wsgi).\n"),
        install_prefix=("# RHEL family: install as /etc/httpd/conf.d/{file}\n"
                        "# (mod_wsgi from python3-mod_wsgi).\n"),
        mod_ssl="dnf install mod_ssl"),
    "debian": Layout(
        "debian", "/usr/lib/cgi-bin/nova", "${APACHE_LOG_DIR}/nova",
        "/var/log/apache2", "/var/log/apache2/*.log",
        "/etc/ssl/certs/nova.pem", "/etc/ssl/private/nova.key",
        install=("# Debian family: install as /etc/apache2/sites-available/"
                 "{file}\n# and run a2ensite {stem} (mod_wsgi from "
                 "libapache2-mod-wsgi-py3).\n"),
        install_prefix=("# Debian family: install as /etc/apache2/"
                        "conf-available/{file}\n# and run a2enconf {stem} "
                        "(mod_wsgi from libapache2-mod-wsgi-py3).\n"),
        mod_ssl="a2enmod ssl"),
}

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


# -- what a vhost needs on the host ------------------------------------------

# RDO's fixed id of the nova user and group.
NOVA_ID = 162


def account_commands(layout, user="nova", group="nova",
                     missing=("user", "group")):
    """The shell command that creates ``missing`` of the daemons' user and
    group on ``layout`` (a system account, home /var/lib/nova, no login;
    RDO's id 162 for nova:nova on RHEL)."""
    lay = layout_info(layout).key
    for option, value in (("user", user), ("group", group)):
        if not value or any(ch.isspace() or ch in "\"'\\" for ch in value):
            raise ValueError(f"{option}: {value!r} must be one word")
    steps = []
    if lay == "rhel":
        ids = user == group == "nova"
        if "group" in missing:
            steps.append(f"groupadd -r{f' -g {NOVA_ID}' if ids else ''} "
                         f"{group}")
        if "user" in missing:
            steps.append(f"useradd -r{f' -u {NOVA_ID}' if ids else ''} "
                         f"-g {group} -d /var/lib/nova -s /sbin/nologin "
                         f"{user}")
    elif "user" in missing and "group" in missing and user == group:
        steps.append(f"adduser --system --group --home /var/lib/nova "
                     f"--no-create-home {user}")
    else:
        if "group" in missing:
            steps.append(f"addgroup --system {group}")
        if "user" in missing:
            steps.append(f"adduser --system --ingroup {group} --home "
                         f"/var/lib/nova --no-create-home {user}")
    return " && ".join(steps)


def log_dir_path(layout, log_dir=None, apache_log_dir=None):
    """``log_dir`` (default: the layout's) with ``${APACHE_LOG_DIR}``
    replaced by ``apache_log_dir`` (default: the layout's Apache log
    directory); ``None`` if another ``${VARIABLE}`` remains."""
    lay = layout_info(layout)
    path = (log_dir or lay.log_dir).replace(
        "${APACHE_LOG_DIR}", apache_log_dir or lay.apache_log_dir)
    return None if "${" in path else path


def log_dir_command(layout, log_dir=None):
    """The shell command that creates the vhosts' log directory: 0750,
    group adm on Debian (as its Apache log directory)."""
    path = log_dir_path(layout, log_dir) or log_dir
    group = " -g adm" if layout_info(layout).key == "debian" else ""
    return f"install -d -m 0750{group} {path}"


def host_note(layout, user, group, log_dir=None):
    """The vhost header's paragraph on what must exist before Apache
    starts: the daemons' user and group, and (``log_dir``) the logs'
    directory."""
    lay = layout_info(layout)
    parts = [
        f"Before Apache starts: the daemons run as user {user}, group "
        f"{group}, which must exist (otherwise Apache refuses to start: "
        f"\"AH00543: bad user name {user}\", \"AH00544: bad group name "
        f"{group}\"). Create them with:",
        ("command", account_commands(layout, user, group))]
    if log_dir:
        where = log_dir
        if "${APACHE_LOG_DIR}" in log_dir:
            where += (f" ({log_dir_path(layout, log_dir)} with Debian's "
                      f"/etc/apache2/envvars)")
        parts += [
            f"The API's logs go to {where}, which must exist too "
            f"(otherwise \"AH02291: Cannot access directory\"):",
            ("command", log_dir_command(layout, log_dir))]
        if log_dir == lay.log_dir:
            parts.append(
                f"A directory of its own: the distribution's logrotate "
                f"file for Apache ({lay.apache_logrotate}) rotates with a "
                f"graceful restart, which can lose requests under mod_wsgi "
                f"daemon mode; rotate these logs with copytruncate, which "
                f"needs no restart.")
    lines = []
    for part in parts:
        if isinstance(part, tuple):
            lines.append("#     " + part[1])
        else:
            lines += ["# " + line for line in textwrap.wrap(
                part, 77, break_on_hyphens=False, break_long_words=False)]
    return "\n".join(lines) + "\n"
