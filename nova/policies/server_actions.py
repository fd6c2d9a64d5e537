"""The server actions beyond reboot/stop/start, os-instance-actions,
os-interface, os-migrations, a server's live migrations and diagnostics:
upstream's rule names and defaults."""

from oslo_policy import policy

from nova.policies import base

_ACTION = "/servers/{server_id}/action (%s)"
PAUSE = "os_compute_api:os-pause-server:%s"
SUSPEND = "os_compute_api:os-suspend-server:%s"
LOCK = "os_compute_api:os-lock-server:%s"
SHELVE = "os_compute_api:os-shelve:%s"
DEFERRED = "os_compute_api:os-deferred-delete:%s"
S = "os_compute_api:servers:%s"
CONSOLE_OUTPUT = "os_compute_api:os-console-output"
ADMIN_PASSWORD = "os_compute_api:os-admin-password"
RESCUE = "os_compute_api:os-rescue"
UNRESCUE = "os_compute_api:os-unrescue"
IA = "os_compute_api:os-instance-actions:%s"
INTERFACES = "os_compute_api:os-attach-interfaces:%s"
MIGRATIONS = "os_compute_api:os-migrations:index"
MIGRATE = "os_compute_api:os-migrate-server:%s"
SERVER_MIGRATIONS = "os_compute_api:servers:migrations:%s"
RESET_STATE = "os_compute_api:os-admin-actions:reset_state"
INJECT_NETWORK_INFO = "os_compute_api:os-admin-actions:inject_network_info"
DIAGNOSTICS = "os_compute_api:os-server-diagnostics"
CREATE_BACKUP = "os_compute_api:os-create-backup"

M, R, A = (base.PROJECT_MEMBER_OR_ADMIN, base.PROJECT_READER_OR_ADMIN,
           base.ADMIN)
MG = base.PROJECT_MANAGER_OR_ADMIN
_SM = "/servers/{server_id}/migrations"

# Upstream (32.0.0) split a ``...:host`` rule off live migration and the
# list of a server's live migrations; an operator's override of the older
# rule still applies to the new one.
_SPLIT = ("A rule of its own now decides the case with a host; an "
          "override of the older rule still applies to it.")


def _split_from(name):
    return policy.DeprecatedRule(name, A, deprecated_reason=_SPLIT,
                                 deprecated_since="32.0.0")


def _act(name, check, description, action):
    return base.rule(name, check, description,
                     [("POST", _ACTION % action)])


RULES = [
    _act(PAUSE % "pause", M, "Pause a server.", "pause"),
    _act(PAUSE % "unpause", M, "Unpause a paused server.", "unpause"),
    _act(SUSPEND % "suspend", M, "Suspend a server.", "suspend"),
    _act(SUSPEND % "resume", M, "Resume a suspended server.", "resume"),
    _act(LOCK % "lock", M, "Lock a server.", "lock"),
    _act(LOCK % "unlock", M, "Unlock a locked server.", "unlock"),
    _act(LOCK % "unlock:unlock_override", A,
         "Unlock a server locked by someone else (an admin).", "unlock"),
    _act(S % "rebuild", M, "Rebuild a server.", "rebuild"),
    _act(S % "rebuild:trusted_certs", M,
         "Rebuild a server with trusted image certificates (2.63).",
         "rebuild"),
    _act(S % "resize", M, "Resize a server.", "resize"),
    _act(S % "confirm_resize", M, "Confirm a resize.", "confirmResize"),
    _act(S % "revert_resize", M, "Revert a resize.", "revertResize"),
    _act(MIGRATE % "migrate", A, "Cold migrate a server to another host.",
         "migrate"),
    _act(MIGRATE % "migrate:host", A,
         "Cold migrate a server to a named host (2.56).", "migrate"),
    _act(MIGRATE % "migrate_live", MG,
         "Live migrate a server to a new host without a reboot without "
         "specifying a host.", "os-migrateLive"),
    base.rule(MIGRATE % "migrate_live:host", A,
              "Live migrate a server to a specified host without a reboot.",
              [("POST", _ACTION % "os-migrateLive")],
              deprecated_rule=_split_from(MIGRATE % "migrate_live")),
    _act(S % "create_image", M, "Create an image from a server.",
         "createImage"),
    _act(CREATE_BACKUP, M, "Create a back-up of a server (an image, the "
         "oldest beyond the rotation deleted).", "createBackup"),
    _act(S % "trigger_crash_dump", M,
         "Trigger a crash dump in a server (2.17).", "trigger_crash_dump"),
    _act(CONSOLE_OUTPUT, M, "Show a server's console output.",
         "os-getConsoleOutput"),
    _act(ADMIN_PASSWORD, M, "Change a server's administrative password.",
         "changePassword"),
    _act(SHELVE % "shelve", M, "Shelve a server.", "shelve"),
    _act(SHELVE % "shelve_offload", A,
         "Offload a shelved server from its host.", "shelveOffload"),
    _act(SHELVE % "unshelve", M, "Unshelve a server.", "unshelve"),
    _act(SHELVE % "unshelve_to_host", A,
         "Unshelve a server onto a named host (2.91).", "unshelve"),
    _act(RESCUE, M, "Rescue a server.", "rescue"),
    _act(UNRESCUE, M, "Unrescue a rescued server.", "unrescue"),
    _act(DEFERRED % "restore", M, "Restore a soft-deleted server.",
         "restore"),
    _act(DEFERRED % "force", M, "Delete a server at once (also a "
         "soft-deleted one).", "forceDelete"),
    base.rule(IA % "list", R, "List a server's actions.",
              [("GET", "/servers/{server_id}/os-instance-actions")]),
    base.rule(IA % "show", R, "Show one action of a server.",
              [("GET", "/servers/{server_id}/os-instance-actions/"
                       "{request_id}")]),
    base.rule(IA % "events", A,
              "Show an action's events before 2.51, their tracebacks and "
              "hosts (2.62).",
              [("GET", "/servers/{server_id}/os-instance-actions/"
                       "{request_id}")]),
    base.rule(IA % "events:details", A,
              "Show the details of an action's events (2.84).",
              [("GET", "/servers/{server_id}/os-instance-actions/"
                       "{request_id}")]),
    base.rule(INTERFACES % "list", R, "List a server's interfaces.",
              [("GET", "/servers/{server_id}/os-interface")]),
    base.rule(INTERFACES % "show", R, "Show one interface of a server.",
              [("GET", "/servers/{server_id}/os-interface/{port_id}")]),
    base.rule(INTERFACES % "create", M,
              "Attach an interface (a Neutron port) to a server.",
              [("POST", "/servers/{server_id}/os-interface")]),
    base.rule(INTERFACES % "delete", M,
              "Detach an interface from a server.",
              [("DELETE", "/servers/{server_id}/os-interface/{port_id}")]),
    base.rule(MIGRATIONS, A, "List migrations (resizes).",
              [("GET", "/os-migrations")]),
    base.rule(SERVER_MIGRATIONS % "show", A,
              "Show details for an in-progress live migration for a given "
              "server.", [("GET", _SM + "/{migration_id}")]),
    base.rule(SERVER_MIGRATIONS % "force_complete", MG,
              "Force an in-progress live migration for a given server to "
              "complete.",
              [("POST", _SM + "/{migration_id}/action (force_complete)")]),
    base.rule(SERVER_MIGRATIONS % "delete", MG,
              "Delete(Abort) an in-progress live migration.",
              [("DELETE", _SM + "/{migration_id}")]),
    base.rule(SERVER_MIGRATIONS % "index", MG,
              "Lists in-progress live migrations for a given server "
              "without host info.", [("GET", _SM)]),
    base.rule(SERVER_MIGRATIONS % "index:host", A,
              "Lists in-progress live migrations for a given server with "
              "host info.", [("GET", _SM)],
              deprecated_rule=_split_from(SERVER_MIGRATIONS % "index")),
    _act(RESET_STATE, A, "Reset the state of a given server.",
         "os-resetState"),
    _act(INJECT_NETWORK_INFO, A, "Inject network information into the "
         "server.", "injectNetworkInfo"),
    base.rule(DIAGNOSTICS, A, "Show the usage data for a server.",
              [("GET", "/servers/{server_id}/diagnostics")]),
]
