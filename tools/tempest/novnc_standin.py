#!/usr/bin/env python3
"""A test-only stand-in for nova-novncproxy and a guest's VNC server
(stdlib only), for tools/tempest.sh.

    novnc_standin.py --port-file FILE [--port 0] [--host 127.0.0.1]

Environment: KEYSTONE_URL, COMPUTE_URL (the compute API's /v2.1),
SERVICE_USER, SERVICE_PASSWORD, SERVICE_PROJECT (default ``service``):
the user it asks the compute API as (admin role), as upstream's proxy
runs with the service's credentials. The password is read from the
environment only, never from the command line.

What a client (a browser, or tempest's NoVNCConsoleTestJSON) meets, as
behind upstream's ``[vnc] novncproxy_base_url``:

1. ``GET /vnc_auto.html?path=%3Ftoken%3D...`` (or ``/vnc_lite.html``, any
   page without an upgrade): a small HTML page naming noVNC, as
   websockify serves noVNC's page without looking at the token.
2. ``GET /?token=...`` with ``Upgrade: websocket``: the WebSocket
   handshake (RFC 6455; the ``binary`` subprotocol when offered), then the
   token, taken as upstream's proxy takes it (the ``token`` query
   parameter, else the one inside the ``path`` parameter, else the
   ``token`` cookie), is checked with the compute API:
   ``GET /os-console-auth-tokens/{token}`` at microversion 2.31 with a
   Keystone token of the user above. Upstream's proxy reads the same
   record from Nova's database instead; this one has only the API.
   Unknown or expired (404, or any failure): an empty close frame and the
   connection is closed, as upstream refuses a bad token after the
   upgrade.
3. A valid token: where upstream's proxy would connect to the guest's VNC
   server at the host and port the record names, this one plays that
   server itself: the server side of RFB 3.8 (3.3 and 3.7 clients too) up
   to ServerInit, security type None, a 640x480 true-colour desktop named
   after the server. Then it reads and drops what the client sends until
   the client closes, or 60 s of silence.

It is not a console: no framebuffer, no input. Tokens are never logged.
"""

import argparse
import base64
import hashlib
import http.cookies
import http.server
import json
import logging
import os
import signal
import struct
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

LOG = logging.getLogger("novnc-standin")
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_FRAME = 64 * 1024      # larger client frames end the connection
IDLE_SECONDS = 60          # silence after which a connection is closed
API_TIMEOUT = 30
RFB_VERSION = b"RFB 003.008\n"
SECURITY_NONE = 1
WIDTH, HEIGHT = 640, 480
# 32 bits per pixel, depth 24, little-endian, true colour, 8 bits a colour
PIXEL_FORMAT = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255,
                           16, 8, 0)

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>noVNC (test stand-in)</title>
</head>
<body>
<p>noVNC stand-in of the nova-wsgi tempest job: it accepts the console's
WebSocket and speaks RFB up to ServerInit; there is no desktop to show.</p>
<script>
// noVNC would connect here to the WebSocket named by the "path" parameter.
</script>
</body>
</html>
"""


class Closed(Exception):
    """The client closed the connection (or sent what ends it)."""


def token_of(path, headers):
    """The console token, where upstream's proxy looks for it."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if query.get("token"):
        return query["token"][0]
    if query.get("path"):
        inner = urllib.parse.parse_qs(
            urllib.parse.urlsplit(query["path"][0]).query)
        if inner.get("token"):
            return inner["token"][0]
    cookie = http.cookies.SimpleCookie()
    try:
        cookie.load(headers.get("Cookie", ""))
    except http.cookies.CookieError:
        return None
    if "token" in cookie:
        return cookie["token"].value
    return None


def accept_key(key):
    digest = hashlib.sha1((key + WS_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def frame(payload, opcode=0x2):
    """One unmasked, final server frame."""
    size = len(payload)
    if size < 126:
        head = struct.pack(">BB", 0x80 | opcode, size)
    elif size < 65536:
        head = struct.pack(">BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack(">BBQ", 0x80 | opcode, 127, size)
    return head + payload


class Identity:
    """A Keystone token of the service user, fetched when needed."""

    def __init__(self, keystone_url, user, password, project):
        self.url = keystone_url.rstrip("/") + "/v3/auth/tokens"
        self.user, self.password, self.project = user, password, project
        self.lock = threading.Lock()
        self.token = None

    def get(self, fresh=False):
        with self.lock:
            if self.token is None or fresh:
                self.token = self._issue()
            return self.token

    def _issue(self):
        domain = {"id": "default"}
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.user, "domain": domain,
                "password": self.password}}},
            "scope": {"project": {"name": self.project,
                                  "domain": domain}}}}
        req = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     "Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=API_TIMEOUT) as resp:
            return resp.headers["X-Subject-Token"]


class Validator:
    """GET /os-console-auth-tokens/{token} of the compute API."""

    def __init__(self, compute_url, identity):
        self.base = compute_url.rstrip("/") + "/os-console-auth-tokens/"
        self.identity = identity

    def __call__(self, token):
        """The console record ({instance_uuid, host, port, ...}), or None
        when the compute API does not know the token."""
        if not token:
            return None
        try:
            return self._show(token)
        except (OSError, ValueError, KeyError) as exc:  # never the URL
            LOG.warning("could not check a token: %s",
                        type(exc).__name__)
            return None

    def _show(self, token):
        url = self.base + urllib.parse.quote(token, safe="")
        for fresh in (False, True):
            req = urllib.request.Request(url, headers={
                "Accept": "application/json",
                "OpenStack-API-Version": "compute 2.31",
                "X-OpenStack-Nova-API-Version": "2.31",
                "X-Auth-Token": self.identity.get(fresh=fresh)})
            try:
                with urllib.request.urlopen(req, timeout=API_TIMEOUT) as resp:
                    return json.loads(resp.read())["console"]
            except urllib.error.HTTPError as exc:
                if exc.code == 401 and not fresh:
                    continue  # the Keystone token expired: once more
                if exc.code != 404:
                    LOG.warning("os-console-auth-tokens answered %s",
                                exc.code)
                exc.close()
                return None
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "novnc-standin"
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS   # a silent client's connection is closed

    def log_message(self, format, *args):  # noqa: A002 (the base's name)
        pass  # the request line holds the token: never logged

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket()
            return
        page = urllib.parse.urlsplit(self.path).path
        if page not in ("/", "/vnc_auto.html", "/vnc_lite.html",
                        "/vnc.html"):
            self.send_error(404)
            return
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        LOG.info("page %s served", page)

    # -- WebSocket -----------------------------------------------------------
    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key")
        if not key or self.headers.get("Sec-WebSocket-Version") != "13":
            self.send_error(400, "WebSocket version 13 with a key expected")
            return
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept_key(key))
        offered = [p.strip() for p in self.headers.get(
            "Sec-WebSocket-Protocol", "").split(",")]
        if "binary" in offered:
            self.send_header("Sec-WebSocket-Protocol", "binary")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        self.pending = b""
        console = self.server.validate(token_of(self.path, self.headers))
        if console is None:
            LOG.info("connection refused: invalid or expired token")
            self.send_frame(b"", opcode=0x8)  # close, no status: no data
            return
        LOG.info("console of server %s: RFB negotiation",
                 console.get("instance_uuid"))
        try:
            self.rfb(console)
            while True:   # what a client sends after ServerInit: dropped
                self.receive()
        except (Closed, OSError):
            pass
        LOG.info("console of server %s closed", console.get("instance_uuid"))

    def send_frame(self, payload, opcode=0x2):
        try:
            self.wfile.write(frame(payload, opcode))
            self.wfile.flush()
        except OSError:
            raise Closed() from None

    def read_exact(self, size):
        data = self.rfile.read(size)
        if len(data) != size:
            raise Closed()
        return data

    def receive(self):
        """The payload of the client's next data frame (pings answered)."""
        while True:
            first, second = self.read_exact(2)
            opcode, size = first & 0x0F, second & 0x7F
            if size == 126:
                size, = struct.unpack(">H", self.read_exact(2))
            elif size == 127:
                size, = struct.unpack(">Q", self.read_exact(8))
            if size > MAX_FRAME:
                raise Closed()
            mask = self.read_exact(4) if second & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4]
                         for i, b in enumerate(self.read_exact(size)))
            if opcode == 0x8:
                self.send_frame(b"", opcode=0x8)
                raise Closed()
            if opcode == 0x9:
                self.send_frame(data, opcode=0xA)
            elif opcode in (0x0, 0x1, 0x2):
                return data

    def read_rfb(self, size):
        """``size`` bytes of the client's RFB stream, whatever its frames."""
        while len(self.pending) < size:
            self.pending += self.receive()
        data, self.pending = self.pending[:size], self.pending[size:]
        return data

    # -- RFB, the server side: ProtocolVersion to ServerInit --------------
    def rfb(self, console):
        self.send_frame(RFB_VERSION)
        version = self.read_rfb(12)
        if not (version.startswith(b"RFB 003.") and version.endswith(b"\n")):
            raise Closed()
        minor = int(version[8:11]) if version[8:11].isdigit() else 0
        if minor < 7:   # 3.3: the server names the security type
            self.send_frame(struct.pack(">I", SECURITY_NONE))
        else:
            self.send_frame(bytes((1, SECURITY_NONE)))
            if self.read_rfb(1)[0] != SECURITY_NONE:
                raise Closed()
            if minor >= 8:  # SecurityResult: OK
                self.send_frame(struct.pack(">I", 0))
        self.read_rfb(1)    # ClientInit (shared flag)
        name = f"nova-wsgi stand-in {console.get('instance_uuid', '')}"
        name = name.encode()[:80]
        self.send_frame(struct.pack(">HH", WIDTH, HEIGHT) + PIXEL_FORMAT
                        + struct.pack(">I", len(name)) + name)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, validate):
        super().__init__(address, Handler)
        self.validate = validate


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0,
                   help="0 (the default): any free port")
    p.add_argument("--port-file", required=True,
                   help="where the port is written once listening")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    missing = [n for n in ("KEYSTONE_URL", "COMPUTE_URL", "SERVICE_USER",
                           "SERVICE_PASSWORD") if not os.environ.get(n)]
    if missing:
        sys.exit(f"novnc_standin.py: {', '.join(missing)} not set")
    identity = Identity(os.environ["KEYSTONE_URL"],
                        os.environ["SERVICE_USER"],
                        os.environ["SERVICE_PASSWORD"],
                        os.environ.get("SERVICE_PROJECT", "service"))
    server = Server((args.host, args.port),
                    Validator(os.environ["COMPUTE_URL"], identity))
    port = server.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, args.port_file)
    LOG.info("listening on %s:%d", args.host, port)

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    for signum in (signal.SIGTERM, signal.SIGQUIT, signal.SIGINT):
        signal.signal(signum, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    LOG.info("stopped")


if __name__ == "__main__":
    main()
