"""Remote consoles: the URL a client opens (POST
/servers/{id}/remote-consoles and the older os-get*Console actions), and
the console token a console proxy turns back into a connection target
(GET /os-console-auth-tokens/{token}); independent of HTTP.

``issue`` checks what upstream's compute API and compute manager check,
in their order: the server has a host (else 409 "is not ready"), it is
not being deleted or live-migrated (409), the protocol is switched on in
its config group (else 400 "Unavailable console type"), the type is one
of the protocol's (else 400 "Invalid console type"), and the server has
been built (409 "is not ready": upstream's driver does not know it yet).
Then the driver names the target (host, port), a random token is made and
only its SHA-256 is stored with the target and its expiry, [consoleauth]
token_ttl seconds away (whole Unix seconds, as upstream). The token
itself is in the URL returned, and nowhere else: it is never stored,
logged or shown again.

A token is valid until it expires or its server is deleted
(``forget``, called by ``nova.compute.servers.delete``); expired tokens
are refused by ``validate`` and deleted by the next ``issue`` (upstream's
compute nodes delete them periodically).
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse
import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from nova import exception
from nova.compute import driver as driver_mod
from nova.compute import states
from nova.db.models import ConsoleAuthToken, Instance

if TYPE_CHECKING:
    from oslo_config import cfg
    from sqlalchemy.orm import Session

    from nova.compute.driver import ComputeDriver

# Each protocol: the config group whose ``enabled`` switches it on.
PROTOCOLS = {"vnc": "vnc", "spice": "spice", "serial": "serial_console",
             "mks": "mks"}
# Each console type: its protocol, and the option of that group holding
# the proxy's public URL.
TYPES = {
    "novnc": ("vnc", "novncproxy_base_url"),
    "spice-html5": ("spice", "html5proxy_base_url"),
    "spice-direct": ("spice", "spice_direct_proxy_base_url"),
    "serial": ("serial", "base_url"),
    "webmks": ("mks", "mksproxy_base_url"),
}
# Upstream refuses a console while the server is in these task states.
_BUSY_TASKS = ("deleting", "migrating")


def _now() -> int:
    return int(time.time())


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_url(base: str, console_type: str, token: str) -> str:
    """The URL a client opens: noVNC reads the token from the ``path``
    query parameter of its page (noVNC 1.x); the other proxies from a
    ``token`` query parameter appended to their URL."""
    if console_type != "novnc":
        return f"{base}?token={token}"
    parts = urllib.parse.urlsplit(base)
    query = urllib.parse.parse_qs(parts.query)
    query["path"] = [f"{query.get('path', [''])[0]}?token={token}"]
    return parts._replace(
        query=urllib.parse.urlencode(query, doseq=True)).geturl()


def _not_ready(instance: Instance) -> exception.Conflict:
    return exception.Conflict(f"Instance {instance.uuid} is not ready")


def issue(session: Session, instance: Instance, protocol: str,
          console_type: str, driver: ComputeDriver,
          conf: cfg.ConfigOpts) -> str:
    """A new console of ``instance`` (loaded for update): its URL."""
    if not instance.host:
        raise _not_ready(instance)
    vm_state, task_state = driver_mod.effective(instance)[:2]
    if task_state in _BUSY_TASKS:
        raise exception.Conflict(
            f"Cannot 'get_{protocol}_console' instance {instance.uuid} "
            f"while it is in task_state {task_state}")
    group = conf[PROTOCOLS[protocol]]
    if not group.enabled:
        raise exception.Invalid(f"Unavailable console type {console_type}.")
    if console_type not in TYPES or TYPES[console_type][0] != protocol:
        # Upstream's serial console takes any type the schema lets
        # through (protocol "serial", type "novnc"): refused here.
        raise exception.Invalid(f"Invalid console type {console_type}")
    if vm_state == states.BUILDING:
        raise _not_ready(instance)
    target = driver.remote_console(instance, protocol)
    now = _now()
    session.execute(sa.delete(ConsoleAuthToken).where(
        ConsoleAuthToken.expires <= now))
    token = str(uuid.uuid4())
    session.add(ConsoleAuthToken(
        token_hash=token_hash(token), console_type=console_type,
        host=target.host, port=target.port, tls_port=target.tls_port,
        internal_access_path=target.internal_access_path,
        instance_uuid=instance.uuid,
        expires=now + conf.consoleauth.token_ttl))
    session.flush()
    return access_url(group[TYPES[console_type][1]], console_type, token)


def validate(session: Session, token: str) -> ConsoleAuthToken:
    """The unexpired token's row (its server not deleted, and still on
    the host the token names: upstream deletes a server's tokens when it
    moves, e.g. at the end of a live migration), or 404."""
    found = session.execute(
        sa.select(ConsoleAuthToken)
        .join(Instance, Instance.uuid == ConsoleAuthToken.instance_uuid)
        .where(ConsoleAuthToken.token_hash == token_hash(token),
               ConsoleAuthToken.expires > _now(),
               Instance.deleted == 0,
               Instance.host == ConsoleAuthToken.host)).scalar()
    if found is None:
        raise exception.NotFound("Token not found")
    return found


def forget(session: Session, instance_uuid: str) -> None:
    """Delete every token of the server (it is being deleted)."""
    session.execute(sa.delete(ConsoleAuthToken).where(
        ConsoleAuthToken.instance_uuid == instance_uuid))
