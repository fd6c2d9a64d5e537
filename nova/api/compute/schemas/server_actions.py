"""Request schemas of the server actions beyond reboot/stop/start, and of
os-instance-actions, os-migrations, a server's migrations and
os-interface."""


from nova.api.compute.common import (
    NON_NEGATIVE,
    STRINGS,
    query_schema,
    single,
)
from nova.api.compute.schemas import types
from nova.api.compute.schemas.servers import (
    _PERSONALITY,
    _SERVER_DESCRIPTION,
    FQDN,
    HOSTNAME,
    METADATA,
)
from nova.api.validation import Versioned


def _action(name, body):
    return {"type": "object", "properties": {name: body},
            "required": [name], "additionalProperties": False}


def null_action(name):
    return _action(name, {"type": "null"})


def any_action(name):
    """An action whose value upstream does not look at: {"pause": null},
    {"pause": {}} and {"pause": 1} all pause (tempest sends {})."""
    return _action(name, {})


_STRICT = {"type": "object", "additionalProperties": False}

LOCK = Versioned(
    ("2.1", "2.72", any_action("lock")),
    ("2.73", None, _action("lock", {"oneOf": [
        {"type": "null"},
        {**_STRICT, "properties": {"locked_reason": {
            "type": "string", "minLength": 1, "maxLength": 255}}}]})),
)

_REBUILD_BASE = {
    "imageRef": {"type": "string", "format": "uuid"},
    "name": types.NAME,
    "adminPass": {"type": "string"},
    "metadata": METADATA,
    "preserve_ephemeral": types.BOOLEAN,
    "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
    "accessIPv4": {"type": "string", "format": "ipv4"},
    "accessIPv6": {"type": "string", "format": "ipv6"},
}


def _rebuild(extra):
    props = {k: v for k, v in {**_REBUILD_BASE, **extra}.items()
             if v is not None}
    return _action("rebuild", {**_STRICT, "properties": props,
                               "required": ["imageRef"]})


_RB219 = {**_PERSONALITY, "description": _SERVER_DESCRIPTION}
_RB254 = {**_RB219, "key_name": {"type": ["string", "null"],
                                 "minLength": 1, "maxLength": 255}}
_RB257 = {**_RB254, "personality": None,
          "user_data": {"type": ["string", "null"], "format": "base64",
                        "maxLength": 65535}}
_RB263 = {**_RB257, "trusted_image_certificates": {
    "type": ["array", "null"], "minItems": 1, "maxItems": 50,
    "uniqueItems": True, "items": {"type": "string", "minLength": 1}}}
_RB290 = {**_RB263, "hostname": HOSTNAME}
_RB294 = {**_RB263, "hostname": FQDN}
REBUILD = Versioned(
    ("2.1", "2.18", _rebuild(_PERSONALITY)),
    ("2.19", "2.53", _rebuild(_RB219)),
    ("2.54", "2.56", _rebuild(_RB254)),
    ("2.57", "2.62", _rebuild(_RB257)),
    ("2.63", "2.89", _rebuild(_RB263)),
    ("2.90", "2.93", _rebuild(_RB290)),
    ("2.94", None, _rebuild(_RB294)),
)

RESIZE = _action("resize", {**_STRICT, "properties": {
    "flavorRef": {"type": ["string", "integer"], "minLength": 1},
    "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]}},
    "required": ["flavorRef"]})

# Before 2.56 upstream validates nothing of it (a host given is ignored).
MIGRATE = Versioned(
    ("2.1", "2.55", _action("migrate", {})),
    ("2.56", None, _action("migrate", {"oneOf": [
        {"type": "null"},
        {**_STRICT, "properties": {"host": {
            **FQDN, "type": ["string", "null"]}}}]})),
)

# os-migrateLive: "host" is required but may be null (the scheduler
# picks); before 2.25 block_migration and disk_over_commit are required
# booleans, from 2.25 block_migration may be "auto" and disk_over_commit
# is gone; "force" from 2.30 until 2.67.
_LIVE_HOST = {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
              "pattern": "^[a-zA-Z0-9-._]*$"}
_BLOCK_AUTO = {**types.BOOLEAN, "enum": [*types.BOOLEAN["enum"], "auto"]}


def _migrate_live(**properties):
    return _action("os-migrateLive", {
        **_STRICT, "properties": {"host": _LIVE_HOST, **properties},
        "required": ["host", *(k for k in properties if k != "force")]})


_LIVE_225 = _migrate_live(block_migration=_BLOCK_AUTO)
MIGRATE_LIVE = Versioned(
    ("2.1", "2.24", _migrate_live(block_migration=types.BOOLEAN,
                                  disk_over_commit=types.BOOLEAN)),
    ("2.25", "2.29", _LIVE_225),
    ("2.30", "2.67", _migrate_live(block_migration=_BLOCK_AUTO,
                                   force=types.BOOLEAN)),
    ("2.68", None, _LIVE_225),
)

CREATE_IMAGE = _action("createImage", {**_STRICT, "properties": {
    "name": types.NAME,
    "metadata": {"type": "object", "patternProperties": {
        r"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string",
                                       "maxLength": 255}},
        "additionalProperties": False}},
    "required": ["name"]})

CREATE_BACKUP = _action("createBackup", {**_STRICT, "properties": {
    "name": types.NAME,
    "backup_type": {"type": "string"},
    # upstream's non_negative_integer
    "rotation": {"type": ["integer", "string"], "pattern": "^[0-9]*$",
                 "minimum": 0, "minLength": 1},
    "metadata": CREATE_IMAGE["properties"]["createImage"]["properties"][
        "metadata"]},
    "required": ["name", "backup_type", "rotation"]})

CONSOLE_OUTPUT = _action("os-getConsoleOutput", {
    **_STRICT, "properties": {"length": {
        "type": ["integer", "string", "null"], "pattern": r"^-?[0-9]+$",
        "minimum": -1}}})

CHANGE_PASSWORD = _action("changePassword", {**_STRICT, "properties": {
    "adminPass": {"type": "string"}}, "required": ["adminPass"]})

UNSHELVE = Versioned(
    ("2.1", "2.76", any_action("unshelve")),
    ("2.77", "2.90", _action("unshelve", {"oneOf": [
        {"type": "null"},
        {**_STRICT, "properties": {"availability_zone": types.NAME},
         "required": ["availability_zone"]}]})),
    # From 2.91 {} is a plain unshelve, and upstream checks no length:
    # an unknown zone or host is refused further on (400).
    ("2.91", None, _action("unshelve", {"oneOf": [
        {"type": "null"},
        {**_STRICT, "properties": {
            "availability_zone": {"type": ["string", "null"]},
            "host": {"type": "string"}}}]})),
)

RESCUE = _action("rescue", {"oneOf": [{"type": "null"}, {
    **_STRICT, "properties": {
        "adminPass": {"type": "string"},
        "rescue_image_ref": {"type": "string", "format": "uuid"}}}]})

RESET_STATE = _action("os-resetState", {
    "type": "object",
    "properties": {"state": {"type": "string", "enum": ["active", "error"]}},
    "required": ["state"], "additionalProperties": False})


def security_group_action(name):
    """addSecurityGroup / removeSecurityGroup: ``{"name": ...}``."""
    return _action(name, {**_STRICT, "properties": {
        "name": {"type": "string", "minLength": 1}}, "required": ["name"]})


# -- a server's live migrations -----------------------------------------------

FORCE_COMPLETE = null_action("force_complete")
# One action, named by the body's only key.
MIGRATION_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}
# Unknown query parameters are refused from 2.102, as everywhere.
SERVER_MIGRATIONS_QUERY = Versioned(
    ("2.1", "2.101", query_schema({})),
    ("2.102", None, query_schema({}, strict=True)),
)
ANY_QUERY = query_schema({})

# -- collections --------------------------------------------------------------

# From 2.58 (instance actions) and 2.59 (migrations) the paging and time
# parameters are given once at most, as upstream's single_param.
_ONE = single({"type": "string"})
_ACTIONS_258 = {"limit": single(NON_NEGATIVE), "marker": _ONE,
                "changes-since": _ONE}
INSTANCE_ACTIONS_QUERY = Versioned(
    ("2.1", "2.57", query_schema({})),
    ("2.58", "2.65", query_schema(_ACTIONS_258, strict=True)),
    ("2.66", None, query_schema({**_ACTIONS_258, "changes-before": _ONE},
                                strict=True)),
)
_MIG = {name: STRINGS for name in ("hidden", "host", "instance_uuid",
                                   "source_compute", "status",
                                   "migration_type")}
_MIG_259 = {**_MIG, "limit": single(NON_NEGATIVE), "marker": _ONE,
            "changes-since": _ONE}
_MIG_266 = {**_MIG_259, "changes-before": _ONE}
_MIG_280 = {**_MIG_266, "user_id": _ONE, "project_id": _ONE}
MIGRATIONS_QUERY = Versioned(
    ("2.1", "2.58", query_schema(_MIG)),
    ("2.59", "2.65", query_schema(_MIG_259, strict=True)),
    ("2.66", "2.79", query_schema(_MIG_266, strict=True)),
    ("2.80", None, query_schema(_MIG_280, strict=True)),
)



# POST /servers/{id}/os-interface (with [neutron]); ``tag`` from 2.49.
def _interface_attach(tagged):
    attachment = {
        "net_id": types.UUID, "port_id": types.UUID,
        "fixed_ips": {"type": "array", "minItems": 1, "maxItems": 1,
                      "items": {"type": "object", "properties": {
                          "ip_address": {"type": "string",
                                         "format": "ip-address"}},
                          "required": ["ip_address"],
                          "additionalProperties": False}}}
    if tagged:
        attachment["tag"] = {"type": "string", "maxLength": 60,
                             "pattern": "^[^,/]*$"}
    return {"type": "object", "properties": {"interfaceAttachment": {
        **_STRICT, "properties": attachment}},
        "additionalProperties": False}


INTERFACE_ATTACH = Versioned(
    ("2.1", "2.48", _interface_attach(False)),
    ("2.49", None, _interface_attach(True)),
)
