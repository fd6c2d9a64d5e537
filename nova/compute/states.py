"""Server states: vm_state + task_state -> status, and the reverse."""

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


def status(vm_state, task_state):
    if vm_state == ACTIVE:
        return _ACTIVE_TASKS.get(task_state, "ACTIVE")
    return _BY_VM_STATE.get(vm_state, "UNKNOWN")


def from_status(name):
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
