"""Fixtures shared by the functional tests.

Three clouds, each the compute API through the whole paste pipeline
(noauth2, a SQLite file) with the samples' image (``IMAGE``) and flavor
"1" (m1.tiny):

- ``cloud``: servers build at once; flavor "2" (m1.small) too. The
  modules with a cloud of another shape (test_quotas, test_server_groups,
  the metadata ones) define their own ``cloud``, which overrides this one.
- ``slow``: builds take 0.4 s and actions 0.3 s.
- ``zones``: two hosts in two availability zones, and flavors too big
  for either (``huge`` by RAM, ``fat`` by disk).
- ``make_cloud(hosts)``: a cloud over the hosts given, for the moves
  (resize, cold and live migration).

Without the API, ``db`` is a synced ``nova.db.api.Database`` on each
backend in turn.

Plain helpers (``boot``, ``get``, ``fault``, ...) are in tests/helpers.py;
the fixtures of every directory are in tests/conftest.py.
"""

import pytest

from tests.helpers import (
    IMAGE,
    make_flavor,
    synced_database,
    write_compute_config,
)


@pytest.fixture
def cloud(fast_compute, make_image):
    """One image (the samples' id) and two flavors; servers build at once."""
    make_image("cirros-0.6.2-x86_64-disk", image_id=IMAGE)
    make_flavor(fast_compute, "m1.tiny", flavor_id="1")
    make_flavor(fast_compute, "m1.small", ram=2048, disk=20, flavor_id="2")
    return fast_compute


@pytest.fixture
def slow(config_dir, tmp_path, make_image):
    """Builds take 0.4 s and actions 0.3 s."""
    write_compute_config(config_dir, tmp_path, """
        build_time = 0.4
        action_time = 0.3
        """)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    return app


@pytest.fixture
def slower(config_dir, tmp_path, make_image):
    """Builds take 2 s and actions 1.5 s: room for a dozen requests
    between two states on a loaded machine."""
    write_compute_config(config_dir, tmp_path, """
        build_time = 2.0
        action_time = 1.5
        """)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    return app


@pytest.fixture
def zones(config_dir, tmp_path, make_image):
    """Two hosts of 2 vCPUs (x4), 1024 MB and 10 GB, in az1 and az2."""
    write_compute_config(config_dir, tmp_path, """
        hosts = h1:az1:2:1024:10, h2:az2:2:1024:10
        build_time = 0
        action_time = 0
        """)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", ram=512, disk=1, flavor_id="1")
    make_flavor(app, "m1.huge", ram=2048, disk=1, flavor_id="huge")
    make_flavor(app, "m1.fat", ram=256, disk=20, flavor_id="fat")
    return app


@pytest.fixture
def make_cloud(config_dir, tmp_path, make_image):
    """``make_cloud(hosts, default_options="", action_time=0, url=None)``:
    an app over ``hosts`` (``[compute] hosts`` syntax) whose servers build
    at once, on ``url`` (default: a SQLite file); flavors 1 (512 MB,
    1 vCPU, 1 GB), 2 (1024 MB, 2 vCPUs, 2 GB) and 3 (2048 MB, 2 vCPUs,
    2 GB)."""
    def make(hosts, default_options="", action_time=0, url=None):
        write_compute_config(config_dir, tmp_path, f"""
            hosts = {hosts}
            build_time = 0
            action_time = {action_time}
            """, url=url, default_options=default_options)
        app = config_dir.testapp()
        app.app_db_url = config_dir.db_url
        make_image("cirros", image_id=IMAGE)
        make_flavor(app, "m1.tiny", ram=512, vcpus=1, disk=1, flavor_id="1")
        make_flavor(app, "m1.small", ram=1024, vcpus=2, disk=2,
                    flavor_id="2")
        make_flavor(app, "m1.big", ram=2048, vcpus=2, disk=2, flavor_id="3")
        return app
    return make


@pytest.fixture
def make_neutron_cloud(config_dir, tmp_path, make_image, httpserver):
    """``make_neutron_cloud(**options)``: a ``NeutronCloud`` (the API with
    the fake Keystone and the fake Neutron); all closed at the end."""
    from tests.functional.neutron_cloud import NeutronCloud

    made = []

    def build(**options):
        cloud = NeutronCloud(config_dir, tmp_path, make_image, httpserver,
                             **options)
        made.append(cloud)
        return cloud

    yield build
    for cloud in made:
        cloud.close()


@pytest.fixture
def db(db_url, tmp_path):
    """A synced ``Database`` on each backend in turn, disposed after."""
    yield from synced_database(db_url, tmp_path)
