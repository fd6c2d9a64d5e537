"""Real Keystone 30, Glance 33 and Neutron 29 for the integration tests.

``tools/openstack-services.sh`` does the work (docs/openstack-services.md):
virtualenvs from the package index (cached), fresh MariaDB databases, the
three servers on free 127.0.0.1 ports, the service users, the networks
``public`` and ``private``, two public images. This module runs it:

- ``start(workdir)``: start them in ``workdir``; an ``OpenStack`` with what
  ``services.json`` says. When they cannot be installed or started, the
  test is ``unavailable()``: skipped with what is missing, failed in CI;
- ``stop(workdir)``: stop them, drop their databases;
- ``OpenStack``: the values (``cloud["image_id"]``), keystoneauth sessions
  for the admin, the service user ``nova`` and the member ``demo``,
  ``api(session, "network")`` (an adapter on the catalog's endpoint),
  ``register_compute(url)`` (the compute endpoint Neutron sends its
  events to), ``token_info(token)`` (what Keystone says of a token).

The fixture ``openstack_services`` (tests/integration/conftest.py) starts
them once per session.
"""

import json
import os
import socket
import subprocess
import urllib.parse

from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.helpers import ROOT, unavailable

SCRIPT = ROOT / "tools" / "openstack-services.sh"
# A first run makes the three virtualenvs from the package index (1-2
# minutes), then the start (~25 s, more on busy cores).
START_TIMEOUT = 900
STOP_TIMEOUT = 120
DB_SERVER = os.environ.get("NOVA_SERVICES_DB",
                           "mysql+pymysql://root@127.0.0.1:3306")


def _mariadb_missing():
    """What is wrong with the database server, or None."""
    url = urllib.parse.urlsplit(DB_SERVER)
    where = (url.hostname or "127.0.0.1", url.port or 3306)
    try:
        socket.create_connection(where, timeout=5).close()
    except OSError as exc:
        return (f"MariaDB on {where[0]}:{where[1]} for Glance's and "
                f"Neutron's databases ({exc}; tools/services.sh starts it)")
    return None


def _run(*args, timeout):
    try:
        return subprocess.run([str(SCRIPT), *map(str, args)],
                              capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def start(workdir, compute_url=None):
    """The services started in workdir (unavailable() when they cannot
    be: no MariaDB, no package index, a server that does not start)."""
    missing = _mariadb_missing()
    if missing:
        unavailable(missing)
    extra = ["--compute-url", compute_url] if compute_url else []
    proc = _run("start", workdir, *extra, timeout=START_TIMEOUT)
    if proc is None:
        stop(workdir)
        unavailable("real Keystone, Glance and Neutron (tools/openstack-"
                    f"services.sh start took over {START_TIMEOUT} s)")
    if proc.returncode != 0:
        unavailable("real Keystone, Glance and Neutron (tools/openstack-"
                    "services.sh start: "
                    f"{(proc.stderr or proc.stdout)[-1500:].strip()})")
    return OpenStack(workdir)


def stop(workdir):
    proc = _run("stop", workdir, timeout=STOP_TIMEOUT)
    assert proc is not None, f"tools/openstack-services.sh stop {workdir}" \
        f" took over {STOP_TIMEOUT} s"
    assert proc.returncode == 0, proc.stdout + proc.stderr


class OpenStack:
    """The running services of one work directory."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.values = json.loads((workdir / "services.json").read_text())

    def __getitem__(self, key):
        return self.values[key]

    def session(self, username, password, project):
        auth = v3.Password(
            auth_url=self["keystone_url"] + "/v3", username=username,
            password=password, project_name=project,
            user_domain_name="Default", project_domain_name="Default")
        return ks_session.Session(auth=auth, timeout=60)

    def admin(self):
        return self.session("admin", self["admin_password"], "admin")

    def nova(self):
        """The compute API's service user (roles admin and service)."""
        return self.session("nova", self["nova_password"], "service")

    def demo(self):
        """A member of project demo."""
        return self.session("demo", self["demo_password"], "demo")

    def api(self, session, service_type):
        """An adapter on the catalog's public endpoint of service_type;
        its requests raise no exception on an error status."""
        return adapter.Adapter(session, service_type=service_type,
                               interface="public",
                               region_name=self["region"], raise_exc=False)

    def token_info(self, token):
        """Keystone's own view of a token (GET /v3/auth/tokens)."""
        response = self.admin().get(
            self["keystone_url"] + "/v3/auth/tokens",
            headers={"X-Subject-Token": token})
        return response.json()["token"]

    def register_compute(self, url):
        """The compute service's endpoints at url (its /v2.1)."""
        proc = _run("register-compute", self.workdir, url, timeout=300)
        assert proc is not None and proc.returncode == 0, \
            (proc.stdout + proc.stderr) if proc else "timed out"
        self.values = json.loads(
            (self.workdir / "services.json").read_text())
