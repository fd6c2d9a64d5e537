"""Plain helpers and constants shared by the test modules (fixtures are in
the conftest.py files; this module holds none).

- who asks (the noauth2 tokens ``ADMIN``, ``DEMO``, ``ALICE``, ``OTHER``)
  and the ids and keys of upstream's samples (``IMAGE``, ``SSH_KEY``,
  ``GUEST_KEY``), the messages and hosts the tests compare with;
- where things are: ``ROOT``, ``PASTE``, ``SAMPLES``, and ``unavailable()``
  (skip outside CI, fail in CI);
- setting a cloud up: ``sync_db()``, ``write_compute_config()``,
  ``conf_of()``, ``Images`` (the local image catalogue), ``make_flavor()``
  and ``wipe()`` (empty a database);
- upstream Nova 34's recorded answers: ``sample()``, and ``upstream()``
  for one whose links point at WebTest's host;
- asking the compute API through WebTest: ``v()`` (a microversion's
  headers), ``fault()`` (check a fault body, return its message).
"""

import json
import os
import pathlib
import tempfile
import textwrap

import pytest

from nova import deploy

# -- who asks -----------------------------------------------------------------

# noauth2 tokens, "user:project"; only admin is an admin.
ADMIN = {"X-Auth-Token": "admin:admin"}
DEMO = {"X-Auth-Token": "demo:demo"}  # a member of project demo
ALICE = {"X-Auth-Token": "alice:demo"}  # another member of project demo
OTHER = {"X-Auth-Token": "bob:other"}  # a member of another project

# -- upstream's ids, keys and messages ----------------------------------------

IMAGE = "70a599e0-31e7-49b7-b260-868f441e862b"  # the samples' cirros image
# The ed25519 key of keypair_import_v2_92.txt.
SSH_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBjlLdatJCtCPBSoyHP6XRtMfbv7"
           "qUI1wXaRSl8W/Img root@vm")
# The key of the metadata samples' guest (meta_*.txt), so bodies compare.
GUEST_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKj2y8mHSdRhR2vXwYDjTFLD"
             "fuQGnDsCfyq5r8Ejf5nS novaref@example")
NO_HOST = "No valid host was found. There are not enough hosts available."
SAMPLE_HOST = "http://127.0.0.1:18774"  # where the samples were recorded
HOST = "http://localhost:80"  # where WebTest sends requests

# -- where things are ---------------------------------------------------------

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Upstream Nova 34's real responses, beside the checkout (the workplace's
# shared/ folder); NOVA_TEST_SAMPLES points elsewhere.
SAMPLES = pathlib.Path(os.environ.get("NOVA_TEST_SAMPLES") or (
    ROOT.parent / "shared" / "reference" / "nova-34-samples"))
PASTE = ROOT / "nova" / "etc" / "api-paste.ini"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what):
    """Skip outside CI, fail in CI: a needed server is not there."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} is unavailable")


# -- setting a cloud up -------------------------------------------------------

def sync_db(url, revision="head"):
    """Run ``nova-manage db sync`` against ``url``."""
    from nova.cmd import manage

    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf_file:
        conf_file.write(f"[database]\nconnection = {url}\n")
        conf_file.flush()
        assert manage.main(["--config-file", conf_file.name, "db", "sync",
                            "--revision", revision]) == 0


def write_compute_config(config_dir, tmp_path, compute_options="", url=None,
                         default_options=""):
    """noauth2 on a synced database (default: a SQLite file), with extra
    ``[compute]`` and ``[DEFAULT]`` lines."""
    url = url or f"sqlite:///{tmp_path}/nova.sqlite"
    config_dir.paste()
    config_dir.write("nova.conf", "[DEFAULT]\n" + textwrap.dedent(
        default_options) + textwrap.dedent(f"""
        [api]
        auth_strategy = noauth2
        [database]
        connection = {url}
        [compute]
        """) + textwrap.dedent(compute_options))
    sync_db(url)
    config_dir.db_url = url
    return config_dir


def conf_of(config_dir):
    """The parsed ``ConfigOpts`` of a config directory."""
    return deploy.build_conf(deploy.find_config(config_dir.env))


class Images:
    """Adds images to the local catalogue, as ``nova-manage image create``
    does: ``nova.compute.images.create`` in a writer transaction."""

    def __init__(self, config_dir):
        self.config_dir = config_dir
        self._db = None

    @property
    def db(self):
        """The store of the config dir (read once it is written)."""
        if self._db is None:
            from nova.db import api as db_api

            self._db = db_api.Database(conf_of(self.config_dir).database)
        return self._db

    def __call__(self, name="cirros", **values):
        from nova.compute import images

        with self.db.writer() as session:
            return images.create(session, name=name, **values).id

    def close(self):
        if self._db is not None:
            self._db.dispose()


def make_flavor(app, name, ram=512, vcpus=1, disk=1, flavor_id=None,
                version="2.1", **extra):
    """Create a flavor as admin through the API; returns its view."""
    flavor = {"name": name, "ram": ram, "vcpus": vcpus, "disk": disk,
              **extra}
    if flavor_id is not None:
        flavor["id"] = flavor_id
    resp = app.post_json("/v2.1/flavors", {"flavor": flavor},
                         headers=v(version))
    assert resp.status_int == 200, resp.body
    return resp.json["flavor"]


def wipe(url):
    """Drop every table of the database at ``url``."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        meta = sqlalchemy.MetaData()
        meta.reflect(engine)
        with engine.begin() as conn:
            for table in reversed(meta.sorted_tables):
                table.drop(conn)
    finally:
        engine.dispose()


# -- upstream samples ---------------------------------------------------------

def sample(name):
    """(status, headers, body) of an upstream Nova 34 sample; outside CI
    skips when the reference samples are not there, in CI fails."""
    path = SAMPLES / f"{name}.txt"
    if not path.is_file():
        unavailable(f"upstream sample {path} (set NOVA_TEST_SAMPLES)")
    head, _sep, body = path.read_text().partition("\n\n")
    lines = head.splitlines()
    headers = {}
    for line in lines[1:]:
        key, _colon, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    status = int(lines[0].split()[1])
    return status, headers, (json.loads(body) if body.strip() else None)


def upstream(name):
    """(status, body) of a sample, its links pointing at our test host."""
    status, _headers, body = sample(name)
    if body is not None:
        body = json.loads(json.dumps(body).replace(SAMPLE_HOST, HOST))
    return status, body


# -- the compute API through WebTest ------------------------------------------

def v(version, who=ADMIN):
    """``who``'s headers asking for compute microversion ``version``."""
    return {**who, "OpenStack-API-Version": f"compute {version}"}


def fault(resp, name, code, body_code=True):
    """The message of a fault: status ``code``, body ``{name: {"code":
    code, "message": ...}}`` (with ``body_code=False`` the body's "code" is
    not looked at)."""
    assert resp.status_int == code, resp.body
    assert list(resp.json) == [name]
    if body_code:
        assert resp.json[name]["code"] == code
    return resp.json[name]["message"]
