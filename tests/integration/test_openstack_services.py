"""The real Keystone, Glance and Neutron of tools/openstack-services.sh do
what the compute API will ask of them, with the tokens it will use.

- Keystone gives the service user ``nova`` a token with roles admin and
  service in project ``service``;
- a member of another project reads the public image from Glance;
- a member makes a port on ``private``, its project's network; the service
  user binds it (``binding:host_id``) and the agent-less driver
  ``fakebind`` makes it ACTIVE with ``vif_type`` ovs; a member may
  neither bind it nor delete it without the service token;
- Neutron tells the compute endpoint in the catalog
  ``network-vif-plugged`` (os-server-external-events, as the service
  user), here a pytest-httpserver that ``register-compute`` put there.
"""

import json
import time
import uuid

import pytest
from keystoneauth1 import session as ks_session
from pytest_httpserver import HTTPServer
from werkzeug import Response

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

EVENTS_PATH = "/v2.1/os-server-external-events"
EVENT_WAIT = 20  # seconds; Neutron batches its events every 2 s


def test_service_user_token_has_admin_and_service(openstack_services):
    cloud = openstack_services
    token = cloud.nova().get_token()

    info = cloud.token_info(token)

    assert info["user"]["name"] == "nova"
    assert info["project"]["name"] == "service"
    assert {"admin", "service"} <= {r["name"] for r in info["roles"]}
    catalog = {entry["type"] for entry in info["catalog"]}
    assert {"identity", "image", "network"} <= catalog


def test_member_reads_the_public_image(openstack_services):
    cloud = openstack_services
    glance = cloud.api(cloud.demo(), "image")

    response = glance.get(f"/v2/images/{cloud['image_id']}")

    assert response.status_code == 200, response.text
    image = response.json()
    assert image["id"] == cloud["image_id"]
    assert image["status"] == "active"
    assert image["visibility"] == "public"
    anonymous = ks_session.Session().get(
        f"{cloud['glance_url']}/v2/images/{cloud['image_id']}",
        authenticated=False, raise_exc=False)
    assert anonymous.status_code == 401


def _member_port(cloud, member):
    response = member.post("/v2.0/ports", json={"port": {
        "network_id": cloud["private_network_id"],
        "admin_state_up": True}})
    assert response.status_code == 201, response.text
    return response.json()["port"]


def _bind(service, port_id, server_id, host="compute1"):
    return service.put(f"/v2.0/ports/{port_id}", json={"port": {
        "device_id": server_id, "device_owner": "compute:nova",
        "binding:host_id": host, "binding:profile": {}}})


def test_service_user_binds_a_member_port_active_ovs(openstack_services):
    cloud = openstack_services
    member = cloud.api(cloud.demo(), "network")
    service = cloud.api(cloud.nova(), "network")
    port = _member_port(cloud, member)
    assert port["status"] == "DOWN"
    # A member sees only the VNIC type of the binding, and may not bind.
    assert "binding:vif_type" not in port
    denied = member.put(f"/v2.0/ports/{port['id']}", json={"port": {
        "binding:host_id": "compute1"}})
    assert denied.status_code == 403, denied.text

    bound = _bind(service, port["id"], str(uuid.uuid4()))

    assert bound.status_code == 200, bound.text
    assert bound.json()["port"]["status"] == "ACTIVE"
    assert bound.json()["port"]["binding:vif_type"] == "ovs"
    shown = service.get(f"/v2.0/ports/{port['id']}").json()["port"]
    assert (shown["status"], shown["binding:vif_type"],
            shown["binding:host_id"]) == ("ACTIVE", "ovs", "compute1")
    assert shown["binding:vif_details"]["connectivity"] == "l2"
    # A compute:* port: a member deletes it only with the service token.
    alone = member.delete(f"/v2.0/ports/{port['id']}")
    assert alone.status_code == 403, alone.text
    with_service = member.delete(
        f"/v2.0/ports/{port['id']}",
        headers={"X-Service-Token": cloud.nova().get_token()})
    assert with_service.status_code == 204, with_service.text


def _record_events(stub):
    """Answer os-server-external-events on stub as the compute API does
    (200, a code per event); the list of (headers, body, time) it got."""
    received = []

    def events(request):
        body = request.get_json()
        received.append((dict(request.headers), body, time.monotonic()))
        answers = [dict(event, code=200, status=event.get(
            "status", "completed")) for event in body["events"]]
        return Response(json.dumps({"events": answers}), status=200,
                        content_type="application/json")

    stub.expect_request(EVENTS_PATH, method="POST") \
        .respond_with_handler(events)
    return received


def _bind_and_wait_plugged(cloud, received):
    """Bind a new member port to a new server; the network-vif-plugged
    event received for it (headers, event, seconds after the binding),
    or None after EVENT_WAIT seconds."""
    member = cloud.api(cloud.demo(), "network")
    service = cloud.api(cloud.nova(), "network")
    port = _member_port(cloud, member)
    server_id = str(uuid.uuid4())
    bound_at = time.monotonic()
    assert _bind(service, port["id"], server_id).status_code == 200
    plugged = None
    while plugged is None and time.monotonic() < bound_at + EVENT_WAIT:
        time.sleep(0.2)
        plugged = next(((headers, event, at - bound_at)
                        for headers, body, at in list(received)
                        for event in body["events"]
                        if event["name"] == "network-vif-plugged"
                        and event["tag"] == port["id"]), None)
    service.delete(f"/v2.0/ports/{port['id']}")
    if plugged is not None:
        assert plugged[1] == {
            "name": "network-vif-plugged", "server_uuid": server_id,
            "tag": port["id"], "status": "completed"}
    return plugged


def test_binding_sends_vif_plugged_to_the_compute_endpoint(
        openstack_services, compute_stub):
    cloud = openstack_services
    received = _record_events(compute_stub)
    cloud.register_compute(compute_stub.url_for("/v2.1"))

    plugged = _bind_and_wait_plugged(cloud, received)

    assert plugged is not None, \
        f"no network-vif-plugged in {EVENT_WAIT} s; received {received}"
    headers, _event, after = plugged
    assert headers["X-Openstack-Nova-Api-Version"] == "2.1"
    sender = cloud.token_info(headers["X-Auth-Token"])
    assert sender["user"]["name"] == "nova"
    assert {"admin", "service"} <= {r["name"] for r in sender["roles"]}
    print(f"network-vif-plugged arrived {after:.1f} s after the binding")


def test_events_follow_the_compute_endpoint_when_it_moves(
        openstack_services, compute_stub):
    """register-compute again (the API under test restarted elsewhere):
    Neutron's events go to the new endpoint, none to the old one."""
    cloud = openstack_services
    old = HTTPServer(host="127.0.0.1", port=0)
    old.start()
    try:
        old_received = _record_events(old)
        cloud.register_compute(old.url_for("/v2.1"))
        assert _bind_and_wait_plugged(cloud, old_received) is not None
        new_received = _record_events(compute_stub)
        cloud.register_compute(compute_stub.url_for("/v2.1"))
        before = len(old_received)

        plugged = _bind_and_wait_plugged(cloud, new_received)
    finally:
        old.clear()
        old.stop()

    assert plugged is not None, \
        f"no network-vif-plugged at the new endpoint in {EVENT_WAIT} s"
    assert len(old_received) == before
