"""Fixtures of the integration tests: real OpenStack services.

``openstack_services`` (session): Keystone 30, Glance 33 and Neutron 29
started once by tools/openstack-services.sh in a temporary directory
(tests/integration/openstack.py), stopped at the end of the session;
skipped with what is missing when they cannot be installed or started
outside CI, a failure in CI (``CI=true``).

``compute_stub``: a pytest-httpserver on 127.0.0.1 standing in for the
compute API's endpoint (what Neutron sends os-server-external-events to).
"""

import pytest
from pytest_httpserver import HTTPServer

from tests.integration import openstack


@pytest.fixture(scope="session")
def openstack_services(tmp_path_factory):
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
