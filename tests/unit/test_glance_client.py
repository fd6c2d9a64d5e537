"""nova.clients.glance against the fake Glance (a real HTTP server): what
each status becomes, the retries, the endpoint forms, the json-patch and
the chunked upload."""

import socket

import pytest

from nova import exception
from nova.api.glance_images import GlanceImages
from nova.clients.auth import ServiceAuth
from nova.clients.glance import GlanceClient
from nova.context import RequestContext
from tests.fake_glance import FakeGlance
from tests.helpers import conf_of


def _client(config_dir, endpoint, extra=""):
    config_dir.paste()
    config_dir.write("nova.conf", f"[glance]\nendpoint_override = "
                                  f"{endpoint}\n{extra}")
    return GlanceClient(ServiceAuth(conf_of(config_dir)))


@pytest.fixture
def glance(httpserver):
    return FakeGlance(httpserver)


@pytest.fixture
def context():
    return RequestContext(user_id="u", project_id="p", auth_token="tok-1")


def test_show_list_and_the_callers_token(config_dir, glance, context):
    image_id = glance.add_image("cirros", architecture="x86_64")
    images = GlanceImages(_client(config_dir, glance.url))
    image = images.show(context, image_id)
    assert (image.name, image.status) == ("cirros", "active")
    assert image.properties == {"architecture": "x86_64"}
    assert [i.id for i in images.list(context, limit=5)] == [image_id]
    assert set(glance.tokens()) == {"tok-1"}


def test_an_endpoint_ending_in_v2_works(config_dir, glance, context):
    image_id = glance.add_image("cirros")
    client = _client(config_dir, glance.url + "/v2")
    assert client.show(context, image_id)["id"] == image_id


@pytest.mark.parametrize("status,title,error", [
    (404, "Not Found", exception.NotFound),
    (403, "Forbidden", exception.Forbidden),
    (401, "Unauthorized", exception.Forbidden),
    (409, "Conflict", exception.Conflict),
    (400, "Bad Request", exception.Invalid),
    (415, "Unsupported Media Type", exception.Invalid),
    (413, "Request Entity Too Large", exception.Forbidden),
    (500, "Internal Server Error", exception.Unavailable),
    (503, "Service Unavailable", exception.Unavailable),
])
def test_statuses_become_domain_errors(config_dir, glance, context, status,
                                       title, error):
    glance.fail_with = (status, title, "Glance says no.")
    client = _client(config_dir, glance.url)
    with pytest.raises(error) as caught:
        client.show(context, "an-image")
    assert type(caught.value) is error
    if status == 404:
        assert caught.value.message == "Image an-image could not be found."
    if status == 400:
        assert "Glance says no." in caught.value.message
        assert "<" not in caught.value.message  # the HTML page's text only


def test_no_connection_is_retried_then_unavailable(config_dir, context,
                                                   caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = _client(config_dir, f"http://127.0.0.1:{port}",
                     "num_retries = 2\n")
    with pytest.raises(exception.Unavailable):
        client.show(context, "x")
    assert caplog.text.count("could not connect; trying again") == 2
    assert "tok-1" not in caplog.text


def test_update_is_a_json_patch_and_upload_is_chunked(config_dir, glance,
                                                      context):
    images = GlanceImages(_client(config_dir, glance.url))
    created = images.create(context, name="snap",
                            properties={"image_type": "snapshot"},
                            visibility="private", disk_format="raw",
                            container_format="bare", min_disk=1)
    assert created.status == "queued"
    images.upload(context, created.id, iter([b"abc", b"def"]))
    assert glance.data[created.id] == b"abcdef"
    put = glance.requests[-1]["headers"]
    assert put["Transfer-Encoding"] == "chunked"
    changed = images.update_properties(context, created.id,
                                       set_={"a/b": "1",
                                             "image_type": "backup"},
                                       remove=["image_type"])
    patch = glance.requests[-1]
    assert patch["headers"]["Content-Type"] == (
        "application/openstack-images-v2.1-json-patch")
    assert changed.properties == {"a/b": "1"}
    images.delete(context, created.id)
    assert created.id not in glance.images


def test_a_503_is_tried_again(config_dir, glance, context):
    glance.fail_with = (503, "Service Unavailable", "Busy.")
    client = _client(config_dir, glance.url, "num_retries = 2\n")
    with pytest.raises(exception.Unavailable):
        client.show(context, "x")
    assert len(glance.requests) == 3
    glance.fail_with = (500, "Internal Server Error", "Broken.")
    with pytest.raises(exception.Unavailable):
        client.show(context, "x")
    assert len(glance.requests) == 4  # a 500 is not tried again
