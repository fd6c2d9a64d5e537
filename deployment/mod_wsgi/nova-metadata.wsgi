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

from nova.wsgi.metadata import application  # noqa: E402,F401
