"""Request schemas of /servers and what hangs below it."""

import copy

from nova.api.compute.common import LIMIT, STRINGS, query_schema
from nova.api.compute.schemas import types
from nova.api.validation import Versioned

METADATA = {
    "type": "object",
    "patternProperties": {
        r"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string", "maxLength": 255}},
    "additionalProperties": False,
}
TAG = {"type": "string", "minLength": 1, "maxLength": 60,
       "pattern": r"^[^,/]*$"}
# Upstream's hostname (2.90-2.93): 2 to 63 letters, digits and hyphens,
# not starting or ending with a hyphen.
HOSTNAME = {"type": "string", "minLength": 2, "maxLength": 63,
            "pattern": r"^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$"}
# Upstream's fqdn (hostname from 2.94, host names): letters, digits, "-",
# "." and "_" (which real systems use) in any order, 1 to 255 of them. A
# requested hostname is stored and shown as given, as upstream.
FQDN = {"type": "string", "minLength": 1, "maxLength": 255,
        "pattern": r"^[a-zA-Z0-9-._]*$"}
_SERVER_DESCRIPTION = {**types.DESCRIPTION, "maxLength": 255}
_IMAGE_REF = {"oneOf": [types.UUID, {"type": "string", "maxLength": 0}]}
_NETWORK = {
    "type": "object",
    "properties": {
        "fixed_ip": {"type": "string", "oneOf": [{"format": "ipv4"},
                                                 {"format": "ipv6"}]},
        "port": {"oneOf": [types.UUID, {"type": "null"}]},
        "uuid": {"type": "string"},
    },
    "additionalProperties": False,
}
_NETWORK_TAGGED = copy.deepcopy(_NETWORK)
_NETWORK_TAGGED["properties"]["tag"] = {
    "type": "string", "minLength": 1, "maxLength": 60,
    "pattern": r"^[^,/]*$"}

# Block device mappings: the legacy form (block_device_mapping) and v2,
# as upstream's schemas take them; the handler then refuses every one
# that needs block storage (all but a local image disk), as there is none.
_LEGACY_BDM_PROPERTIES = {
    "virtual_name": {"type": "string", "maxLength": 255},
    "volume_id": types.UUID,
    "snapshot_id": types.UUID,
    "volume_size": types.POSITIVE_INT32,
    "device_name": {"type": "string", "minLength": 1, "maxLength": 255,
                    "pattern": "^[a-zA-Z0-9._/-]*$"},
    "delete_on_termination": types.BOOLEAN,
    "no_device": {},
    "connection_info": {"type": "string", "maxLength": 16777215},
}
_LEGACY_BDM = {"type": "array", "items": {
    "type": "object", "properties": _LEGACY_BDM_PROPERTIES,
    "additionalProperties": False}}
_BDM_V2_PROPERTIES = {
    **_LEGACY_BDM_PROPERTIES,
    "source_type": {"type": "string",
                    "enum": ["volume", "image", "snapshot", "blank"]},
    "uuid": {"type": "string", "minLength": 1, "maxLength": 255,
             "pattern": "^[a-zA-Z0-9._-]*$"},
    "image_id": types.UUID,
    "destination_type": {"type": "string", "enum": ["local", "volume"]},
    "guest_format": {"type": "string", "maxLength": 255},
    "device_type": {"type": "string", "maxLength": 255},
    "disk_bus": {"type": "string", "maxLength": 255},
    "boot_index": {"type": ["integer", "string", "null"],
                   "pattern": "^-?[0-9]+$"},
}


def _bdm_v2(**extra):
    return {"type": "array", "items": {
        "type": "object", "properties": {**_BDM_V2_PROPERTIES, **extra},
        "additionalProperties": False}}


_BASE_SERVER = {
    "type": "object",
    "properties": {
        "name": types.NAME,
        "imageRef": _IMAGE_REF,
        "flavorRef": {"type": ["string", "integer"], "minLength": 1},
        "adminPass": {"type": "string"},
        "metadata": METADATA,
        "networks": {"type": "array", "items": _NETWORK},
        "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
        "accessIPv4": {"type": "string", "format": "ipv4"},
        "accessIPv6": {"type": "string", "format": "ipv6"},
        "availability_zone": types.NAME,
        "key_name": types.NAME,
        "user_data": {"type": "string", "format": "base64",
                      "maxLength": 65535},
        "security_groups": {
            "type": "array",
            "items": {"type": "object",
                      # no "required": upstream drops nameless entries
                      "properties": {"name": types.NAME},
                      "additionalProperties": False}},
        "config_drive": types.BOOLEAN,
        "min_count": types.POSITIVE_INTEGER,
        "max_count": types.POSITIVE_INTEGER,
        "return_reservation_id": types.BOOLEAN,
        "block_device_mapping": _LEGACY_BDM,
        "block_device_mapping_v2": _bdm_v2(),
    },
    "required": ["name", "flavorRef"],
    "additionalProperties": False,
}


# Scheduler hints: any keys, those upstream knows in its forms.
_SERVER_IDS = {"oneOf": [types.UUID, {"type": "array", "items": types.UUID}]}
_HINTS = {"type": "object", "properties": {
    "group": _SERVER_IDS,
    "different_host": _SERVER_IDS,
    "same_host": {"type": ["string", "array"], "items": types.UUID},
    "query": {"type": ["string", "object"]},
    "target_cell": types.NAME,
    "different_cell": {"type": ["string", "array"],
                       "items": {"type": "string"}},
    "build_near_host_ip": {"type": "string",
                           "oneOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
    "cidr": {"type": "string", "pattern": "^/[0-9a-f.:]+$"},
}}


def _create(server_changes=None, required=None, top=None):
    server = copy.deepcopy(_BASE_SERVER)
    for key, value in (server_changes or {}).items():
        if value is None:
            server["properties"].pop(key, None)
        else:
            server["properties"][key] = value
    if required:
        server["required"] = server["required"] + list(required)
    schema = {
        "type": "object",
        "properties": {
            "server": server,
            "OS-SCH-HNT:scheduler_hints": _HINTS,
            "os:scheduler_hints": _HINTS,
        },
        "required": ["server"],
        "additionalProperties": False,
    }
    schema["properties"].update(top or {})
    return schema


_V219 = {"description": _SERVER_DESCRIPTION}
# 2.32 tags networks and block device mappings; 2.33 (by mistake) the
# networks only, 2.37 neither; 2.42 both again; 2.67 gives block device
# mappings a volume_type.
_V233 = {**_V219, "networks": {"type": "array", "items": _NETWORK_TAGGED}}
_V232 = {**_V233, "block_device_mapping_v2": _bdm_v2(tag=TAG)}
_NETWORK_UUID = copy.deepcopy(_NETWORK)
_NETWORK_UUID["properties"]["uuid"] = types.UUID
_NETWORK_UUID_TAGGED = copy.deepcopy(_NETWORK_TAGGED)
_NETWORK_UUID_TAGGED["properties"]["uuid"] = types.UUID
# 2.37 made networks required (a list, "auto" or "none") and, by mistake,
# dropped networks[].tag; 2.42 restored it.
_V237 = {**_V219, "networks": {"oneOf": [
    {"type": "array", "items": _NETWORK_UUID},
    {"type": "string", "enum": ["none", "auto"]}]}}
_V242 = {**_V219, "networks": {"oneOf": [
    {"type": "array", "items": _NETWORK_UUID_TAGGED},
    {"type": "string", "enum": ["none", "auto"]}]},
    "block_device_mapping_v2": _bdm_v2(tag=TAG)}
_V252 = {**_V242, "tags": {"type": "array", "items": TAG, "maxItems": 50}}
_V257 = {**_V252, "personality": None}
_V263 = {**_V257, "trusted_image_certificates": {
    "type": ["array", "null"], "minItems": 1, "maxItems": 50,
    "uniqueItems": True,
    "items": {"type": "string", "minLength": 1}}}
_V267 = {**_V263, "block_device_mapping_v2": _bdm_v2(
    tag=TAG, volume_type={"type": ["string", "null"], "minLength": 0,
                          "maxLength": 255})}
_V274 = {**_V267, "host": FQDN, "hypervisor_hostname": FQDN}
_V290 = {**_V274, "hostname": HOSTNAME}
_V294 = {**_V290, "hostname": FQDN}
_PERSONALITY = {"personality": {
    "type": "array",
    "items": {"type": "object",
              "properties": {"path": {"type": "string"},
                             "contents": {"type": "string",
                                          "format": "base64"}},
              "additionalProperties": False}}}

CREATE = Versioned(
    ("2.1", "2.18", _create(_PERSONALITY)),
    ("2.19", "2.31", _create({**_PERSONALITY, **_V219})),
    ("2.32", "2.32", _create({**_PERSONALITY, **_V232})),
    ("2.33", "2.36", _create({**_PERSONALITY, **_V233})),
    ("2.37", "2.41", _create({**_PERSONALITY, **_V237}, ["networks"])),
    ("2.42", "2.51", _create({**_PERSONALITY, **_V242}, ["networks"])),
    ("2.52", "2.56", _create({**_PERSONALITY, **_V252}, ["networks"])),
    ("2.57", "2.62", _create(_V257, ["networks"])),
    ("2.63", "2.66", _create(_V263, ["networks"])),
    ("2.67", "2.73", _create(_V267, ["networks"])),
    ("2.74", "2.89", _create(_V274, ["networks"])),
    ("2.90", "2.93", _create(_V290, ["networks"])),
    ("2.94", None, _create(_V294, ["networks"])),
)

_UPDATE_BASE = {
    "name": types.NAME,
    "accessIPv4": {"type": "string", "format": "ipv4"},
    "accessIPv6": {"type": "string", "format": "ipv6"},
    "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
}


def _update(extra=None):
    return {"type": "object",
            "properties": {"server": {
                "type": "object",
                "properties": {**_UPDATE_BASE, **(extra or {})},
                "additionalProperties": False}},
            "required": ["server"], "additionalProperties": False}


_PINNED = {"pinned_availability_zone": {"type": ["string", "null"],
                                        "minLength": 1, "maxLength": 255}}
UPDATE = Versioned(
    ("2.1", "2.18", _update()),
    ("2.19", "2.89", _update({"description": _SERVER_DESCRIPTION})),
    ("2.90", "2.93", _update({"description": _SERVER_DESCRIPTION,
                              "hostname": HOSTNAME})),
    ("2.94", "2.103", _update({"description": _SERVER_DESCRIPTION,
                               "hostname": FQDN})),
    ("2.104", None, _update({"description": _SERVER_DESCRIPTION,
                             "hostname": FQDN, **_PINNED})),
)

# Query parameters of GET /servers and /servers/detail. Before 2.75 unknown
# ones are ignored; from 2.75 they are refused. Those upstream matches as
# regular expressions must be ones (not empty, compiled by Python's re),
# whoever asks and whether or not the filter is then applied.
_REGEX = {"type": "array", "items": {"type": "string", "format": "regex"}}
_LIST_PROPS = {name: STRINGS for name in (
    "user_id", "project_id", "tenant_id", "launch_index", "image_ref",
    "image", "vm_state", "task_state", "host", "uuid", "sort_key",
    "sort_dir", "all_tenants", "soft_deleted", "deleted", "status",
    "changes-since", "marker", "block_device_mapping", "services",
    "metadata", "system_metadata", "info_cache", "security_groups",
    "pci_devices")}
_LIST_PROPS.update({name: _REGEX for name in (
    "kernel_id", "ramdisk_id", "hostname", "key_name", "power_state",
    "node", "flavor", "reservation_id", "launched_at", "terminated_at",
    "availability_zone", "name", "display_name", "description",
    "display_description", "locked_by", "root_device_name", "config_drive",
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress", "ip",
    "ip6", "created_at")})
_LIST_PROPS["limit"] = LIMIT
_LIST_226 = {**_LIST_PROPS, "tags": _REGEX, "tags-any": _REGEX,
             "not-tags": _REGEX, "not-tags-any": _REGEX}
_LIST_266 = {**_LIST_226, "changes-before": STRINGS}
_LIST_273 = {**_LIST_266, "locked": STRINGS}
LIST_QUERY = Versioned(
    ("2.1", "2.25", query_schema(_LIST_PROPS)),
    ("2.26", "2.65", query_schema(_LIST_226)),
    ("2.66", "2.72", query_schema(_LIST_266)),
    ("2.73", "2.74", query_schema(_LIST_273)),
    ("2.75", None, query_schema(_LIST_273, strict=True)),
)


METADATA_SET = {"type": "object", "properties": {"metadata": METADATA},
                "required": ["metadata"], "additionalProperties": False}
METADATA_ITEM = {
    "type": "object",
    "properties": {"meta": {**METADATA, "minProperties": 1,
                            "maxProperties": 1}},
    "required": ["meta"], "additionalProperties": False}
# PUT /servers/{id}/tags/{tag}: no body, or null.
TAG_PUT = {"type": "null"}
TAGS_SET = {"type": "object",
            "properties": {"tags": {"type": "array", "items": TAG,
                                    "maxItems": 50}},
            "required": ["tags"], "additionalProperties": False}

ACTION = {
    "type": "object",
    "minProperties": 1, "maxProperties": 1,
}
REBOOT = {
    "type": "object",
    "properties": {"reboot": {
        "type": "object",
        "properties": {"type": {"type": "string",
                                "enum": ["HARD", "Hard", "hard", "SOFT",
                                         "Soft", "soft"]}},
        "required": ["type"], "additionalProperties": False}},
    "required": ["reboot"], "additionalProperties": False,
}
# Upstream takes any value for these two, as for pause and the like.
STOP = {"type": "object", "properties": {"os-stop": {}},
        "required": ["os-stop"], "additionalProperties": False}
START = {"type": "object", "properties": {"os-start": {}},
         "required": ["os-start"], "additionalProperties": False}
