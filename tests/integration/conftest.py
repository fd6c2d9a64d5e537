"""Fixtures of the integration tests: real OpenStack services.

``openstack_services`` (session): Keystone 30, Glance 33 and Neutron 29
started once by tools/openstack-services.sh in a temporary directory
(tests/integration/openstack.py), stopped at the end of the session;
skipped with what is missing when they cannot be installed or started
outside CI, a failure in CI (``CI=true``).

With ``NOVA_OPENSTACK_SERVICES=WORKDIR`` the fixture uses the services a
``tools/openstack-services.sh start WORKDIR`` left running (and leaves
them running): to iterate on a test without 30-70 s of start each time.

``compute_stub``: a pytest-httpserver on 127.0.0.1 standing in for the
compute API's endpoint (what Neutron sends os-server-external-events to).

``ComputeAPI``: this project's compute API under gunicorn
(tests/deploy/servers.py), configured by a nova.conf written as an
upstream Nova operator writes one for these services
(``operator_nova_conf``).
"""

import os
import pathlib
import shutil
import subprocess
import textwrap
import time

import pytest
from pytest_httpserver import HTTPServer

from tests.deploy import servers
from tests.integration import openstack

EXISTING = "NOVA_OPENSTACK_SERVICES"


@pytest.fixture(scope="session")
def openstack_services(tmp_path_factory):
    existing = os.environ.get(EXISTING)
    if existing:
        yield openstack.OpenStack(pathlib.Path(existing))
        return
    workdir = tmp_path_factory.mktemp("openstack-services")
    cloud = openstack.start(workdir)
    try:
        yield cloud
    finally:
        openstack.stop(workdir)


@pytest.fixture
def compute_stub():
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        if server.is_running():
            server.stop()


# -- the compute API under test --------------------------------------------

def operator_nova_conf(cloud, database, neutron_override=None):
    """nova.conf as an upstream Nova operator writes it for these
    services: Keystone auth, the catalog's image, network and identity
    endpoints (internal interface), [neutron] and [service_user] as the
    service user nova. ``neutron_override``: [neutron] endpoint_override.
    """
    keystone = cloud["keystone_url"]
    credentials = textwrap.dedent(f"""\
        auth_type = password
        auth_url = {keystone}/v3
        username = {cloud["nova_username"]}
        password = {cloud["nova_password"]}
        project_name = {cloud["service_project_name"]}
        user_domain_name = {cloud["user_domain_name"]}
        project_domain_name = {cloud["project_domain_name"]}
        """)
    region = cloud["region"]
    override = (f"endpoint_override = {neutron_override}\n"
                if neutron_override else "")
    return (
        "[DEFAULT]\n"
        "vif_plugging_timeout = 30\n"
        "vif_plugging_is_fatal = true\n"
        "[api]\n"
        "auth_strategy = keystone\n"
        "[database]\n"
        f"connection = {database}\n"
        "[compute]\n"
        "build_time = 0.2\n"
        "action_time = 0.1\n"
        "[keystone_authtoken]\n"
        f"www_authenticate_uri = {keystone}\n"
        f"region_name = {region}\n"
        "service_token_roles_required = true\n"
        f"{credentials}"
        "[keystone]\n"
        f"region_name = {region}\n"
        "valid_interfaces = internal\n"
        "[glance]\n"
        f"region_name = {region}\n"
        "valid_interfaces = internal\n"
        "[neutron]\n"
        f"region_name = {region}\n"
        "valid_interfaces = internal\n"
        "default_floating_pool = public\n"
        "timeout = 30\n"
        f"{override}"
        f"{credentials}"
        "[service_user]\n"
        "send_service_user_token = true\n"
        f"{credentials}")


class ComputeAPI(servers.Gunicorn):
    """The compute API (``nova.wsgi.osapi_compute``) under gunicorn with
    the shipped gunicorn config, two workers, its config directory and
    SQLite database in ``directory``; ``url`` is its /v2.1 endpoint.
    ``log_text()`` is gunicorn's output: access log and the API's log."""

    GUNICORN_CONF = (servers.ROOT / "deployment" / "gunicorn"
                     / "nova-compute-api.conf.py")

    def __init__(self, cloud, directory, neutron_override=None):
        self.cloud = cloud
        self.dir = pathlib.Path(directory)
        self.etc = self.dir / "etc"
        self.etc.mkdir(parents=True)
        shutil.copyfile(servers.PASTE, self.etc / "api-paste.ini")
        database = f"sqlite:///{self.dir}/nova.sqlite"
        (self.etc / "nova.conf").write_text(
            operator_nova_conf(cloud, database, neutron_override))
        env = servers.clean_env(OS_NOVA_CONFIG_DIR=str(self.etc),
                                HOME=str(self.dir))
        for name in list(env):
            if name.lower().endswith("_proxy"):
                del env[name]
        super().__init__("nova.wsgi.osapi_compute:application",
                         self.dir / "gunicorn.log", env=env, cwd=self.dir,
                         options=["-c", self.GUNICORN_CONF, "--workers", "2"])
        self.root = None

    def manage(self, *args):
        proc = subprocess.run(
            [str(servers.VENV_BIN / "nova-manage"), *args], env=self.env,
            capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    def start(self):
        self.manage("db", "sync")
        super().start()
        self.root = self.url
        self.url = self.root + "/v2.1"
        return self

    def wait_in_log(self, text, timeout):
        """Wait until ``text`` is in gunicorn's output; whether it came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.logs():
                return True
            time.sleep(0.2)
        return text in self.logs()
