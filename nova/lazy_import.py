"""Third-party modules imported on first use, not when their importer is.

``oslo_utils.strutils`` compiles about 400 regular expressions when it is
imported (some 35 ms, nearly a tenth of the compute API's start). oslo.policy
imports it at the top of ``oslo_policy.policy``, and keystoneclient (under
keystonemiddleware) at the top of two modules, yet they call it only to
mask passwords in debug logs and to make slugs: a request of this API
never does. ``defer()`` puts a stand-in for such a module in
``sys.modules`` (and on its package) before they import it. The real
module is imported the first time one of its attributes is asked for,
under a lock (once, whichever thread asks first); the stand-in then hands
every attribute over from it, and code that imports the module after that
gets the real one.
"""

import importlib
import importlib.util
import sys
import threading
import types

_LOCK = threading.RLock()
_REAL = "_nova_deferred_real"


class Deferred(types.ModuleType):
    """Stands in for a module until one of its attributes is needed."""

    def __getattr__(self, attr):
        # Called only for what the stand-in lacks: the module's own names.
        real = self.__dict__.get(_REAL) or _load(self)
        return getattr(real, attr)


def defer(name):
    """Import ``name`` (``package.module``) on first use; the package is
    imported now. Nothing is done when ``name`` is imported already, or
    cannot be found (its importer then fails as it would have)."""
    with _LOCK:
        if name in sys.modules:
            return
        package_name, _, attr = name.rpartition(".")
        package = importlib.import_module(package_name)
        spec = importlib.util.find_spec(name)
        if spec is None:
            return
        stand_in = Deferred(name)
        stand_in.__dict__.update(
            __spec__=spec, __loader__=spec.loader, __file__=spec.origin,
            __package__=package_name, **{_REAL: None})
        sys.modules[name] = stand_in
        setattr(package, attr, stand_in)


def _load(stand_in):
    with _LOCK:
        real = stand_in.__dict__.get(_REAL)
        if real is not None:
            return real
        name = stand_in.__name__
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        try:
            real = importlib.import_module(name)
        except BaseException:
            sys.modules.setdefault(name, stand_in)  # as it was
            raise
        stand_in.__dict__[_REAL] = real
        return real


def is_deferred(module):
    """Whether ``module`` is a stand-in whose module is not imported yet."""
    return isinstance(module, Deferred) and module.__dict__.get(_REAL) is None
