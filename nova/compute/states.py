"""Server states: vm_state + task_state -> status, and the reverse."""

from __future__ import annotations

ACTIVE, BUILDING, STOPPED, ERROR = "active", "building", "stopped", "error"
DELETED, SOFT_DELETED = "deleted", "soft-deleted"
PAUSED, SUSPENDED, RESCUED = "paused", "suspended", "rescued"
RESIZED, SHELVED, SHELVED_OFFLOADED = "resized", "shelved", "shelved_offloaded"

REBOOT_TASKS = ("rebooting", "reboot_pending", "reboot_started")
HARD_REBOOT_TASKS = ("rebooting_hard", "reboot_pending_hard",
                     "reboot_started_hard")

_BY_VM_STATE = {
    BUILDING: "BUILD", STOPPED: "SHUTOFF", ERROR: "ERROR",
    DELETED: "DELETED", SOFT_DELETED: "SOFT_DELETED", PAUSED: "PAUSED",
    SUSPENDED: "SUSPENDED", RESCUED: "RESCUE", RESIZED: "VERIFY_RESIZE",
    SHELVED: "SHELVED", SHELVED_OFFLOADED: "SHELVED_OFFLOADED",
}
_ACTIVE_TASKS = {
    **{t: "REBOOT" for t in REBOOT_TASKS},
    **{t: "HARD_REBOOT" for t in HARD_REBOOT_TASKS},
    "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD",
    "rebuild_spawning": "REBUILD", "updating_password": "PASSWORD",
    "migrating": "MIGRATING", "resize_prep": "RESIZE",
    "resize_migrating": "RESIZE", "resize_migrated": "RESIZE",
    "resize_finish": "RESIZE",
}


_RESIZE_TASKS = ("resize_prep", "resize_migrating", "resize_migrated",
                 "resize_finish")
_REBUILD_TASKS = ("rebuilding", "rebuild_block_device_mapping",
                  "rebuild_spawning")
# Tasks that change the status of servers that are not ACTIVE (upstream's
# table in nova/api/openstack/common.py).
_OTHER_TASKS = {
    STOPPED: {**{t: "RESIZE" for t in _RESIZE_TASKS},
              **{t: "REBUILD" for t in _REBUILD_TASKS}},
    ERROR: {t: "REBUILD" for t in _REBUILD_TASKS},
    RESIZED: {"resize_reverting": "REVERT_RESIZE"},
}


def status(vm_state: str, task_state: str | None) -> str:
    if vm_state == ACTIVE:
        if task_state is None:
            return "ACTIVE"
        return _ACTIVE_TASKS.get(task_state, "ACTIVE")
    if task_state is not None and vm_state in _OTHER_TASKS:
        found = _OTHER_TASKS[vm_state].get(task_state)
        if found:
            return found
    return _BY_VM_STATE.get(vm_state, "UNKNOWN")


def from_status(name: str) -> tuple[tuple[str, ...], tuple[str, ...] | None,
                                    tuple[str, ...]]:
    """(vm_states, task_states or None for any, excluded task states)."""
    name = name.upper()
    if name == "ACTIVE":
        excluded = tuple(_ACTIVE_TASKS)
        return (ACTIVE,), None, excluded
    active_tasks = tuple(t for t, s in _ACTIVE_TASKS.items() if s == name)
    if active_tasks:
        return (ACTIVE,), active_tasks, ()
    vm_states = tuple(v for v, s in _BY_VM_STATE.items() if s == name)
    return vm_states, None, ()
