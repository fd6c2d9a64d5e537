"""[compute]: the built-in compute driver and its hosts."""

from oslo_config import cfg

GROUP = "compute"

OPTS = [
    cfg.StrOpt("driver", default="builtin", choices=("builtin",),
               help="Compute driver. ``builtin`` is a faithful state "
                    "machine over the hosts below (no hypervisor)."),
    cfg.ListOpt("hosts", default=["compute1:nova:16:32768:1000"],
                help="Hosts of the built-in driver, each "
                     "``name:availability_zone:vcpus:ram_mb:disk_gb``."),
    cfg.FloatOpt("cpu_allocation_ratio", default=4.0, min=0.0,
                 help="Virtual CPUs placed per physical CPU."),
    cfg.FloatOpt("ram_allocation_ratio", default=1.0, min=0.0,
                 help="RAM placed per MB of host RAM."),
    cfg.FloatOpt("disk_allocation_ratio", default=1.0, min=0.0,
                 help="Disk placed per GB of host disk."),
    cfg.FloatOpt("build_time", default=1.0, min=0.0,
                 help="Seconds a server of the built-in driver stays in "
                      "BUILD before it is ACTIVE."),
    cfg.FloatOpt("action_time", default=0.5, min=0.0,
                 help="Seconds a reboot, stop or start of the built-in "
                      "driver takes."),
    cfg.StrOpt("default_availability_zone", default="nova",
               help="Availability zone of hosts that name none, and the "
                    "zone servers report when not placed on a host."),
    cfg.BoolOpt("enable_instance_password", default=True,
                help="Return an adminPass when a server is created."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]


def parse_hosts(conf):
    """[(name, az, vcpus, ram_mb, disk_gb)] from [compute] hosts."""
    hosts = []
    for entry in conf.compute.hosts:
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) != 5 or not parts[0]:
            raise ValueError(
                f"[compute] hosts entry {entry!r}: expected "
                "name:availability_zone:vcpus:ram_mb:disk_gb")
        name, zone, vcpus, ram, disk = parts
        try:
            numbers = int(vcpus), int(ram), int(disk)
        except ValueError:
            raise ValueError(
                f"[compute] hosts entry {entry!r}: vcpus, ram_mb and "
                "disk_gb must be integers") from None
        hosts.append((name, zone or conf.compute.default_availability_zone,
                      *numbers))
    return hosts
