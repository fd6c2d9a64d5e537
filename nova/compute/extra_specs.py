"""Validation of flavor extra specs (microversion 2.86 and later).

Keys in a namespace this project knows must be known keys with valid
values; keys in other namespaces pass untouched, as upstream allows for
out-of-tree drivers and filters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nova import exception

if TYPE_CHECKING:
    from collections.abc import Mapping

_BOOL = ("true", "false", "yes", "no", "1", "0", "on", "off")


def _enum(*values):
    def check(value):
        return value in values, f"one of {', '.join(values)}"
    return check


def _int(minimum=0):
    def check(value):
        return (value.isdigit() and int(value) >= minimum,
                f"an integer >= {minimum}")
    return check


def _bool(value):
    return value.lower() in _BOOL, "a boolean"


def _page_size(value):
    ok = value in ("small", "large", "any") or re.fullmatch(
        r"[0-9]+([KMGT]i?B?)?", value, re.I) is not None
    return ok, "small, large, any or a size such as 2MB"


def _trait(value):
    return value in ("required", "forbidden"), "required or forbidden"


# Exact keys in known namespaces.
_KEYS = {
    "hw:cpu_policy": _enum("shared", "dedicated", "mixed"),
    "hw:cpu_thread_policy": _enum("prefer", "isolate", "require"),
    "hw:cpu_emulator_threads": _enum("share", "isolate"),
    "hw:cpu_sockets": _int(1), "hw:cpu_cores": _int(1),
    "hw:cpu_threads": _int(1), "hw:cpu_max_sockets": _int(1),
    "hw:cpu_max_cores": _int(1), "hw:cpu_max_threads": _int(1),
    "hw:cpu_realtime": _bool, "hw:cpu_dedicated_mask": lambda v: (True, ""),
    "hw:cpu_realtime_mask": lambda v: (True, ""),
    "hw:mem_page_size": _page_size, "hw:numa_nodes": _int(1),
    "hw:mem_encryption": _bool, "hw:boot_menu": _bool,
    "hw:watchdog_action": _enum("none", "pause", "poweroff", "reset",
                                "disabled"),
    "hw:serial_port_count": _int(0), "hw:pmu": _bool,
    "hw:hide_hypervisor_id": _bool, "hw:vif_multiqueue_enabled": _bool,
    "hw:tpm_version": _enum("1.2", "2.0"),
    "hw:tpm_model": _enum("tpm-tis", "tpm-crb"),
    "hw:emulation_architecture": _enum("aarch64", "ppc64le", "s390x",
                                       "x86_64"),
    "hw:virtio_packed_ring": _bool, "hw:locked_memory": _bool,
    "hw:maxphysaddr_mode": _enum("passthrough", "emulate"),
    "hw:maxphysaddr_bits": _int(1),
    "hw_rng:allowed": _bool, "hw_rng:rate_bytes": _int(0),
    "hw_rng:rate_period": _int(0),
    "hw_video:ram_max_mb": _int(0),
    "os:secure_boot": _enum("required", "disabled", "optional"),
    "os:monitors": _int(1),
}
# Keys with a variable part.
_PATTERNS = [
    (re.compile(r"^hw:numa_(cpus|mem)\.[0-9]+$"), lambda v: (True, "")),
    (re.compile(r"^hw:(cpu|mem)_quota$"), _int(0)),
    (re.compile(r"^quota:[a-z_]+$"), _int(0)),
    (re.compile(r"^resources[a-zA-Z0-9_-]*:[A-Z0-9_]+$"), _int(0)),
    (re.compile(r"^trait[a-zA-Z0-9_-]*:[A-Z0-9_]+$"), _trait),
]
_KNOWN_NAMESPACES = ("hw", "hw_rng", "hw_video", "os", "quota")


def validate(specs: Mapping[str, object]) -> None:
    for key, value in specs.items():
        value = str(value)
        check = _KEYS.get(key)
        if check is None:
            for pattern, candidate in _PATTERNS:
                if pattern.match(key):
                    check = candidate
                    break
        if check is None:
            namespace = key.split(":", 1)[0] if ":" in key else None
            if namespace in _KNOWN_NAMESPACES:
                raise exception.Invalid(
                    f"Validation failed; extra spec {key!r} is not a known "
                    f"key in the {namespace!r} namespace.")
            continue
        ok, expected = check(value)
        if not ok:
            raise exception.Invalid(
                f"Validation failed; {value!r} is not a valid value for "
                f"extra spec {key!r}: expected {expected}.")
