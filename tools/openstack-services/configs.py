"""The config files of the services tools/openstack-services.sh starts.

Each function writes one service's files under the work directory and
returns nothing; paths and secrets come in a ``Layout`` (osvc.py). The
settings are the recipe's (docs/openstack-services.md says why each one
is there); nothing here is read from the real /etc.
"""

import pathlib

# gunicorn settings all three share: no control socket (gunicorn >= 27
# makes ~/.gunicorn/gunicorn.ctl), an access log, a quick stop.
GUNICORN_COMMON = """\
control_socket_disable = True
graceful_timeout = 5
accesslog = '-'
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
worker_class = 'sync'
"""

# Keystone and Neutron parse sys.argv with oslo.config, which rejects
# gunicorn's own arguments: blank them in each worker before the app is
# imported (so preload_app stays off).
ARGV_BLANKING = """\
import sys

preload_app = False


def post_fork(server, worker):
    sys.argv[1:] = []
"""


def _write(path, text, mode=0o644):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _authtoken(lay, user, password):
    """[keystone_authtoken] of a service behind keystonemiddleware."""
    return f"""\
[keystone_authtoken]
www_authenticate_uri = {lay.keystone_url}
auth_url = {lay.keystone_url}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = {user}
password = {password}
region_name = {lay.region}
interface = public
service_token_roles_required = true
"""


def keystone(lay):
    k = lay.dir("keystone")
    _write(k / "etc" / "keystone.conf", f"""\
[DEFAULT]
debug = false
use_stderr = true

[database]
connection = sqlite:///{k}/keystone.sqlite

[token]
provider = fernet
expiration = 14400

[fernet_tokens]
key_repository = {k}/fernet-keys

[fernet_receipts]
key_repository = {k}/fernet-keys

[credential]
key_repository = {k}/credential-keys

# One process: an in-memory cache is coherent and turns a token
# validation from ~0.5 s of SQL into ~10 ms.
[cache]
enabled = true
backend = dogpile.cache.memory

# bcrypt's minimum: tempest creates and logs in hundreds of users.
[identity]
password_hash_rounds = 4
""", 0o600)
    _write(k / "etc" / "gunicorn.conf.py",
           GUNICORN_COMMON + "timeout = 120\n" + ARGV_BLANKING)


def glance(lay):
    g = lay.dir("glance")
    _write(g / "etc" / "glance-api.conf", f"""\
[DEFAULT]
debug = false
use_stderr = true
enabled_backends = fs:file
# two API workers: a worker proxies an import staged on another one
worker_self_reference_url = {lay.glance_url}

[database]
connection = {lay.db_url('glance')}

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = {g}/images

[os_glance_staging_store]
filesystem_store_datadir = {g}/staging

[os_glance_tasks_store]
filesystem_store_datadir = {g}/tasks

[paste_deploy]
flavor = keystone
config_file = {g}/etc/glance-api-paste.ini

{_authtoken(lay, "glance", lay.secrets["glance"])}
[oslo_concurrency]
lock_path = {g}/lock

# Glance checks uploaded data against disk_format (415 on a mismatch):
# snapshots of a compute API without a hypervisor are placeholder bytes.
[image_format]
require_image_format_match = false
""", 0o600)
    paste = (lay.venvs["glance"] / "etc" / "glance" /
             "glance-api-paste.ini").read_text()
    _write(g / "etc" / "glance-api-paste.ini", paste.replace(
        "/etc/glance/healthcheck_disable", f"{g}/run/healthcheck_disable"))
    _write(g / "etc" / "gunicorn.conf.py", GUNICORN_COMMON + """\
# glance.wsgi.api calls CONF([]) itself: gunicorn's argv is no problem.
preload_app = False
# uploads stream through a sync worker
timeout = 300
""")


def neutron(lay):
    n = lay.dir("neutron")
    _write(n / "etc" / "neutron.conf", f"""\
[DEFAULT]
debug = false
use_stderr = true
host = osvc-neutron
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
state_path = {n}/state
# API only: nobody consumes the agents' casts, so no RabbitMQ either
transport_url = fake://
dhcp_agent_notification = false
# port status and data changes go to the compute endpoint in the catalog
# (POST /v2.1/os-server-external-events) with the [nova] credentials
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true

[database]
connection = {lay.db_url('neutron')}

{_authtoken(lay, "neutron", lay.secrets["neutron"])}
[nova]
auth_url = {lay.keystone_url}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = {lay.secrets["nova"]}
region_name = {lay.region}
endpoint_type = public

[oslo_concurrency]
lock_path = {n}/lock

[oslo_messaging_notifications]
driver = noop
""", 0o600)
    _write(n / "etc" / "plugins" / "ml2" / "ml2_conf.ini", """\
[ml2]
type_drivers = flat,vlan,vxlan
project_network_types = vxlan
# tools/openstack-services/fakebind: binds without agents, port ACTIVE
mechanism_drivers = fakebind
extension_drivers = port_security

[ml2_type_flat]
flat_networks = public

[ml2_type_vlan]
network_vlan_ranges = physnet1:100:200

[ml2_type_vxlan]
vni_ranges = 1:10000
""")
    paste = (lay.venvs["neutron"] / "etc" / "neutron" /
             "api-paste.ini").read_text()
    _write(n / "etc" / "api-paste.ini", paste.replace(
        "/var/lib/neutron/healthcheck_disable",
        f"{n}/state/healthcheck_disable"))
    _write(n / "etc" / "gunicorn.conf.py",
           GUNICORN_COMMON + "timeout = 120\n" + ARGV_BLANKING)
