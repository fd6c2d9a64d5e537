"""What a server's detailed view needs besides its own row.

Image properties (2.98), host states (2.16), metadata, tags, addresses,
faults and, for one server, its groups (2.71): read in bulk for a page
(one statement each, an expanding IN of the servers' uuids), in an ORM
session or a ``nova.db.statements.Transaction``, into a
``views.DetailContext``.
"""

import sqlalchemy as sa

from nova.api.compute.views import servers as views
from nova.compute import driver as driver_mod
from nova.compute import images as image_service
from nova.compute import server_groups, states
from nova.compute import servers as service
from nova.db import statements
from nova.db.models import ComputeHost, Image


def shared_context(req, session, image_refs):
    """(image properties by ref, {host: host_status} of hosts not up): the
    parts of a detailed view that come from outside the servers' own
    rows."""
    images = {}
    if req.is_version("2.98"):
        refs = {r for r in image_refs if r}
        if refs:
            found = {row.id: row for row in statements.rows(
                session, _ACTIVE_IMAGES, {"ids": list(refs)})}
            for ref in refs:
                image = found.get(ref)
                images[ref] = image_service.properties(image) if image \
                    else {}
    host_states = {}
    if req.is_version("2.16"):
        # Upstream's host_status: DOWN when forced down, MAINTENANCE when
        # disabled, "" when the service is gone.
        for host, is_disabled, forced_down, deleted in statements.rows(
                session, _HOST_STATES):
            if deleted:
                host_states[host] = ""
            elif forced_down:
                host_states[host] = "DOWN"
            elif is_disabled:
                host_states[host] = "MAINTENANCE"
    return images, host_states


# Built once: they run in an ORM session or a ``Transaction``.
_ACTIVE_IMAGES = sa.select(Image.id, Image.properties).where(
    Image.id.in_(sa.bindparam("ids", expanding=True)),
    Image.status == "active")


_HOST_STATES = sa.select(ComputeHost.host, ComputeHost.disabled,
                         ComputeHost.forced_down, ComputeHost.deleted)


def detail_context(req, session, instances, fixed_ips, shared=None,
                   with_groups=False, ctx=None):
    """What the detailed views of ``instances`` need, loaded in bulk.

    ``with_groups``: the server_groups of 2.71, which upstream shows for one
    server (show, update, rebuild), never in lists. ``ctx``: a context made
    for this request already, filled in instead of a new one."""
    uuids = [i.uuid for i in instances]
    images, host_states = shared or shared_context(
        req, session, [i.image_ref for i in instances])
    parts = dict(
        metadata=service.metadata_of(session, uuids),
        tags=service.tags_of(session, uuids) if req.is_version("2.26")
        else {},
        fixed_ips=fixed_ips, faults=service.fault_of(session, [
            i.uuid for i in instances
            if driver_mod.effective(i)[0] in (states.ERROR,
                                              states.DELETED)]),
        network_name=req.app.backends.compute.network.name,
        images=images, host_states=host_states,
        server_groups=(server_groups.groups_of(session, uuids)
                       if with_groups and req.is_version("2.71") else None))
    if ctx is None:
        return views.DetailContext(req, **parts)
    ctx.__dict__.update(parts)
    return ctx
