"""HTTP Basic authentication against a bcrypt htpasswd file.

For standalone deployments without Keystone. The file is Apache's format
(``htpasswd -B -c FILE user``); only bcrypt entries are accepted, any other
hash is refused at load with the line number. The file is read again when
its modification time or size changes. A successful check is remembered
(as a keyed digest, never the password) so that bcrypt's deliberate
slowness is paid once per user and password, not on every request.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import threading

from nova import context as nova_context
from nova import exception, loading
from nova.api import errors
from nova.api.middleware import auth

LOG = logging.getLogger(__name__)

_BCRYPT_PREFIXES = ("$2y$", "$2b$", "$2a$")
_REALM = 'Basic realm="OpenStack Compute"'


class HtpasswdError(ValueError):
    pass


def parse_htpasswd(text, path):
    users = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, hashed = line.partition(":")
        if not sep or not user or not hashed:
            raise HtpasswdError(
                f"{path} line {lineno}: expected 'user:hash'")
        if not hashed.startswith(_BCRYPT_PREFIXES):
            raise HtpasswdError(
                f"{path} line {lineno}: the entry for {user!r} is not a "
                f"bcrypt hash; write it with 'htpasswd -B'")
        users[user] = hashed.encode()
    return users


class _UserFile:
    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp = None
        self.users = {}
        self.load()

    def load(self):
        try:
            stat = os.stat(self.path)
            with open(self.path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise HtpasswdError(
                f"[api] http_basic_auth_user_file = {self.path}: cannot read "
                f"it ({exc.strerror}). Create it with 'htpasswd -B -c "
                f"{self.path} USER' and let the API's user read it.") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            lineno = data.count(b"\n", 0, exc.start) + 1
            raise HtpasswdError(
                f"{self.path} line {lineno}: not UTF-8 text") from None
        self.users = parse_htpasswd(text, self.path)
        self._stamp = (stat.st_mtime_ns, stat.st_size)

    def refresh(self):
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            # Removing the file revokes every user: fail closed.
            if self._stamp is not None:
                LOG.error("[api] http_basic_auth_user_file %s is gone (%s): "
                          "refusing every user until it is back.",
                          self.path, exc.strerror)
                with self._lock:
                    self.users = {}
                    self._stamp = None
            return
        if (stat.st_mtime_ns, stat.st_size) != self._stamp:
            with self._lock:
                try:
                    self.load()
                except HtpasswdError as exc:
                    LOG.error("Keeping the previous users: %s", exc)
                    self._stamp = (stat.st_mtime_ns, stat.st_size)


class HttpBasic:
    def __init__(self, app, conf, user_file):
        self.app = app
        self.file = user_file
        self.projects = dict(conf.api.http_basic_user_projects)
        self.admins = set(conf.api.http_basic_admin_users)
        self._key = secrets.token_bytes(32)
        self._verified = {}  # user -> digest of (hash, password)
        self._lock = threading.Lock()

    def _digest(self, hashed, password):
        return hmac.new(self._key, hashed + b"\0" + password,
                        hashlib.sha256).digest()

    def check(self, user, password):
        import bcrypt

        self.file.refresh()
        hashed = self.file.users.get(user)
        if hashed is None:
            return False
        digest = self._digest(hashed, password)
        known = self._verified.get(user)
        if known is not None and hmac.compare_digest(known, digest):
            return True
        try:
            ok = bcrypt.checkpw(password, hashed)
        except ValueError:
            return False
        if ok:
            with self._lock:
                if len(self._verified) > 10000:
                    self._verified.clear()
                self._verified[user] = digest
        return ok

    def __call__(self, environ, start_response):
        auth.strip_identity_headers(environ)
        credentials = _credentials(environ.get("HTTP_AUTHORIZATION", ""))
        if credentials is None or not self.check(*credentials):
            return errors.fault_response(
                errors.Unauthorized(), start_response,
                [("WWW-Authenticate", _REALM)])
        user = credentials[0]
        is_admin = user in self.admins
        environ[nova_context.ENV_CONTEXT] = nova_context.RequestContext(
            user_id=user,
            user_name=user,
            project_id=self.projects.get(user, user),
            roles=("admin", "member", "reader") if is_admin
            else ("member", "reader"),
            is_admin=is_admin,
            remote_address=environ.get("REMOTE_ADDR"),
            request_id=environ.get("openstack.request_id"),
            global_request_id=environ.get("openstack.global_request_id"),
        )
        return self.app(environ, start_response)


def _credentials(header):
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(b":")
    if not sep or not user:
        return None
    try:
        user = user.decode("utf-8")  # the file's names are text
    except UnicodeDecodeError:
        return None
    return user, password


def filter_factory(global_conf, **local_conf):
    conf = loading.loading_conf()
    try:
        user_file = _UserFile(conf.api.http_basic_auth_user_file)
    except HtpasswdError as exc:
        raise exception.StartupError(str(exc)) from None
    return lambda app: HttpBasic(app, conf, user_file)
