"""What the remote console tests share (test_remote_consoles,
test_console_auth_tokens): a compute API with console options, and how
they ask for a console and read its token.

``console_app(config_dir, tmp_path, make_image, sections)``: servers
build at once, the samples' image and flavor "1", ``sections`` (config
text) after ``[compute]``. ``remote()`` POSTs remote-consoles;
``token_of()`` reads the token of a console URL; ``token_rows()`` the
rows of console_auth_tokens.
"""

import textwrap
import urllib.parse

import sqlalchemy as sa

from tests.helpers import (
    DEMO,
    IMAGE,
    URL,
    app_db,
    make_flavor,
    v,
    write_compute_config,
)

EVERY_PROTOCOL = """
    [spice]
    enabled = true
    [serial_console]
    enabled = true
    [mks]
    enabled = true
    """


def console_app(config_dir, tmp_path, make_image, sections="",
                default_options=""):
    write_compute_config(
        config_dir, tmp_path,
        "build_time = 0\naction_time = 0\n" + textwrap.dedent(sections),
        default_options=default_options)
    app = config_dir.testapp()
    make_image("cirros", image_id=IMAGE)
    make_flavor(app, "m1.tiny", flavor_id="1")
    return app


def remote(app, server_id, protocol, console_type, version="2.6",
           who=DEMO, status=200):
    return app.post_json(
        f"{URL}/{server_id}/remote-consoles",
        {"remote_console": {"protocol": protocol, "type": console_type}},
        headers=v(version, who), status=status)


def token_of(url):
    """The token of a console URL (noVNC's is in its 'path' parameter)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if "path" in query:
        query = urllib.parse.parse_qs(query["path"][0].lstrip("?"))
    return query["token"][0]


def console(app, server_id, protocol="vnc", console_type="novnc",
            version="2.6"):
    """A new console's token."""
    return token_of(remote(app, server_id, protocol, console_type,
                           version).json["remote_console"]["url"])


def token_rows(app):
    with app_db(app).reader() as session:
        return session.execute(sa.text(
            "SELECT * FROM console_auth_tokens ORDER BY id")).mappings().all()
