"""tools/run.sh as a new user meets it, on a scratch copy of the checkout.

The copy holds the checkout's files as they are in the work tree, and its
``.venv`` is a link to the checkout's (``NOVA_RUN_BOOTSTRAP=0``: bootstrap
would install the copy into that shared virtualenv). run.sh serves on
8774/8775 when they are free, else on free ports; it runs in the
background until the test stops it, as a user leaves it serving. The
tests then run what it printed, as printed (through bash, from the top of
the copy): the requests it showed, one server's whole life with the
``openstack`` CLI and with openstacksdk, the ``openrc`` habit; and a
second run keeps everything.
"""

import os
import pathlib
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time

import pytest

from tests.deploy import servers

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("deploy_tools"),
              pytest.mark.timeout(600)]

SERVING = re.compile(r"^Serving: compute on (\S+), metadata on (\S+)\. ",
                     re.M)


def _port(default):
    """``default`` when nothing listens there, else a free port."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", default))
        except OSError:
            return servers.free_port()
    return default


def _copy_checkout(target):
    """The checkout's tracked and new files, as they are now."""
    listed = subprocess.run(
        ["git", "-C", str(servers.ROOT), "ls-files", "-z", "--cached",
         "--others", "--exclude-standard"], capture_output=True, check=True,
        timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = servers.ROOT / name
        if not source.is_file():
            continue  # deleted in the work tree
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest)
    for path in [target, *target.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    (target / ".venv").symlink_to(servers.VENV.resolve())


def _env(home):
    """A user's shell: no OpenStack settings, no proxies, HOME of its own."""
    env = {k: v for k, v in servers.clean_env().items()
           if not k.startswith("OS_") and not k.lower().endswith("_proxy")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_CACHE_HOME=str(home / ".cache"), NO_PROXY="*",
               no_proxy="*", PYTHONWARNINGS="ignore")
    return env


class Clone:
    """The scratch copy and run.sh serving from it."""

    def __init__(self, path):
        self.path = path
        self.home = path / "home"
        self.home.mkdir()
        self.env = _env(self.home)
        self.ports = (_port(8774), _port(8775))
        self.proc = None
        self.stop_report = ""  # see stop()
        self.runs = []  # (seconds to serving, output) of each run

    def start(self):
        env = dict(self.env, NOVA_RUN_BOOTSTRAP="0",
                   NOVA_COMPUTE_PORT=str(self.ports[0]),
                   NOVA_METADATA_PORT=str(self.ports[1]))
        log = self.path / f"run-{len(self.runs) + 1}.log"
        started = time.monotonic()
        self.proc = servers.Process([self.path / "tools" / "run.sh"], log,
                                    env=env, cwd=self.path)
        servers.wait_for(
            lambda: SERVING.search(self.proc.output())
            or not self.proc.running(), 120, "run.sh to serve")
        output = self.proc.output()
        assert SERVING.search(output), output[-4000:]
        self.runs.append((time.monotonic() - started, output))
        return output

    def stop(self):
        """Ctrl-C, as a user stops it; its exit code."""
        if self.proc is not None:
            proc, self.proc = self.proc, None
            code = proc.stop(signal.SIGINT)
            # Not stopped within the bound: what was still running, and
            # what run.sh and the servers said, for the failure message.
            self.stop_report = (f"still running: {proc.left_running}\n"
                                f"{proc.output()[-3000:]}\n{self.logs()}")
            return code

    def run_refused(self, env):
        """run.sh with ``env``, expected to refuse at once: its result. In
        a session of its own, killed whole if it serves instead (60 s),
        so that a wrong answer leaves no server behind."""
        proc = subprocess.Popen([str(self.path / "tools" / "run.sh")],
                                cwd=self.path, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        return subprocess.CompletedProcess(proc.args, proc.returncode, out,
                                           err)

    def bash(self, script, check=True):
        """Run pasted lines as a user's shell does, at the top of the copy."""
        done = subprocess.run(["bash", "-e", "-c", script], cwd=self.path,
                              env=self.env, capture_output=True, text=True,
                              timeout=180)
        if check:
            assert done.returncode == 0, (
                f"{script}\nexited {done.returncode}\nstdout:\n{done.stdout}"
                f"\nstderr:\n{done.stderr}\n{self.logs()}")
        return done

    def logs(self):
        parts = []
        for path in sorted((self.path / "run" / "log").glob("*.log")):
            parts.append(f"----- {path.name} -----\n"
                         f"{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


@pytest.fixture(scope="module")
def clone(module_workdir):
    path = module_workdir.mkdir("clone")
    _copy_checkout(path)
    clone = Clone(path)
    try:
        clone.start()
        yield clone
    finally:
        clone.stop()
        for seconds, _output in clone.runs:
            print(f"run.sh served after {seconds:.1f} s")


def _examples(output):
    """[(comment, command line)] of the requests run.sh ran and showed."""
    shown = output.split("\n# Next,", 1)[0]
    return re.findall(r"^# (.+)\n(.+)$", shown, re.M)


def _block(output, header, end):
    """The lines after the comment line ``header``, up to ``end``."""
    start = output.index(f"\n# {header}") + 1
    lines = output[start:].split("\n")[1:]
    return "\n".join(lines[:lines.index(end) + 1] if end else
                     lines[:lines.index("")])


def test_first_run_seeds_and_writes_the_client_config(clone):
    output = clone.runs[0][1]
    assert "Seeded: 9 created, 0 kept, 0 skipped." in output
    compute = f"http://127.0.0.1:{clone.ports[0]}/v2.1"
    clouds = (clone.path / "run" / "clouds.yaml").read_text()
    assert clouds.count("auth_type: admin_token") == 2
    for user in ("demo", "admin"):
        assert (f"  nova-wsgi-{user}:\n    auth_type: admin_token\n"
                f"    auth:\n      endpoint: {compute}\n"
                f"      token: {user}:{user}\n") in clouds
    assert f"OS_IDENTITY_ENDPOINT_OVERRIDE={compute}" in (
        clone.path / "run" / "openrc").read_text()
    conf = (clone.path / "run" / "etc" / "nova.conf").read_text()
    assert ("hosts = compute1:nova:16:32768:1000, "
            "compute2:nova:16:32768:1000") in conf


def test_the_requests_it_showed_paste(clone):
    examples = _examples(clone.runs[0][1])
    assert len(examples) == 5, examples
    by_comment = dict(examples)
    versions = by_comment["The newest microversion"]
    # The header is one word of the command once the shell has read it.
    assert "OpenStack-API-Version: compute latest" in shlex.split(versions)
    assert "compute 2.104" in clone.bash(versions).stdout
    flavors = by_comment["The flavors, as the user demo of the project demo "
                         "(noauth2 token user:project)"]
    assert '"name": "m1.tiny"' in clone.bash(flavors).stdout
    for comment, line in examples:
        done = clone.bash(line)
        assert done.stdout, (comment, line)
    cli = [line for _c, line in examples if "openstack" in line]
    assert cli == ["OS_CLIENT_CONFIG_FILE=run/clouds.yaml .venv/bin/openstack "
                   "--os-cloud nova-wsgi-demo flavor list"]


def test_one_servers_life_with_the_cli_as_printed(clone):
    script = _block(clone.runs[0][1], "Next, one server's whole life", None)
    assert script.splitlines()[0] == (
        "OS_CLIENT_CONFIG_FILE=run/clouds.yaml .venv/bin/openstack --os-cloud "
        "nova-wsgi-demo server create --flavor m1.tiny --image cirros --wait "
        "demo1")
    if clone.ports == (8774, 8775):
        # The README's tour shows the same lines.
        assert script in (servers.ROOT / "README.md").read_text()
    out = clone.bash(script).stdout
    assert re.search(r"\| demo1 \| ACTIVE \| private=10\.0\.0\.\d+ \| "
                     r"cirros \| m1\.tiny \|", out), out
    # The metadata API told what demo1's cloud-init would read.
    assert '"name": "demo1"' in out and '"hostname": "demo1.novalocal"' in out
    for action in ("create", "resize", "confirmResize"):
        assert f"| {action} " in out
    listed = clone.bash("OS_CLIENT_CONFIG_FILE=run/clouds.yaml "
                        ".venv/bin/openstack --os-cloud nova-wsgi-demo "
                        "server list -f value -c Name")
    assert listed.stdout == ""


def test_the_same_with_openstacksdk_as_printed(clone):
    script = _block(clone.runs[0][1], "The same with openstacksdk:",
                    "PYTHON")
    assert script.startswith("OS_CLIENT_CONFIG_FILE=run/clouds.yaml "
                             ".venv/bin/python - <<'PYTHON'\n")
    assert script in (servers.ROOT / "README.md").read_text()
    assert clone.bash(script).stdout == "demo2 ACTIVE m1.small\n"


def test_the_openrc_habit_as_printed(clone):
    script = _block(clone.runs[0][1], "The environment-variable habit", None)
    assert script == ". run/openrc\n.venv/bin/openstack server list"
    clone.bash(script)
    # As admin: a resize moves a server to the other host.
    out = clone.bash(
        ". run/openrc admin\n"
        ".venv/bin/openstack server create --flavor m1.nano --image cirros "
        "--wait -f value -c OS-EXT-SRV-ATTR:host adm1\n"
        ".venv/bin/openstack server resize --flavor m1.micro --wait adm1 "
        ">/dev/null\n"
        ".venv/bin/openstack server show -f value -c OS-EXT-SRV-ATTR:host "
        "adm1\n"
        ".venv/bin/openstack server delete --wait adm1\n").stdout
    first, moved = out.split()
    assert {first, moved} == {"compute1", "compute2"}


def test_a_second_run_keeps_the_data(clone):
    cli = ("OS_CLIENT_CONFIG_FILE=run/clouds.yaml .venv/bin/openstack "
           "--os-cloud nova-wsgi-demo ")
    clone.bash(cli + "server create --flavor m1.small --image ubuntu-24.04 "
               "--wait keeper")
    clone.bash(cli + "keypair create keeper-key >/dev/null")
    assert clone.stop() == 0, clone.stop_report
    output = clone.start()
    assert "Seeded: 0 created, 9 kept, 0 skipped." in output
    assert "Database already at revision" in output
    listed = clone.bash(cli + "server list -f value -c Name -c Status "
                              "-c Flavor").stdout
    assert listed == "keeper ACTIVE m1.small\n"
    assert clone.bash(cli + "keypair list -f value -c Name").stdout == \
        "keeper-key\n"
    flavors = clone.bash(cli + "flavor list -f value -c Name").stdout
    assert sorted(flavors.split()) == sorted(
        ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge",
         "m1.nano", "m1.micro"])
    clone.bash(cli + "server delete --wait keeper")


def test_a_busy_port_is_named(clone):
    env = dict(clone.env, NOVA_RUN_BOOTSTRAP="0",
               NOVA_COMPUTE_PORT=str(clone.ports[0]),
               NOVA_METADATA_PORT=str(servers.free_port()),
               NOVA_RUN_DIR=str(clone.path / "run-2"))
    done = clone.run_refused(env)
    assert done.returncode == 1
    assert done.stderr == (
        f"run.sh: port {clone.ports[0]} is in use (another run.sh?): stop "
        "what listens there, or set NOVA_COMPUTE_PORT and "
        "NOVA_METADATA_PORT\n")
    assert not os.path.exists(clone.path / "run-2")


def test_run_dir_with_blanks_is_refused(clone):
    env = dict(clone.env, NOVA_RUN_BOOTSTRAP="0",
               NOVA_COMPUTE_PORT=str(servers.free_port()),
               NOVA_METADATA_PORT=str(servers.free_port()),
               NOVA_RUN_DIR=str(clone.path / "my run"))
    done = clone.run_refused(env)
    assert done.returncode == 2
    assert "choose a path without blanks or quotes" in done.stderr
    assert not pathlib.Path(clone.path / "my run").exists()
