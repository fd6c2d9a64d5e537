"""Flavor views at each microversion (2.55 description, 2.61 extra_specs,
2.75 swap as an integer, 2.102 without rxtx_factor and disabled)."""

from nova.api.compute.common import Links


def basic(req, flavor, links=None):
    links = links or Links(req)
    view = {"id": flavor.flavorid, "name": flavor.name,
            "links": links.resource("flavors", flavor.flavorid)}
    if req.is_version("2.55"):
        view["description"] = flavor.description
    return view


def detail(req, flavor, extra_specs=None, links=None):
    """``extra_specs``: the flavor's specs, or None when not to be shown."""
    links = links or Links(req)
    view = {
        "id": flavor.flavorid,
        "name": flavor.name,
        "ram": flavor.memory_mb,
        "disk": flavor.root_gb,
        "swap": flavor.swap if (flavor.swap or req.is_version("2.75")) else "",
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": flavor.disabled,
        "vcpus": flavor.vcpus,
        "os-flavor-access:is_public": flavor.is_public,
        "rxtx_factor": flavor.rxtx_factor,
        "links": links.resource("flavors", flavor.flavorid),
    }
    if req.is_version("2.102"):
        del view["OS-FLV-DISABLED:disabled"]
        del view["rxtx_factor"]
    if req.is_version("2.55"):
        view["description"] = flavor.description
    if req.is_version("2.61") and extra_specs is not None:
        view["extra_specs"] = extra_specs
    return view
