"""Views of limits, quota sets and quota class sets, by microversion."""

from nova.compute import quotas

# (name in /limits, resource), in upstream's order.
_MAXIMA = (
    ("maxTotalCores", "cores"), ("maxPersonality", "injected_files"),
    ("maxPersonalitySize", "injected_file_content_bytes"),
    ("maxTotalInstances", "instances"), ("maxTotalKeypairs", "key_pairs"),
    ("maxServerMeta", "metadata_items"), ("maxImageMeta", "metadata_items"),
    ("maxTotalRAMSize", "ram"), ("maxServerGroups", "server_groups"),
    ("maxServerGroupMembers", "server_group_members"),
    ("maxTotalFloatingIps", "floating_ips"),
    ("maxSecurityGroups", "security_groups"),
    ("maxSecurityGroupRules", "security_group_rules"),
)
_USED = (
    ("totalRAMUsed", "ram"), ("totalCoresUsed", "cores"),
    ("totalInstancesUsed", "instances"),
    ("totalFloatingIpsUsed", "floating_ips"),
    ("totalSecurityGroupsUsed", "security_groups"),
    ("totalServerGroupsUsed", "server_groups"),
)
_LIMITS_236 = ("floating_ips", "security_groups", "security_group_rules")
_LIMITS_257 = ("injected_files", "injected_file_content_bytes")


def absolute(req, limits, used):
    hidden = set()
    if req.is_version("2.36"):
        hidden.update(_LIMITS_236)
    if req.is_version("2.57"):
        hidden.update(_LIMITS_257)
    view = {}
    for name, resource in _MAXIMA:
        if resource in hidden or (name == "maxImageMeta"
                                  and req.is_version("2.39")):
            continue
        view[name] = limits[resource]
    for name, resource in _USED:
        if resource not in hidden:
            view[name] = used[resource]
    return view


def _quota_set_hidden(req):
    hidden = set()
    if req.is_version("2.36"):
        hidden.update(quotas.NETWORK_RESOURCES)
    if req.is_version("2.57"):
        hidden.update(quotas.INJECTED_FILE_RESOURCES)
    return hidden


def quota_set(req, project_id, limits, used=None, reserved=0):
    """``{"quota_set": ...}``; with ``used``, the detail form; without
    ``project_id`` (update's answer), no id."""
    hidden = _quota_set_hidden(req)
    view = {} if project_id is None else {"id": str(project_id)}
    for resource in quotas.RESOURCES:
        if resource in hidden:
            continue
        if used is None:
            view[resource] = limits[resource]
        else:
            view[resource] = {"limit": limits[resource],
                              "in_use": used[resource],
                              "reserved": reserved}
    return {"quota_set": view}


def quota_class_set(req, class_name, limits):
    if req.is_version("2.50"):
        hidden = set(quotas.NETWORK_RESOURCES)
    else:  # server groups were missing from the answers before 2.50
        hidden = {"server_groups", "server_group_members"}
    if req.is_version("2.57"):
        hidden.update(quotas.INJECTED_FILE_RESOURCES)
    view = {} if class_name is None else {"id": str(class_name)}
    view.update((r, limits[r]) for r in quotas.RESOURCES if r not in hidden)
    return {"quota_class_set": view}
