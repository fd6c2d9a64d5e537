"""HTTP(S) for ``nova-wsgi-check``: requests bounded in time from the
connection to the last byte, their failures said in words, and what a TLS
server presents (protocol, certificate dates and names, verification).

Standard library only and no import of the rest of ``nova`` (see
``nova.packaging.check``).
"""

from __future__ import annotations

import datetime
import http.client
import io
import ipaddress
import json
import select
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any, Dict, List, Optional, Tuple

CERT_WARN_DAYS = 30
MAX_BODY = 1 << 20  # of an answer, read at most


class Unreachable(Exception):
    """No HTTP answer; the message says why, in words."""


class Reply:
    def __init__(self, status: int, headers: List[Tuple[str, str]],
                 body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> Optional[str]:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def tokens(self, name: str) -> List[str]:
        """The comma-separated values of every ``name`` header, lower case
        (``Vary`` may come as several headers)."""
        return [part.strip().lower() for key, value in self.headers
                if key.lower() == name.lower() for part in value.split(",")
                if part.strip()]

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError:
            return None

    def describe(self) -> str:
        """``404 text/html 'Not Found…'``: enough to recognise an answer."""
        kind = (self.header("Content-Type") or "no Content-Type").split(";")[0]
        text = self.body[:60].decode("utf-8", "replace").split()
        return f"{self.status} {kind} {' '.join(text)!r}" if text \
            else f"{self.status} {kind}"


def _secs(seconds: float) -> str:
    return f"{round(seconds, 1):g}"


# -- HTTP with a hard bound ---------------------------------------------------

def _reason(exc: BaseException, host: str, port: int, timeout: float) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {host}: {exc.strerror}"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {host}:{port} (nothing listening?)"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        # As when Client.bounded gives up first: the same bound.
        return f"no complete answer from {host}:{port} within " \
            f"{_secs(timeout)} s"
    if isinstance(exc, http.client.RemoteDisconnected):
        return f"{host}:{port} closed the connection without an answer"
    if isinstance(exc, ConnectionResetError):
        return f"{host}:{port} reset the connection"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP answer from {host}:{port} ({exc!r:.80})"
    if isinstance(exc, OSError):
        return f"cannot talk to {host}:{port}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def _early_answer(sock: Any, wait: float) -> bytes:
    """What the server sent within ``wait`` seconds of a request's headers,
    before its body: a server that refuses a body by its Content-Length
    answers then, and closes without reading the body; sent anyway, the
    body would make the close a reset that can lose the answer (over TLS
    most of all). TLS session tickets arriving then are not an answer."""
    timeout = sock.gettimeout()
    end = time.monotonic() + wait
    sock.settimeout(0.0)
    try:
        while True:
            pending = isinstance(sock, ssl.SSLSocket) and sock.pending()
            left = end - time.monotonic()
            if not pending and (left <= 0 or not select.select(
                    [sock], [], [], left)[0]):
                return b""
            try:
                return sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue  # a TLS record that is no data, e.g. a ticket
            except OSError:
                return b""  # reset: reading the answer will say so
    finally:
        sock.settimeout(timeout)


class _Replayed:
    """The socket an answer is read from, its first bytes already read."""

    def __init__(self, sock: Any, first: bytes):
        self.sock, self.first = sock, first

    def makefile(self, mode: str) -> Any:
        return io.BufferedReader(_Raw(self.sock, self.first))


class _Raw(io.RawIOBase):
    def __init__(self, sock: Any, first: bytes):
        self.sock, self.first = sock, first

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.first:
            count = min(len(buffer), len(self.first))
            buffer[:count] = self.first[:count]
            self.first = self.first[count:]
            return count
        return self.sock.recv_into(buffer)


class Client:
    """Requests on fresh connections, each bounded by ``timeout`` seconds
    from connect to the last byte, all of them by ``deadline``."""

    def __init__(self, timeout: float, max_time: float):
        self.timeout = timeout
        self.deadline = time.monotonic() + max_time
        self.max_time = max_time

    def budget(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Unreachable("not run: the run's limit of "
                              f"{_secs(self.max_time)} s (--max-time) was "
                              "used up")
        return min(self.timeout, left)

    def bounded(self, host: str, port: int, work: Any) -> Any:
        """``work(timeout, keep)`` in a thread, given up after the budget;
        ``keep(sock)`` registers the socket to shut down then."""
        limit = self.budget()
        box: Dict[str, Any] = {}
        socks: List[Any] = []

        def run() -> None:
            try:
                box["value"] = work(limit, socks.append)
            except BaseException as exc:  # noqa: BLE001 - reported below
                box["error"] = exc

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(limit)
        if thread.is_alive():
            for sock in socks:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            thread.join(1)
            raise Unreachable(f"no complete answer from {host}:{port} "
                              f"within {_secs(limit)} s")
        if "error" in box:
            raise Unreachable(_reason(box["error"], host, port, limit))
        return box["value"]

    def request(self, url: str, method: str = "GET",
                headers: Optional[Dict[str, str]] = None,
                body: Optional[bytes] = None,
                context: Optional[ssl.SSLContext] = None,
                refusal: bool = False) -> Reply:
        """One request; with ``refusal`` (a body the server may refuse by
        its Content-Length) the body waits for an early answer first."""
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

        def work(timeout: float, keep: Any) -> Reply:
            conn: http.client.HTTPConnection
            if parts.scheme == "https":
                conn = http.client.HTTPSConnection(host, port, timeout=timeout,
                                                   context=context)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            try:
                conn.connect()
                sock = conn.sock
                keep(sock)
                conn.putrequest(method, path)
                for name, value in (headers or {}).items():
                    conn.putheader(name, value)
                if body is not None:
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders()
                early = b""
                if body and refusal:
                    early = _early_answer(sock, min(1.0, timeout / 10))
                if body and not early:
                    try:
                        sock.sendall(body)
                    except (BrokenPipeError, ConnectionResetError,
                            ssl.SSLEOFError, ssl.SSLZeroReturnError):
                        pass  # refused mid-body: its answer may wait
                resp = http.client.HTTPResponse(
                    _Replayed(sock, early), method=method)  # type: ignore
                resp.begin()
                data = resp.read(MAX_BODY)
                return Reply(resp.status, resp.getheaders(), data)
            finally:
                conn.close()

        return self.bounded(host, port, work)

    def handshake(self, host: str, port: int,
                  context: ssl.SSLContext) -> Tuple[str, bytes]:
        """A TLS handshake alone: (protocol, the server's DER certificate)."""
        def work(timeout: float, keep: Any) -> Tuple[str, bytes]:
            with socket.create_connection((host, port), timeout) as raw:
                keep(raw)
                with context.wrap_socket(raw, server_hostname=host) as tls:
                    return (tls.version() or "?",
                            tls.getpeercert(binary_form=True) or b"")

        return self.bounded(host, port, work)


# -- the certificate ----------------------------------------------------------

def _der(data: bytes, pos: int) -> Tuple[int, int, int]:
    """(tag, start of content, end) of the DER element at ``pos``."""
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    return tag, pos, pos + length


def _children(data: bytes, start: int, end: int) -> List[Tuple[int, int, int]]:
    out = []
    while start < end:
        element = _der(data, start)
        out.append(element)
        start = element[2]
    return out


def _when(tag: int, text: str) -> datetime.datetime:
    fmt = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"
    return datetime.datetime.strptime(text, fmt).replace(
        tzinfo=datetime.timezone.utc)


_OID_CN = bytes([0x55, 0x04, 0x03])
_OID_SAN = bytes([0x55, 0x1D, 0x11])


def parse_certificate(der: bytes) -> Dict[str, Any]:
    """The parts of an X.509 certificate a check reports: ``not_before``,
    ``not_after`` (aware datetimes), ``cn``, ``dns`` and ``ips`` (the
    subjectAltName entries)."""
    _tag, start, end = _der(der, 0)
    _tag, start, end = _der(der, start)  # tbsCertificate
    fields = _children(der, start, end)
    if fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    validity, subject = fields[3], fields[4]
    (tag1, s1, e1), (tag2, s2, e2) = _children(der, validity[1], validity[2])
    info: Dict[str, Any] = {
        "not_before": _when(tag1, der[s1:e1].decode("ascii")),
        "not_after": _when(tag2, der[s2:e2].decode("ascii")),
        "cn": None, "dns": [], "ips": []}
    for rdn in _children(der, subject[1], subject[2]):
        for attr in _children(der, rdn[1], rdn[2]):
            (_t, os_, oe), (_t2, vs, ve) = _children(der, attr[1], attr[2])[:2]
            if der[os_:oe] == _OID_CN:
                info["cn"] = der[vs:ve].decode("utf-8", "replace")
    for tag, start, end in fields[6:]:
        if tag != 0xA3:  # [3] extensions
            continue
        _t, start, end = _der(der, start)
        for ext in _children(der, start, end):
            parts = _children(der, ext[1], ext[2])
            if der[parts[0][1]:parts[0][2]] != _OID_SAN:
                continue
            _t, vs, ve = _der(der, parts[-1][1])  # OCTET STRING's SEQUENCE
            for name_tag, ns, ne in _children(der, vs, ve):
                if name_tag == 0x82:
                    info["dns"].append(der[ns:ne].decode("ascii").lower())
                elif name_tag == 0x87:
                    info["ips"].append(ipaddress.ip_address(der[ns:ne]))
    return info


def hostname_matches(host: str, info: Dict[str, Any]) -> bool:
    """As clients match since RFC 6125: subjectAltName only, the CN is not
    looked at; a wildcard stands for the whole leftmost label."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        return address in info["ips"]
    host = host.lower().rstrip(".")
    for name in info["dns"]:
        if name == host:
            return True
        if name.startswith("*.") and "." in host and \
                host.split(".", 1)[1] == name[2:]:
            return True
    return False


def check_tls(client: Client, url: str, ca_file: Optional[str],
              insecure: bool) -> Tuple[str, str, Optional[ssl.SSLContext]]:
    """(verdict, detail, the context later requests use)."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    plain = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    plain.check_hostname = False
    plain.verify_mode = ssl.CERT_NONE
    protocol, der = client.handshake(host, port, plain)
    problems, notes = [], [protocol]
    verdict = "PASS"
    if protocol in ("SSLv3", "TLSv1", "TLSv1.1"):
        verdict, notes[0] = "WARN", f"{protocol} (obsolete: use TLSv1.2+)"
    if insecure:
        context = plain
        verdict = "WARN" if verdict == "PASS" else verdict
        notes.append("certificate not verified (--insecure)")
    else:
        context = ssl.create_default_context(cafile=ca_file)
        try:
            client.handshake(host, port, context)
            notes.append("certificate verified")
        except Unreachable as exc:
            problems.append(str(exc))
            context = plain  # the other checks still run
    try:
        info = parse_certificate(der)
    except (IndexError, ValueError) as exc:
        problems.append(f"cannot read the server's certificate ({exc})")
        info = None
    if info is not None:
        now = datetime.datetime.now(datetime.timezone.utc)
        days = (info["not_after"] - now).days
        until = info["not_after"].strftime("%Y-%m-%d")
        who = f"CN={info['cn']}" if info["cn"] else "certificate"
        if now > info["not_after"]:
            problems.append(f"{who} expired on {until}")
        elif now < info["not_before"]:
            problems.append(f"{who} not valid before "
                            f"{info['not_before']:%Y-%m-%d}")
        elif days < CERT_WARN_DAYS:
            verdict = "WARN" if verdict == "PASS" else verdict
            notes.append(f"{who} expires in {days} days ({until}): renew it")
        else:
            notes.append(f"{who} valid until {until} ({days} days left)")
        names = [*info["dns"], *map(str, info["ips"])]
        if hostname_matches(host, info):
            notes.append(f"matches {host}")
        else:
            problems.append(f"not valid for {host} (subjectAltName: "
                            f"{', '.join(names) or 'none'})")
    if problems:
        return "FAIL", "; ".join(problems) + "; " + ", ".join(notes), context
    return verdict, ", ".join(notes), context
