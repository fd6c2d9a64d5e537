"""The compute API's route table, and what its handlers honour.

One entry per (path, method). Each resource's handler module contributes
``ROUTES`` and ``HONOURED`` (the microversions whose changes to that
resource it implements); the advertised maximum microversion follows.
"""

from nova.api import microversions
from nova.api.compute.handlers import flavors

_MODULES = (flavors,)

ROUTES = tuple(route for module in _MODULES for route in module.ROUTES)

HONOURED = {}
for _module in _MODULES:
    for _resource, _versions in _module.HONOURED.items():
        HONOURED.setdefault(_resource, set()).update(_versions)

IMPLEMENTED = frozenset(route.resource for route in ROUTES)

MAX_VERSION = microversions.compute_max(IMPLEMENTED, HONOURED)
