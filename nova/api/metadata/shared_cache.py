"""The optional cache that the metadata API's processes share (oslo.cache).

Each process keeps its own cache of ``InstanceData`` (``instance.Cache``);
with ``[cache] enabled = true`` a second level, shared by every process
and host through a cache server (Redis or memcached, through oslo.cache),
spares each new process the database reads of a guest that another
process has served already.

Freshness is kept by the key, not by expiry: an entry is stored under the
server's ``revision``, which every change of the server moves, so a
change made through the compute API sends the very next request to a new
key (and to the database). ``expiration_time`` only bounds the memory of
entries nobody asks for any more.

The cache is never needed for an answer: when the server cannot be
reached (or answers with an error, or too slowly: ``socket_timeout``),
the request is served from the database, a warning is logged once, and
the cache is tried again ``RETRY_AFTER`` seconds later (a line is logged
when it works again).

Options are oslo.cache's own ``[cache]`` options, read by oslo.cache from
the same files as the rest of the configuration. Nothing of oslo.cache,
dogpile.cache or a cache client is imported unless ``[cache] enabled`` is
true: ``load(conf)`` first reads that one option on its own.
"""

import base64
import hashlib
import json
import logging
import threading
import time
import weakref

from oslo_config import cfg

LOG = logging.getLogger(__name__)

RETRY_AFTER = 30.0
_FORMAT = 1  # the layout of a stored entry; a new layout uses new keys


_LOADED = {}  # id(conf) -> (weakref to conf, SharedCache or None)


def load(conf):
    """The shared cache of ``conf``'s deployment, or None when disabled
    (one per configuration: the paste file builds the app more than once).
    """
    ref, cache = _LOADED.get(id(conf), (None, None))
    if ref is not None and ref() is conf:
        return cache
    cache = _load(conf)
    key = id(conf)
    _LOADED[key] = (weakref.ref(
        conf, lambda _ref, key=key: _LOADED.pop(key, None)), cache)
    return cache


def _load(conf):
    files = list(getattr(conf, "default_config_files", None) or [])
    dirs = list(getattr(conf, "default_config_dirs", None) or [])
    probe = cfg.ConfigOpts()
    probe.register_opt(cfg.BoolOpt("enabled", default=False), group="cache")
    cache_conf = _parse(probe, files, dirs)
    if not cache_conf.cache.enabled:
        return None
    import oslo_cache  # noqa: PLC0415 - only when enabled

    full = cfg.ConfigOpts()
    oslo_cache.configure(full)
    _parse(full, files, dirs)
    return SharedCache(full, namespace=_namespace(conf))


def _parse(conf, files, dirs):
    from nova import config_files, exception  # noqa: PLC0415 - loading imports the app modules

    try:
        conf(args=[], project="nova", default_config_files=files,
             default_config_dirs=dirs)
    except cfg.Error as exc:
        raise exception.StartupError(f"Configuration error: {exc}.") from None
    config_files.validate(conf)
    return conf


def _namespace(conf):
    """Keys of deployments on different databases never meet."""
    url = str(conf.database.connection)
    return "nova-metadata:" + hashlib.sha256(url.encode()).hexdigest()[:16]


class SharedCache:
    """``get``/``put`` of ``InstanceData`` by uuid and revision."""

    def __init__(self, conf, namespace):
        import oslo_cache  # noqa: PLC0415 - only when enabled

        self.region = oslo_cache.create_region()
        oslo_cache.configure_cache_region(conf, self.region)
        self.namespace = namespace
        self.backend = conf.cache.backend
        self._retry_at = 0.0  # while now < this, the server is down
        self._lock = threading.Lock()
        LOG.info("Metadata shared cache: %s", self.backend)

    def key(self, uuid, revision):
        return f"{self.namespace}:{_FORMAT}:{uuid}:{revision}"

    def get(self, uuid, revision, factory):
        """The entry, rebuilt with ``factory(**fields)``, or None."""
        if not self._usable():
            return None
        try:
            value = self.region.get(self.key(uuid, revision))
        except Exception as exc:  # noqa: BLE001 - any backend failure
            self._failed(exc)
            return None
        self._worked()
        if not isinstance(value, str):  # NO_VALUE, or not ours
            return None
        try:
            return factory(**_decode(value))
        except (ValueError, TypeError, KeyError) as exc:
            LOG.warning("Ignoring an unreadable metadata cache entry for "
                        "instance %s: %s", uuid, exc)
            return None

    def put(self, data):
        if not self._usable():
            return
        try:
            self.region.set(self.key(data.uuid, data.stamp), _encode(data))
        except Exception as exc:  # noqa: BLE001 - any backend failure
            self._failed(exc)
            return
        self._worked()

    # -- a server that is down costs one try every RETRY_AFTER seconds ------

    def _usable(self):
        return not self._retry_at or time.monotonic() >= self._retry_at

    def _failed(self, exc):
        with self._lock:
            first = not self._retry_at
            self._retry_at = time.monotonic() + RETRY_AFTER
        if first:
            LOG.warning("The metadata shared cache (%s) failed: %s; serving "
                        "from the database, trying the cache again every "
                        "%d s", self.backend, _reason(exc), RETRY_AFTER)

    def _worked(self):
        if self._retry_at:
            with self._lock:
                back, self._retry_at = bool(self._retry_at), 0.0
            if back:
                LOG.info("The metadata shared cache (%s) works again",
                         self.backend)


def _reason(exc):
    """The exception's class and message, never a URL with credentials."""
    text = str(exc).split("\n")[0][:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the stored form: JSON of the fields (no pickled objects of ours) ---------

_BYTES = ("user_data",)


def _encode(data):
    fields = {}
    for name, value in vars(data).items():
        if name == "rendered":
            continue
        if name in _BYTES and value is not None:
            value = base64.b64encode(value).decode()
        fields[name] = value
    return json.dumps(fields, separators=(",", ":"))


def _decode(text):
    fields = json.loads(text)
    for name in _BYTES:
        if fields.get(name) is not None:
            fields[name] = base64.b64decode(fields[name])
    fields["fixed_ips"] = [tuple(pair) for pair in fields["fixed_ips"]]
    return fields
