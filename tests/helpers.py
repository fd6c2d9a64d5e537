"""Plain helpers and constants shared by the test modules (fixtures are in
the conftest.py files; this module holds none).

- who asks (the noauth2 tokens ``ADMIN``, ``DEMO``, ``ALICE``, ``OTHER``)
  and the ids and keys of upstream's samples (``IMAGE``, ``SSH_KEY``,
  ``GUEST_KEY``), the messages and hosts the tests compare with;
- where things are: ``ROOT``, ``PASTE``, ``SAMPLES``, ``unavailable()``
  (skip outside CI, fail in CI) and ``bootstrap_for()`` (install what is
  missing with tools/bootstrap.sh);
- setting a cloud up: ``sync_db()``, ``nova_manage()`` (its exit code
  and output on a config dir), ``write_noauth_config()``,
  ``write_compute_config()``, ``conf_of()``, ``Images`` and ``add_image()``
  (the local image catalogue), ``make_flavor()`` and ``wipe()`` (empty a
  database);
- upstream Nova 34's recorded answers: ``sample()``, and ``upstream()``
  for one whose links point at WebTest's host;
- asking the compute API through WebTest: ``v()`` (a microversion's
  headers), ``fault()`` (check a fault body, return its message), and for
  /servers ``boot()``, ``boot_id()``, ``get()``, ``action()``,
  ``listing()``, ``ips()``, ``host_of()``, ``disable()`` (a host's
  nova-compute service), and ``set_quota()``; for the moves ``where()``,
  ``hypervisors()``, ``statistics()``, ``migrations()`` and ``events()``;
- what the store holds behind a loaded app: ``app_db()``, ``used_on()``;
  a store without the API: ``synced_database()``, ``add_server()``;
- ``ssh_key()``: a new OpenSSH public key.

Helpers of one subject live beside its tests: tests/fake_keystone.py,
tests/functional/metadata_cloud.py, tests/deploy/servers.py (real
servers) and tests/robustness/serve.py (the robustness tests' stack).
"""

import json
import os
import pathlib
import subprocess
import tempfile
import textwrap

import pytest

from nova import config_files

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


def bootstrap_for(missing):
    """When ``missing()`` names anything, run tools/bootstrap.sh; what it
    still names then is ``unavailable()``, with bootstrap's last words."""
    if not missing():
        return
    proc = subprocess.run([str(ROOT / "tools" / "bootstrap.sh")],
                          capture_output=True, text=True, timeout=900)
    still = missing()
    if still:
        unavailable(f"{', '.join(still)} (tools/bootstrap.sh: "
                    f"{proc.stderr[-500:] or proc.stdout[-500:]})")


# -- setting a cloud up -------------------------------------------------------

def sync_db(url, revision="head"):
    """Run ``nova-manage db sync`` against ``url``."""
    from nova.cmd import manage

    with tempfile.NamedTemporaryFile("w", suffix=".conf") as conf_file:
        conf_file.write(f"[database]\nconnection = {url}\n")
        conf_file.flush()
        assert manage.main(["--config-file", conf_file.name, "db", "sync",
                            "--revision", revision]) == 0


def nova_manage(config_dir, capsys, *argv):
    """(exit code, stdout, stderr) of ``nova-manage`` on the test config."""
    from nova.cmd import manage

    capsys.readouterr()
    try:
        code = manage.main(["--config-file",
                            str(config_dir.path / "nova.conf"), *argv])
    except SystemExit as exc:  # argparse refusing the arguments
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def write_noauth_config(config_dir, url):
    """api-paste.ini and a nova.conf for noauth2 on ``url`` (not synced)."""
    config_dir.paste()
    config_dir.write("nova.conf", f"""
        [api]
        auth_strategy = noauth2
        [database]
        connection = {url}
        """)
    return config_dir


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


def write_keystone_config(config_dir, tmp_path, keystone, extra=""):
    """auth_strategy = keystone against a ``tests.fake_keystone`` fake, on
    a synced SQLite file, with built-in compute that builds at once, plus
    ``extra`` nova.conf text (other sections)."""
    url = f"sqlite:///{tmp_path}/nova.sqlite"
    config_dir.paste()
    config_dir.write("nova.conf", textwrap.dedent(f"""
        [api]
        auth_strategy = keystone
        [database]
        connection = {url}
        [compute]
        build_time = 0
        action_time = 0
        """) + keystone.authtoken_conf() + textwrap.dedent(extra))
    sync_db(url)
    config_dir.db_url = url
    return config_dir


def conf_of(config_dir):
    """The parsed ``ConfigOpts`` of a config directory."""
    return config_files.build_conf(config_files.find_config(config_dir.env))


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


def add_image(config_dir, name="cirros", **values):
    """One image in ``config_dir``'s catalogue (see ``Images``); its id."""
    images = Images(config_dir)
    try:
        return images(name, **values)
    finally:
        images.close()


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


# -- /servers through WebTest -------------------------------------------------

URL = "/v2.1/servers"  # what the helpers below ask (and test_servers' URL)


def boot(app, name="vm", version="2.1", who=ADMIN, status=202, group=None,
         **server):
    """POST /servers, of ``IMAGE`` and flavor "1" unless ``server`` names
    others; ``group`` adds the scheduler hint. ``version=None`` sends no
    microversion header, ``status=None`` takes any 2xx or 3xx (WebTest's
    default). Returns the response."""
    body = {"server": {"name": name, "imageRef": IMAGE, "flavorRef": "1",
                       **server}}
    if group:
        body["os:scheduler_hints"] = {"group": group}
    headers = who if version is None else v(version, who)
    return app.post_json(URL, body, headers=headers, status=status)


def boot_id(app, name="vm", version="2.1", who=ADMIN, status=202,
            group=None, **server):
    """The id of the server ``boot()`` creates."""
    return boot(app, name, version, who, status, group, **server).json[
        "server"]["id"]


def get(app, server_id, version="2.1", who=ADMIN):
    """The server as ``who`` is shown it at ``version``."""
    return app.get(f"{URL}/{server_id}", headers=v(version, who)).json[
        "server"]


def action(app, server_id, body, version="2.1", who=ADMIN, status=202):
    return app.post_json(f"{URL}/{server_id}/action", body,
                         headers=v(version, who), status=status)


def listing(app, query="", version="2.1", who=ADMIN, detail=False):
    path = URL + ("/detail" if detail else "")
    return app.get(f"{path}?{query}" if query else path,
                   headers=v(version, who))


def ips(server):
    return [a["addr"] for net in server["addresses"].values() for a in net]


def host_of(app, server_id):
    """(status, host, availability zone) of a server, as the admin sees it."""
    server = get(app, server_id)
    return (server["status"], server["OS-EXT-SRV-ATTR:host"],
            server["OS-EXT-AZ:availability_zone"])


def disable(app, host):
    """Disable ``host``'s nova-compute service (os-services, as admin)."""
    app.put_json("/v2.1/os-services/disable",
                 {"host": host, "binary": "nova-compute"}, headers=ADMIN)



# -- moves (resize, cold and live migration) ---------------------------------

def where(app, server_id):
    """(status, host, zone, flavor name) as an admin sees them (the
    hypervisor is the host)."""
    server = get(app, server_id, "2.47")
    assert server["OS-EXT-SRV-ATTR:hypervisor_hostname"] == \
        server["OS-EXT-SRV-ATTR:host"]
    return (server["status"], server["OS-EXT-SRV-ATTR:host"],
            server["OS-EXT-AZ:availability_zone"],
            server["flavor"]["original_name"])


def hypervisors(app):
    """{host: (vcpus_used, memory_mb_used, local_gb_used, running_vms,
    [servers])} from the detail (2.87: the last with the figures)."""
    listed = app.get("/v2.1/os-hypervisors/detail?with_servers=true",
                     headers=v("2.87")).json["hypervisors"]
    return {h["hypervisor_hostname"]: (
        h["vcpus_used"], h["memory_mb_used"], h["local_gb_used"],
        h["running_vms"], [s["uuid"] for s in h.get("servers", [])])
        for h in listed}


def statistics(app):
    stats = app.get("/v2.1/os-hypervisors/statistics",
                    headers=ADMIN).json["hypervisor_statistics"]
    return (stats["count"], stats["vcpus_used"], stats["memory_mb_used"],
            stats["local_gb_used"], stats["running_vms"])


def migrations(app, server_id, version="2.80"):
    """The server's migrations in /os-migrations, newest first."""
    return app.get(f"/v2.1/os-migrations?instance_uuid={server_id}",
                   headers=v(version)).json["migrations"]


def events(app, server_id, action_name):
    """(message, [(event, result, details)]) of the server's latest
    ``action_name`` (2.84: with details and hosts)."""
    listed = app.get(f"/v2.1/servers/{server_id}/os-instance-actions",
                     headers=v("2.84")).json["instanceActions"]
    found = next(a for a in listed if a["action"] == action_name)
    shown = app.get(f"/v2.1/servers/{server_id}/os-instance-actions/"
                    f"{found['request_id']}", headers=v("2.84")).json
    return found["message"], [
        (e["event"], e["result"], e["details"])
        for e in shown["instanceAction"]["events"]]


def set_quota(app, project, status=200, query="", version="2.1", **values):
    """PUT ``project``'s quota set as admin; ``version=None`` sends no
    microversion header, ``status=None`` takes any 2xx or 3xx."""
    headers = ADMIN if version is None else v(version)
    return app.put_json(f"/v2.1/os-quota-sets/{project}{query}",
                        {"quota_set": values}, headers=headers,
                        status=status)

# -- behind a loaded app ------------------------------------------------------

def app_db(app):
    """The ``Database`` the loaded app's /healthcheck (and router) share."""
    return app.app.exact["/healthcheck"].db


def used_on(app):
    """{host: RAM placement counts as used on it} (what the next
    placement checks; the hypervisor views sum the servers instead), read
    from ``app.app_db_url``."""
    import sqlalchemy as sa

    from nova.db.models import ComputeHost
    engine = sa.create_engine(app.app_db_url)
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(ComputeHost.host,
                                           ComputeHost.memory_mb_used)).all())
    engine.dispose()
    return rows



def synced_database(url, tmp_path):
    """A ``Database`` on ``url`` after ``nova-manage db sync``, yielded
    (for a fixture), then disposed."""
    from nova.cmd import manage
    from nova.db import api as db_api

    path = tmp_path / "etc" / "nova.conf"
    path.parent.mkdir()
    path.write_text(f"[database]\nconnection = {url}\n")
    assert manage.main(["--config-file", str(path), "db", "sync"]) == 0
    conf = config_files.build_conf(config_files.ConfigSources(
        directory=str(path.parent), files=(str(path),), conf_d=(),
        files_setting=str(path), from_env=True))
    database = db_api.Database(conf.database)
    yield database
    database.dispose()


def add_server(db, address, project="p1", deleted=0):
    """A server row and its fixed IP ``address`` written straight to the
    store ``db`` (no API); returns its uuid."""
    import datetime
    import uuid

    import sqlalchemy as sa

    from nova.db.models import FixedIP, Instance

    ident = str(uuid.uuid4())
    with db.writer() as session:
        session.execute(sa.insert(Instance.__table__).values(
            uuid=ident, project_id=project, user_id="u", display_name="n",
            hostname="h", image_ref="", flavor="{}", flavorid="1", vcpus=1,
            memory_mb=64, root_gb=1, ephemeral_gb=0, vm_state="active",
            reservation_id="r-1", created_at=datetime.datetime(2025, 1, 1),
            deleted=deleted, revision=1))
        session.execute(sa.insert(FixedIP.__table__).values(
            network="private", address=address,
            mac_address="fa:16:3e:00:00:%02x" % int(address.split(".")[-1]),
            instance_uuid=ident, created_at=datetime.datetime(2025, 1, 1)))
    return ident

# -- keys ---------------------------------------------------------------------

def ssh_key(comment="me@host", kind="ed25519"):
    """A new OpenSSH public key (ed25519, ecdsa or rsa), with ``comment``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    elif kind == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    text = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH,
        serialization.PublicFormat.OpenSSH).decode()
    return f"{text} {comment}" if comment else text
