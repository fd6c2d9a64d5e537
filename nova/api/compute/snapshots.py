"""The image actions (createImage, createBackup; shelve's snapshot):
their handlers, and their Glance path.

In Glance (createImage, createBackup, shelve) the image record is made
before the server's write transaction and its data uploaded after it, so
no transaction is ever held open across a call to Glance.

As upstream: ``POST /v2/images`` (the base image's properties, the
caller's metadata, ``instance_uuid``, ``image_type``, ``base_image_ref``,
``user_id``, ``owner_id``, visibility private), then the server's side of
the action; when that fails the new image is deleted again. Then ``PUT
/v2/images/{id}/file`` with the built-in driver's snapshot payload (an
octet stream, chunked); when the upload fails the image is deleted and
the answer is Glance's error.
"""

import logging
import types

from nova import exception
from nova.api import errors
from nova.api.compute import common
from nova.api.compute.handlers.server_common import (
    caller,
    compute_of,
    load,
    remote_image,
)
from nova.api.compute.router import Result
from nova.compute import actions as action_service
from nova.compute import image_api
from nova.compute import servers as service

LOG = logging.getLogger(__name__)


def snapshot(req, server_id, run, rule, *, name, metadata=None,
             image_type="snapshot", extra=None):
    """Create the image, ``run(image)`` (the server's side, in its
    transaction), upload the data; ``run``'s result. ``rule``: the
    action's policy, checked before Glance is asked anything."""
    images = compute_of(req).images
    context = req.context
    with req.app.backends.db.reader() as session:
        found = load(req, session, server_id, rule)
        # What the request needs of the server, read before Glance is
        # asked anything: no transaction stays open across its calls.
        instance = types.SimpleNamespace(
            uuid=found.uuid, image_ref=found.image_ref,
            project_id=found.project_id, flavor=found.flavor)
    try:
        base = images.show(context, instance.image_ref) \
            if instance.image_ref else None
    except (exception.NotFound, exception.Forbidden):
        base = None  # deleted since: the snapshot has no parent's
    wanted = action_service.snapshot_request(
        instance, caller(req), base, name, metadata,
        image_type=image_type, extra=extra)
    image = images.create(context, **wanted)
    try:
        result = run(image)
    except Exception:
        _discard(images, context, image.id)
        raise
    try:
        images.upload(context, image.id,
                      image_api.snapshot_payload(server_id))
    except exception.NovaError:
        _discard(images, context, image.id)
        raise
    return result


def rotate_backups(req, server_id, backup_type, rotation):
    """Delete the server's oldest backups of ``backup_type`` beyond
    ``rotation`` (upstream's compute does it after the upload)."""
    from nova.api.compute.handlers.images import context_of

    images = compute_of(req).images
    context = context_of(req)
    found = images.list(context, limit=1000, filters={
        "instance_uuid": server_id, "image_type": "backup",
        "backup_type": backup_type})
    for image in action_service.backups_to_rotate(found, rotation):
        LOG.info("Rotating out backup %s of server %s", image.id,
                 server_id)
        _discard(images, context, image.id)


def unshelved(req, server_id, body, result):
    """After an unshelve, with Glance: the shelve's snapshot
    (``<name>-shelved`` of this server) is deleted, as upstream's compute
    does once the server runs again."""
    from nova.api.compute.handlers.images import context_of

    images = compute_of(req).images
    if not images.remote:
        return result
    with req.app.backends.db.reader() as session:
        name = service.get(session, server_id).display_name
    context = context_of(req)
    try:
        found = images.list(context, limit=100, filters={
            "instance_uuid": server_id, "name": f"{name}-shelved"})
    except exception.NovaError as exc:
        LOG.warning("Could not find the shelved snapshot of server %s: %s",
                    server_id, exc.message)
        return result
    for image in found:
        _discard(images, context, image.id)
    return result


def _discard(images, context, image_id):
    try:
        images.delete(context, image_id)
    except exception.NovaError as exc:
        LOG.warning("Could not delete the unfinished snapshot %s: %s",
                    image_id, exc.message)


# -- the actions' handlers (the table is handlers/server_actions.py) ------

def check_image_metadata(req, metadata):
    if not req.is_version("2.39") and len(metadata) > \
            service.MAX_METADATA_ITEMS:
        raise errors.Forbidden("Image metadata limit exceeded")


def _image_created(req, image_id):
    if req.is_version("2.45"):
        return Result(202, {"image_id": image_id})
    href = common.Links(req).resource("images", image_id)[0]["href"]
    return Result(202, headers=[("Location", href)])


def create_image(req, session, instance, body, remote=None):
    metadata = body.get("metadata", {})
    check_image_metadata(req, metadata)
    if remote is not None:
        # The image was made in Glance before this transaction.
        action_service.start_snapshot(session, instance, caller(req),
                                      compute_of(req).driver)
        return _image_created(req, remote.id)
    image = action_service.create_image(
        session, instance, caller(req), compute_of(req).driver, body["name"],
        metadata)
    return _image_created(req, image.id)


def create_backup(req, session, instance, body, remote=None):
    check_image_metadata(req, body.get("metadata", {}))
    if remote is not None:
        action_service.start_backup(session, instance, caller(req),
                                    compute_of(req).driver)
        image_id = remote.id
    else:
        image_id = action_service.create_image(
            session, instance, caller(req), compute_of(req).driver,
            body["name"], body.get("metadata", {}),
            backup_type=body["backup_type"]).id
    return Result(202, {"image_id": image_id}) if req.is_version("2.45") \
        else image_id


def create_backup_remote(req, server_id, body, run, rule):
    check_image_metadata(req, body.get("metadata", {}))
    return snapshot(
        req, server_id, run, rule, name=body["name"],
        metadata=body.get("metadata", {}), image_type="backup",
        extra={"backup_type": body["backup_type"]})


def backup_done(req, server_id, body, result):
    """After the backup: the rotation (upstream's compute does it), then
    upstream's answer (Location only when the rotation is not 0)."""
    if isinstance(result, Result):
        image_id = result.body["image_id"]
    else:
        image_id = result
    rotate_backups(req, server_id, body["backup_type"],
                             int(body["rotation"]))
    if isinstance(result, Result):
        return result
    if int(body["rotation"]) > 0:
        href = common.Links(req).resource("images", image_id)[0]["href"]
        return Result(202, headers=[("Location", href)])
    return Result(202)


def create_image_remote(req, server_id, body, run, rule):
    check_image_metadata(req, body.get("metadata", {}))
    return snapshot(req, server_id, run, rule, name=body["name"],
                              metadata=body.get("metadata", {}))


# -- the Glance side of rebuild, rescue and shelve ---------------------------

def rebuild_remote(req, server_id, body, run, rule):
    return run(remote_image(req, body["imageRef"],
                            not_found="Cannot find image for rebuild"))


def rescue_remote(req, server_id, body, run, rule):
    ref = (body or {}).get("rescue_image_ref")
    if not ref:
        return run()
    return run(remote_image(req, ref,
                            not_found=f"Image {ref} could not be found."))


def shelve_remote(req, server_id, body, run, rule):
    """Upstream snapshots a shelved server into Glance: "<name>-shelved"."""
    with req.app.backends.db.reader() as session:
        name = service.get(session, server_id).display_name
    return snapshot(req, server_id, run, rule, name=f"{name}-shelved")
