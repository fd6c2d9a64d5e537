"""Snapshots in Glance (createImage, shelve): the image record is made
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

from nova import exception
from nova.api.compute.handlers.server_common import caller, compute_of, load
from nova.compute import actions as action_service
from nova.compute import image_api

LOG = logging.getLogger(__name__)


def snapshot(req, server_id, run, rule, *, name, metadata=None,
             image_type="snapshot", extra=None):
    """Create the image, ``run(image)`` (the server's side, in its
    transaction), upload the data; ``run``'s result. ``rule``: the
    action's policy, checked before Glance is asked anything."""
    images = compute_of(req).images
    context = req.context
    with req.app.backends.db.reader() as session:
        instance = load(req, session, server_id, rule)
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


def _discard(images, context, image_id):
    try:
        images.delete(context, image_id)
    except exception.NovaError as exc:
        LOG.warning("Could not delete the unfinished snapshot %s: %s",
                    image_id, exc.message)
