"""Compute API microversions: the one list, and negotiation.

``VERSIONS`` has a line per version saying what it changed and which
resources (first URL segment under ``/v2.1``) it touches. The advertised
maximum is computed, not typed: it is the highest version such that every
version up to it either touches no resource this project serves yet or is
listed among the versions that resource's handlers honour.
"""

import dataclasses
import functools
import re

import microversion_parse

from nova.api import errors

SERVICE_TYPE = "compute"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"
STANDARD_HEADER = "OpenStack-API-Version"


@dataclasses.dataclass(frozen=True)
class Change:
    version: str
    touches: tuple  # resource names, e.g. ("servers", "os-keypairs")
    change: str


def _v(version, touches, change):
    if isinstance(touches, str):
        touches = (touches,)
    return Change(version, tuple(touches), change)


from nova.api.microversion_history import HISTORY  # noqa: E402

VERSIONS = tuple(_v(*entry) for entry in HISTORY)

MIN_VERSION = (2, 1)
UPSTREAM_MAX = (2, 104)

_FORMAT = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


@functools.lru_cache(maxsize=512)
def parse(text):
    match = _FORMAT.match(text)
    if not match:
        raise ValueError(text)
    return int(match.group(1)), int(match.group(2))


def as_text(version):
    return f"{version[0]}.{version[1]}"


def compute_max(implemented, honoured):
    """Highest version whose changes to ``implemented`` are all honoured.

    ``implemented``: resource names served; ``honoured``: mapping resource
    name -> set of version strings its handlers implement.
    """
    best = MIN_VERSION
    for entry in VERSIONS:
        for resource in entry.touches:
            if (resource in implemented
                    and entry.version not in honoured.get(resource, ())):
                return best
        best = parse(entry.version)
    return best


_ENVIRON_KEYS = tuple(
    (name.lower(), "HTTP_" + name.upper().replace("-", "_"))
    for name in (STANDARD_HEADER, LEGACY_HEADER))


class Negotiator:
    """Turns request headers into a version tuple for one API range."""

    def __init__(self, max_version, min_version=MIN_VERSION):
        self.min = min_version
        self.max = max_version

    def negotiate(self, environ):
        """The requested version; raises BadRequest or NotAcceptable."""
        # The two headers as the server hands them over (a dash or an
        # underscore in the name: both become "_" in the environ).
        headers = {name: environ[key] for name, key in _ENVIRON_KEYS
                   if key in environ}
        if not headers:
            return self.min
        try:
            requested = microversion_parse.get_version(
                headers, SERVICE_TYPE, legacy_headers=[LEGACY_HEADER])
        except ValueError:
            requested = None
        if requested is None:
            return self.min
        requested = requested.strip()
        if requested.lower() == "latest":
            return self.max
        try:
            version = parse(requested)
        except ValueError:
            raise errors.BadRequest(
                f"API Version String {requested} is of invalid format. Must "
                f"be of format MajorNum.MinorNum.") from None
        if not self.min <= version <= self.max:
            raise errors.NotAcceptable(
                f"Version {requested} is not supported by the API. Minimum "
                f"is {as_text(self.min)} and maximum is "
                f"{as_text(self.max)}.",
                headers=header_list(requested))
        return version


def response_headers(version):
    text = version if isinstance(version, str) else as_text(version)
    return {
        STANDARD_HEADER: f"{SERVICE_TYPE} {text}",
        LEGACY_HEADER: text,
    }


def header_list(version):
    """The headers every versioned response carries, ``Vary`` included."""
    return list(response_headers(version).items()) + [
        ("Vary", STANDARD_HEADER), ("Vary", LEGACY_HEADER)]
