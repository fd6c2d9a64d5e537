"""Rendered JSON, remembered by everything it is made from.

A server's detailed view, or a page of flavors, is a pure function of some
rows and of how they are shown (microversion, link base, the caller's view
rights, host states, image properties...). Handlers read what identifies
the rows on every request as usual, then look the JSON up here by a key
made of that and of how it is shown: the same rows asked for the same way
are turned into JSON once, not on every request.

The invariant everything here rests on: **every write that changes what a
server's view shows moves the server's ``revision``, and every write to
anything but its state also moves its ``view_revision``**. One function
does it for every writer (``nova.db.revisions.moved``: the ORM's version
counter, the Core path of the hot actions, the metadata API's password);
``tests/functional/test_revisions.py`` performs every write route and
action and fails when one leaves a stale view behind. What a view shows
from outside the server's rows (host states, image properties, its
groups, the clock's "due" transitions) is part of the key itself. So a
change made by this process or another is a new key: nothing is ever
stale and nothing needs invalidating.

The stores are bounded (entries and bytes): when full, a store is emptied
and fills again. They belong to the application object (``ComputeApp
.render_cache``): two apps, as two processes, share nothing.
"""

import contextlib
import json
import threading

from nova.api.compute import server_details
from nova.api.compute.views import servers as views
from nova.compute import server_groups
from nova.compute import servers as service
from nova.db import revisions


def freeze(value):
    """A hashable stand-in for nested dicts/lists of plain values."""
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


class Objects:
    """Objects remembered by key, kept as they are (never to be changed by
    whoever gets them), each counted at the size the caller gives."""

    def __init__(self, max_entries=4096, max_bytes=16 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._objects = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        return self._objects.get(key)

    def keep(self, key, value, size):
        with self._lock:
            if (len(self._objects) >= self.max_entries
                    or self._bytes + size > self.max_bytes):
                self.clear()
            if size <= self.max_bytes:
                self._objects[key] = value
                self._bytes += size

    def clear(self):
        self._objects = {}
        self._bytes = 0


class Memo(Objects):
    """Response bodies: each encoded as JSON once, counted at its length."""

    def __init__(self, max_entries=512, max_bytes=32 * 1024 * 1024):
        super().__init__(max_entries, max_bytes)

    def put(self, key, body):
        """Encode ``body`` as JSON, remember it under ``key``; the bytes."""
        return self.keep_bytes(key, json.dumps(body).encode())

    def keep_bytes(self, key, data):
        """Remember ``data`` (a body already encoded) under ``key``."""
        self.keep(key, data, len(data))
        return data


# -- a view without its state, and with a new one ---------------------------

# Every key ``views.state_fields`` may give (and "progress", which it may
# leave out).
STATE_KEYS = frozenset((
    "status", "updated", "OS-SRV-USG:launched_at", "OS-EXT-STS:task_state",
    "OS-EXT-STS:vm_state", "OS-EXT-STS:power_state", "progress", "locked",
    "locked_reason"))


def without_state(view):
    """What ``with_state`` needs of a rendered view: its status, and the
    JSON of the rest of it (a server's state changes far more often than
    the rest, which is thus encoded once)."""
    rest = {k: v for k, v in view.items() if k not in STATE_KEYS}
    return view["status"], json.dumps(rest).encode()


def with_state(kept, instance, ctx):
    """The JSON of a server's view from ``kept`` (``without_state`` of its
    view rendered at an earlier state, same ``view_revision``) and the
    fields of its state now; None when a fault may come or go (a status of
    FAULT_STATUSES then or now), which needs a whole rendering. The same
    object as a whole rendering, with the state fields last."""
    status, rest = kept
    fields = views.state_fields(instance, ctx)
    if status in views.FAULT_STATUSES or \
            fields["status"] in views.FAULT_STATUSES:
        return None
    return rest[:-1] + b", " + json.dumps(fields).encode()[1:]


class RenderCache:
    """The rendered JSON of one compute app.

    ``servers``: detailed views of servers by everything they are made of
    (see ``render_servers``). ``server_views``: one server's view (show)
    as its JSON without the state fields, by all it is made of but its
    state (``view_revision``): after a state-only change (a reboot, a
    lock) only the state fields are encoded. ``flavors``: pages of
    flavors by their rows and how they are shown.
    """

    def __init__(self):
        self.servers = Memo(max_entries=50000, max_bytes=32 * 1024 * 1024)
        self.server_views = Objects(max_entries=4096,
                                    max_bytes=16 * 1024 * 1024)
        self.flavors = Memo(max_entries=256, max_bytes=8 * 1024 * 1024)

    def clear(self):
        for store in (self.servers, self.server_views, self.flavors):
            store.clear()

    def render_servers(self, req, db, keys, network, with_groups=False):
        """{uuid: detailed view as JSON} of the servers of ``keys``
        (``nova.db.revisions.PAGE_KEY_COLUMNS`` rows), each rendered once per
        version of it.

        A server's JSON is taken from ``servers`` when that same revision
        was already rendered the same way (microversion, the caller's
        view rights, link base, host states, image properties, for one
        server its groups), and only the others are read whole and
        rendered (see the module's invariant).
        """
        with contextlib.ExitStack() as stack:
            session = None

            def reader():
                # One read transaction for all the reads, on the driver's
                # connection (the statements are built and compiled once),
                # begun only when something must be read.
                nonlocal session
                if session is None:
                    session = stack.enter_context(db.transaction())
                return session

            return self._render(req, reader, keys, network, with_groups)

    def _render(self, req, reader, keys, network, with_groups):
        images, host_states = {}, {}
        if req.is_version("2.16") or req.is_version("2.98"):
            images, host_states = server_details.shared_context(
                req, reader(), [k.image_ref for k in keys])
        groups = None
        if with_groups and req.is_version("2.71"):
            groups = server_groups.groups_of(reader(),
                                             [k.uuid for k in keys])
        probe = views.DetailContext(
            req, metadata={}, tags={}, fixed_ips={}, faults={},
            network_name=network.name, host_states=host_states,
            images=images)
        now = probe.now
        links = probe.links
        how = (req.version, probe.show_extended, probe.show_host_status,
               probe.show_flavor_specs, links.api_base, links.bookmark_base,
               network.name, tuple(sorted(host_states.items()))
               if probe.show_host_status else None)
        with_images = probe.at["2.98"]

        def key_of(row):
            # A page key row says whether the transition is due; a whole
            # row (rendered as of ``now``) is checked here.
            due = row.due if hasattr(row, "due") else revisions.due_of(
                row, now)
            image = freeze(images.get(row.image_ref)) if with_images \
                else None
            group = None if groups is None else tuple(groups[row.uuid])
            return (row.uuid, row.revision, due, image, group, how)

        def static_key(row):
            # Everything but the state: see with_state.
            image = freeze(images.get(row.image_ref)) if with_images \
                else None
            group = None if groups is None else tuple(groups[row.uuid])
            return (row.uuid, row.view_revision, image, group, how)

        rendered, missing = {}, []
        if not with_images and groups is None and keys and hasattr(
                keys[0], "due"):
            # A page's key rows, shown without per-image or per-group
            # parts (key_of, spelled out: this runs for every server of
            # every page).
            get = self.servers.get
            for row in keys:
                fragment = get((row.uuid, row.revision, row.due, None, None,
                                how))
                if fragment is None:
                    break
                rendered[row.uuid] = fragment
            else:
                return rendered
            rendered = {}
        for row in keys:
            key = key_of(row)
            fragment = self.servers.get(key)
            if fragment is None and hasattr(row, "view_revision"):
                # Only the state changed since (a reboot, a lock): the
                # rest of the view stands, the state fields are redone.
                earlier = self.server_views.get(static_key(row))
                data = earlier and with_state(earlier, row, probe)
                if data is not None:
                    fragment = self.servers.keep_bytes(key, data)
            if fragment is None:
                missing.append(row.uuid)
            else:
                rendered[row.uuid] = fragment
        if missing:
            session = reader()
            rows, fixed = service.servers_by_uuid(session, missing, network)
            # The probe's answers (versions, policy, now) stand.
            ctx = server_details.detail_context(
                req, session, rows, fixed, shared=(images, host_states),
                ctx=probe)
            if groups is not None:
                ctx.server_groups = groups
            for row in rows:
                view = views.detail(req, row, ctx)
                rendered[row.uuid] = self.servers.put(key_of(row), view)
                if len(keys) == 1:  # one server's: not every page's rows
                    kept = without_state(view)
                    self.server_views.keep(static_key(row), kept,
                                           len(kept[1]))
        return rendered
