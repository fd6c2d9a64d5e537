"""[network]: the built-in flat network (used when Neutron is not)."""

import uuid

from oslo_config import cfg

GROUP = "network"

OPTS = [
    cfg.StrOpt("name", default="private",
               help="Name of the flat network; servers show their addresses "
                    "under it."),
    cfg.StrOpt("uuid",
               sample_default="<uuid5 of the name>",
               help="UUID of the flat network, as given in a server's "
                    "'networks'. Default: derived from the name."),
    cfg.StrOpt("cidr", default="10.0.0.0/24",
               help="IPv4 range the flat network hands addresses out of."),
    cfg.StrOpt("gateway",
               help="Gateway of the network. Default: the first address of "
                    "the range."),
    cfg.ListOpt("dns_servers", default=[],
                help="DNS servers announced to guests (network_data.json)."),
    cfg.IntOpt("mtu", default=1500, min=68, help="MTU of the network."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]


def network_uuid(conf):
    return conf.network.uuid or str(uuid.uuid5(uuid.NAMESPACE_URL,
                                               "nova-flat-network:"
                                               + conf.network.name))
