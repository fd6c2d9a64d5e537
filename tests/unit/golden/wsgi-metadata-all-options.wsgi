# nova-metadata.wsgi: the metadata API of nova-wsgi as a WSGI script,
# for Apache mod_wsgi (WSGIScriptAlias) or any server that loads a script.
#
# Written by nova-wsgi-build: run it again with other options rather than
# editing this file. It imports ``application`` from nova.wsgi.metadata
# and does little else.
#
# Config files: OS_NOVA_CONFIG_DIR (default /etc/nova) and
# OS_NOVA_CONFIG_FILES (default "api-paste.ini;nova.conf") from the process
# environment. Under mod_wsgi, SetEnv does not reach the process
# environment: bake defaults in with --config-dir/--config-files.

import os
import site
import sys

# The virtualenv that holds nova-wsgi. Under mod_wsgi prefer
# "WSGIDaemonProcess ... python-home=/opt/nova" (then sys.prefix is the
# virtualenv and nothing below runs); these lines serve a daemon that runs
# the system interpreter, the one mod_wsgi was built against, which must be
# the Python the virtualenv was made from.
PYTHON_HOME = "/opt/nova"
_SITE = os.path.join(PYTHON_HOME, "lib", "python%d.%d" % sys.version_info[:2],
                     "site-packages")
if (os.path.realpath(sys.prefix) != os.path.realpath(PYTHON_HOME)
        and _SITE not in sys.path):
    if not os.path.isdir(_SITE):
        raise RuntimeError(
            "%s: no %s: the virtualenv %s was not made from this Python "
            "(%s, %d.%d). Build it with the Python mod_wsgi uses, or fix "
            "--python-home." % (__file__, _SITE, PYTHON_HOME, sys.executable,
                                sys.version_info[0], sys.version_info[1]))
    _BEFORE = list(sys.path)
    site.addsitedir(_SITE)  # also runs the .pth files of the virtualenv
    # Its packages come before the system's, as in the virtualenv itself.
    sys.path[:] = [p for p in sys.path if p not in _BEFORE] + _BEFORE

# Baked-in defaults; a value set in the process environment wins.
os.environ.setdefault("OS_NOVA_CONFIG_DIR", "/etc/nova")
os.environ.setdefault("OS_NOVA_CONFIG_FILES", "api-paste.ini;nova.conf;metadata.conf")

from nova.wsgi.metadata import application  # noqa: E402,F401
