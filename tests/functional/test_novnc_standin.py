"""tools/tempest/novnc_standin.py, the tempest job's stand-in for
nova-novncproxy and a guest's VNC server, against this compute API served
on a loopback socket: what tempest's NoVNCConsoleTestJSON checks
(tempest/common/compute.py: validate_novnc_html, the WebSocket upgrade,
validate_rfb_negotiation, a bad token closed without data), done here by
a client of the same steps.
"""

import base64
import hashlib
import importlib.util
import socket
import struct
import threading
import urllib.parse
import urllib.request
import wsgiref.simple_server

import pytest

from tests.functional.consoles_cloud import console, console_app
from tests.helpers import ADMIN, DEMO, ROOT, boot_id

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEY = "x3JJHMbDL1EzLkh9GBhXDw=="   # tempest's


def _load():
    spec = importlib.util.spec_from_file_location(
        "novnc_standin", ROOT / "tools" / "tempest" / "novnc_standin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


standin = _load()


class Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


class AdminToken:
    """noauth2's admin in place of a Keystone token of the service user."""

    def get(self, fresh=False):
        return ADMIN["X-Auth-Token"]


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def proxy(config_dir, tmp_path, make_image):
    """(compute app, stand-in port): the stand-in checks tokens with the
    compute API served on a real socket."""
    app = console_app(config_dir, tmp_path, make_image)
    api = wsgiref.simple_server.make_server("127.0.0.1", 0, app.app,
                                            handler_class=Quiet)
    _serve(api)
    compute_url = f"http://127.0.0.1:{api.server_address[1]}/v2.1"
    server = standin.Server(("127.0.0.1", 0),
                            standin.Validator(compute_url, AdminToken()))
    _serve(server)
    yield app, server.server_address[1]
    server.shutdown()
    server.server_close()
    api.shutdown()
    api.server_close()


class Client:
    """tempest's _WebSocket, in short: upgrade, masked binary frames out,
    unmasked frames in."""

    def __init__(self, port, path, cookie=""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(
            (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             + (f"Cookie: {cookie}\r\n" if cookie else "") +
             f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Protocol: binary\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, self.buffer
            self.buffer += chunk
        self.response, _sep, self.buffer = self.buffer.partition(b"\r\n\r\n")

    def _recv(self, size):
        while len(self.buffer) < size:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def receive(self):
        """(opcode, payload), or None once the server closed."""
        head = self._recv(2)
        if len(head) < 2:
            return None
        assert not head[1] & 0x80   # a server does not mask
        return head[0] & 0x0F, self._recv(head[1] & 0x7F)

    def send(self, data):
        mask = bytes((7, 2, 1, 9))
        self.sock.sendall(bytes((0x82, 0x80 | len(data))) + mask + bytes(
            b ^ mask[i % 4] for i, b in enumerate(data)))

    def close(self):
        self.sock.close()


def test_the_page_the_upgrade_and_rfb_up_to_server_init(proxy):
    app, port = proxy
    server_id = boot_id(app, who=DEMO)
    token = console(app, server_id)
    query = urllib.parse.urlencode({"path": f"?token={token}"})
    with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/vnc_auto.html?{query}",
            timeout=10) as resp:
        assert resp.status == 200
        page = resp.read().decode()
    assert "<html" in page and "</html>" in page
    assert "noVNC" in page and "<script" in page

    client = Client(port, f"/?token={token}")   # tempest's request
    head = client.response.decode().lower()
    assert head.startswith("http/1.1 101 switching protocols")
    assert "upgrade: websocket" in head
    accept = base64.b64encode(hashlib.sha1(
        (KEY + GUID).encode()).digest()).decode().lower()
    assert f"sec-websocket-accept: {accept}" in head
    assert "sec-websocket-protocol: binary" in head

    assert client.receive() == (2, b"RFB 003.008\n")
    client.send(b"RFB 003.008\n")
    opcode, types = client.receive()
    assert types[0] >= 1 and 1 in types[1:1 + types[0]]   # None offered
    client.send(bytes((1,)))
    assert client.receive() == (2, b"\0\0\0\0")           # security OK
    client.send(bytes((1,)))                              # shared
    opcode, init = client.receive()
    name_length, = struct.unpack(">L", init[20:24])
    assert len(init) == 24 + name_length > 24
    assert init[24:].decode().endswith(server_id)
    client.close()


def test_an_rfb_3_3_client_is_told_the_security_type(proxy):
    app, port = proxy
    token = console(app, boot_id(app, who=DEMO))
    client = Client(port, f"/websockify?token={token}")
    assert client.receive() == (2, b"RFB 003.008\n")
    client.send(b"RFB 003.003\n")
    assert client.receive() == (2, b"\0\0\0\1")
    client.send(bytes((1,)))
    assert len(client.receive()[1]) > 24
    client.close()


@pytest.mark.parametrize("where", ["query", "cookie"])
def test_a_bad_token_is_closed_without_data(proxy, where):
    app, port = proxy
    # tempest's test_novnc_bad_token: "bad" before a valid token
    bad = "bad" + console(app, boot_id(app, who=DEMO))
    if where == "query":
        client = Client(port, f"/?token={bad}")
    else:  # noVNC before 1.1 sent the token as a cookie
        client = Client(port, "/websockify", cookie=f"token={bad}")
    assert client.response.startswith(b"HTTP/1.1 101")
    assert client.receive() in (None, (8, b""))   # a close frame, no data
    assert client.receive() is None                # and the connection shut
    client.close()


def test_a_token_is_found_where_upstream_looks_for_it():
    headers = {"Cookie": "token=c"}
    assert standin.token_of("/?token=a", {}) == "a"
    assert standin.token_of("/vnc_auto.html?path=%3Ftoken%3Db", {}) == "b"
    assert standin.token_of("/websockify", headers) == "c"
    assert standin.token_of("/websockify", {}) is None


def test_a_deleted_servers_token_is_refused(proxy):
    app, port = proxy
    server_id = boot_id(app, who=DEMO)
    token = console(app, server_id)
    app.delete(f"/v2.1/servers/{server_id}", headers=ADMIN, status=204)
    client = Client(port, f"/?token={token}")
    assert client.receive() in (None, (8, b""))
    client.close()
