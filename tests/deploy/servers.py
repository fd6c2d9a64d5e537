"""Real servers for the deployment and robustness tests, test_quota_concurrency
and bench/apache.py.

Everything listens on 127.0.0.1, lives in a temporary directory that the
unprivileged user the servers run as (``www-data``) can read, and is
stopped by whoever started it, with a bounded wait and a SIGKILL fallback:

- ``Workdir``: the temporary tree (config directories, an SQLite database
  owned by www-data, scripts, logs), removed at the end;
- ``Apache``: a private Apache httpd (``apache2ctl -f CONF``) with its own
  ServerRoot, PidFile, runtime dir, mutexes and WSGISocketPrefix, loading
  the given snippets;
- ``Process``: any foreground server (mod_wsgi-express, gunicorn, uWSGI)
  in a session of its own;
- ``Gunicorn``: gunicorn (this interpreter's) on a socket the test binds
  and hands over, waited for until /healthcheck answers;
- ``request``/``wait_for``: HTTP on a fresh connection each time.
"""

import contextlib
import dataclasses
import http.client
import json
import os
import pathlib
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
VENV = ROOT / ".venv"
PASTE = ROOT / "nova" / "etc" / "api-paste.ini"
RUN_AS = "www-data"
APACHECTL = shutil.which("apache2ctl") or "/usr/sbin/apache2ctl"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- HTTP ---------------------------------------------------------------------

@dataclasses.dataclass
class Response:
    status: int
    headers: dict  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def request(url, method="GET", headers=None, body=None, timeout=15):
    """One request on a new connection; TLS certificates are not checked."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(parts.hostname, parts.port,
                                           timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                          timeout=timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status,
                        {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def wait_for(predicate, timeout, what, interval=0.1):
    """Poll ``predicate`` until it returns a true value; fail after
    ``timeout`` seconds naming ``what``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (OSError, http.client.HTTPException) as exc:
            value, last = None, exc
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f" (last error: {last!r})" if last else ""))


def basic_auth(user, password):
    import base64

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# -- the temporary tree -------------------------------------------------------

class Workdir:
    """A 0755 directory under /tmp; the servers' user owns ``db/``."""

    def __init__(self, prefix="nova-deploy-"):
        self.path = pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
        self.path.chmod(0o755)
        user = pwd.getpwnam(RUN_AS)
        self.uid, self.gid = user.pw_uid, user.pw_gid
        self.db_dir = self.mkdir("db", owned=True)
        self.db_url = f"sqlite:///{self.db_dir}/nova.sqlite"
        self._synced = False

    def mkdir(self, name, owned=False):
        path = self.path / name
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o755)
        if owned:
            os.chown(path, self.uid, self.gid)
        return path

    def write(self, relpath, text, mode=0o644):
        path = self.path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
        return path

    def config(self, name, auth="noauth2", api="", extra=""):
        """A config directory: the shipped api-paste.ini and a nova.conf
        on this tree's database (synced once). ``api`` is added to the
        [api] section, ``extra`` (other sections) appended."""
        directory = self.mkdir(name)
        shutil.copyfile(PASTE, directory / "api-paste.ini")
        (directory / "api-paste.ini").chmod(0o644)
        self.write(f"{name}/nova.conf", f"[api]\nauth_strategy = {auth}\n"
                   + textwrap.dedent(api)
                   + f"\n[database]\nconnection = {self.db_url}\n"
                   + textwrap.dedent(extra))
        if not self._synced:
            self.sync_db(directory)
        return directory

    def sync_db(self, config_dir):
        env = clean_env(OS_NOVA_CONFIG_DIR=str(config_dir))
        proc = subprocess.run([str(VENV_BIN / "nova-manage"), "db", "sync"],
                              env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        for path in self.db_dir.iterdir():
            os.chown(path, self.uid, self.gid)
        self._synced = True

    def htpasswd(self, relpath, users):
        """A bcrypt htpasswd file readable by the servers."""
        import bcrypt

        lines = [f"{user}:"
                 f"{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(4)).decode()}"
                 for user, pw in users.items()]
        return self.write(relpath, "\n".join(lines) + "\n")

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


def clean_env(**extra):
    """The test process's environment without any OS_NOVA_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_NOVA_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    return env


# -- processes ----------------------------------------------------------------

def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().split(b"\0")[0].decode("utf-8", "replace")
    except OSError:
        return ""


def children(pid):
    return [int(p) for p in os.listdir("/proc")
            if p.isdigit() and _ppid(int(p)) == pid]


def descendants(pid):
    """Every process under ``pid``: children, theirs, and so on."""
    found, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    return found


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not serving anything.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _default_interrupts():
    """In the child: SIGINT and SIGQUIT as a terminal gives them. A shell
    that starts the test run in the background (``cmd &`` without job
    control) leaves them ignored, every child inherits that, and bash
    cannot trap a signal ignored on entry: Ctrl-C would not reach it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Process:
    """A foreground server in a session of its own, output to ``log``."""

    def __init__(self, argv, log, env=None, cwd=None):
        self.argv = [str(a) for a in argv]
        self.log = pathlib.Path(log)
        self._fh = open(self.log, "ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=self._fh, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, cwd=cwd,
            start_new_session=True, preexec_fn=_default_interrupts)
        self.pid = self.proc.pid
        # What was still running when stop() gave up waiting (pid and
        # command line of each descendant): for a test's failure message.
        self.left_running = []

    def output(self):
        return self.log.read_text(errors="replace")

    def running(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signal the server, wait, then SIGKILL whatever of its session is
        left. Returns the exit code."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
            self.left_running = [(pid, _cmdline(pid))
                                 for pid in [self.pid, *descendants(self.pid)]]
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if code is None:
            code = self.proc.wait(timeout=10)
        self._fh.close()
        return code


class Gunicorn:
    """gunicorn serving ``app`` (``module:attribute``) with this
    interpreter, in a session of its own, its output in ``log``.

    ``start()`` binds a loopback port and hands the socket over
    (``--bind fd://``), so no other process can take it in between, then
    returns once /healthcheck answers 200 (30 s at most; over https when
    the options have ``--certfile``); ``url`` is where it serves, under
    the path prefix that ``SCRIPT_NAME`` in ``env`` gives (gunicorn serves
    only below it). ``stop()`` is
    graceful (SIGTERM: the workers too), then SIGKILLs the session after
    15 s. ``logs()`` is what to show when a test fails.
    """

    def __init__(self, app, log, env, cwd, options=()):
        self.app = app
        self.log = pathlib.Path(log)
        self.env = env
        self.cwd = cwd
        self.options = [str(o) for o in options]
        self.proc = None
        self.port = None
        self.scheme = "https" if "--certfile" in self.options else "http"
        self.prefix = (env or {}).get("SCRIPT_NAME", "")
        # An attribute, not a property: subclasses (test_real_clients)
        # point it at their own endpoint once started.
        self.url = None

    def start(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"{self.scheme}://127.0.0.1:{self.port}{self.prefix}"
        try:
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "--no-control-socket",
                     "--bind", f"fd://{sock.fileno()}",
                     "--graceful-timeout", "5", *self.options, self.app],
                    env=self.env, cwd=self.cwd, stdout=log,
                    stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),),
                    start_new_session=True)
        finally:
            sock.close()
        health = f"{self.url}/healthcheck"
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"gunicorn exited with {self.proc.returncode}\n"
                    + self.logs())
            try:
                if request(health, timeout=2).status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("gunicorn did not become healthy in "
                                     "30 s\n" + self.logs())
            time.sleep(0.1)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # graceful: workers too
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group we made
            self.proc.wait(timeout=5)

    def logs(self):
        return self.log.read_text(errors="replace") if self.log.exists() \
            else ""


# -- a private Apache ---------------------------------------------------------

def apache_modules_dir():
    apxs = shutil.which("apxs") or shutil.which("apxs2")
    if apxs:
        out = subprocess.run([apxs, "-q", "LIBEXECDIR"], capture_output=True,
                             text=True, timeout=30).stdout.strip()
        if out:
            return out
    return "/usr/lib/apache2/modules"


def mod_wsgi_so(venv_bin=VENV_BIN):
    """The mod_wsgi module that ``venv_bin``'s mod_wsgi-express built."""
    return subprocess.run(
        [str(pathlib.Path(venv_bin) / "mod_wsgi-express"), "module-location"],
        capture_output=True, text=True, timeout=60, check=True).stdout.strip()


_HTTPD_CONF = """\
# A private Apache for nova-wsgi's tests: everything under {root}.
ServerRoot "{root}"
PidFile "{root}/run/httpd.pid"
DefaultRuntimeDir "{root}/run"
Mutex file:{root}/run default
ServerName 127.0.0.1
User {user}
Group {user}
ErrorLog "{root}/logs/error.log"
LogLevel {log_level}
Timeout 60
{load_modules}
WSGISocketPrefix "{root}/run/wsgi"
WSGIRestrictEmbedded On
{python_home}
Define APACHE_LOG_DIR "{root}/logs"
{extra}
{includes}
"""


class Apache:
    """A private Apache httpd run with ``apache2ctl -f``.

    ``snippets`` are ``(file name, text)`` included in order. The
    environment of apache2ctl (and so of the mod_wsgi daemons) is the test
    process's without OS_NOVA_*, plus ``env``; APACHE_ENVVARS points at a
    file of this instance, so Debian's apache2ctl touches nothing of the
    system Apache's. ``mod_wsgi`` is the module's ``.so`` (default: the one
    of .venv's mod_wsgi).
    """

    MODULES = ("mpm_event", "authz_core", "alias")

    def __init__(self, workdir, name, snippets, env=None, modules=(),
                 python_home=None, extra="", log_level="info",
                 mod_wsgi=None):
        self.root = workdir.mkdir(name)
        # logs/nova: the Debian layout's ${APACHE_LOG_DIR}/nova.
        for sub in ("run", "logs", "logs/nova", "conf"):
            (self.root / sub).mkdir(exist_ok=True)
        self.conf = self.root / "conf" / "httpd.conf"
        moddir = apache_modules_dir()
        loads = [f"LoadModule {m}_module {moddir}/mod_{m}.so"
                 for m in (*self.MODULES, *modules)]
        loads.append("<IfModule !log_config_module>\n"
                     f"LoadModule log_config_module {moddir}/mod_log_config.so"
                     "\n</IfModule>")
        loads.append(f'LoadModule wsgi_module "{mod_wsgi or mod_wsgi_so()}"')
        includes = []
        for filename, text in snippets:
            path = self.root / "conf" / filename
            path.write_text(text)
            includes.append(f'Include "{path}"')
        self.conf.write_text(_HTTPD_CONF.format(
            root=self.root, user=RUN_AS, log_level=log_level,
            load_modules="\n".join(loads), extra=extra,
            python_home=(f'WSGIPythonHome "{python_home}"'
                         if python_home else ""),
            includes="\n".join(includes)))
        envvars = self.root / "conf" / "envvars"
        envvars.write_text(
            f"export APACHE_RUN_DIR={self.root}/run\n"
            f"export APACHE_LOCK_DIR={self.root}/run\n"
            f"export APACHE_LOG_DIR={self.root}/logs\n"
            f"export APACHE_PID_FILE={self.root}/run/httpd.pid\n"
            f"export APACHE_RUN_USER={RUN_AS}\n"
            f"export APACHE_RUN_GROUP={RUN_AS}\n")
        self.env = clean_env(APACHE_ENVVARS=str(envvars), **(env or {}))
        self.pid = None

    def ctl(self, *args, timeout=60):
        return subprocess.run([APACHECTL, "-f", str(self.conf), *args],
                              env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def check(self):
        """``apache2ctl -t``: (ok, output)."""
        proc = self.ctl("-t")
        return proc.returncode == 0, proc.stdout + proc.stderr

    def start(self):
        proc = self.ctl("-k", "start")
        assert proc.returncode == 0, (proc.stdout + proc.stderr
                                      + self.error_log())
        pidfile = self.root / "run" / "httpd.pid"
        self.pid = wait_for(
            lambda: pidfile.exists() and int(pidfile.read_text().strip()),
            30, f"the pid file of {self.conf}")
        return self.pid

    def graceful(self):
        proc = self.ctl("-k", "graceful")
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def stop(self, timeout=30):
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        family = [pid, *children(pid)]
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.ctl("-k", "stop", timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(alive(p) for p in family):
            time.sleep(0.1)
        for p in family + children(pid):
            if alive(p):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGKILL)

    def daemons(self, group):
        """The pids of mod_wsgi daemon processes of ``group``: children of
        Apache whose name (display-name=%{GROUP}, cut to the length of
        Apache's own argv[0]) is ``(wsgi:<group>``."""
        out = []
        for child in children(self.pid):
            name = _cmdline(child)
            if name.startswith("(wsgi:"):
                shown = name[len("(wsgi:"):].rstrip(")")
                if len(shown) >= 5 and group.startswith(shown):
                    out.append(child)
        return sorted(out)

    def log(self, name="error.log"):
        path = self.root / "logs" / name
        return path.read_text(errors="replace") if path.exists() else ""

    def error_log(self):
        return "".join(self.log(p.name) for p in
                       sorted((self.root / "logs").glob("*error*")))


def self_signed_certificate(workdir, name="tls"):
    """A certificate and key for 127.0.0.1, valid one day."""
    directory = workdir.mkdir(name)
    crt, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", str(key), "-out", str(crt), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60)
    return crt, key


def certificate(directory, names=("127.0.0.1",), days=365, starts=None):
    """``server.crt`` and ``server.key`` in ``directory`` (made, 0755): a
    self-signed certificate for ``names`` (IP addresses or DNS names, all
    in subjectAltName; the first is the CN), valid from ``starts``
    (default: an hour ago) for ``days`` days, which may be over."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    alt = []
    for entry in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(entry)))
        except ValueError:
            alt.append(x509.DNSName(entry))
    start = starts or (datetime.datetime.now(datetime.timezone.utc)
                       - datetime.timedelta(hours=1))
    cert = (x509.CertificateBuilder().subject_name(subject)
            .issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    crt, keyfile = directory / "server.crt", directory / "server.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    keyfile.chmod(0o644)  # the servers' user reads it
    return crt, keyfile


def express_argv(script, port, server_root, processes=1, extra=(),
                 venv_bin=VENV_BIN):
    """mod_wsgi-express (``venv_bin``'s) serving ``script`` as www-data on
    127.0.0.1."""
    return [pathlib.Path(venv_bin) / "mod_wsgi-express", "start-server",
            script,
            "--host", "127.0.0.1", "--port", str(port),
            "--user", RUN_AS, "--group", RUN_AS, "--locale", "C.UTF-8",
            "--server-root", server_root, "--log-to-terminal",
            "--processes", str(processes), "--threads", "1", *extra]
