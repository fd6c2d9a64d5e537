"""[filter_scheduler]: which of upstream's scheduler filters are on."""

from oslo_config import cfg

GROUP = "filter_scheduler"

# Upstream Nova's default list.
DEFAULT_FILTERS = ["ComputeFilter", "ComputeCapabilitiesFilter",
                   "ImagePropertiesFilter", "ServerGroupAntiAffinityFilter",
                   "ServerGroupAffinityFilter"]

OPTS = [
    cfg.ListOpt("enabled_filters", default=DEFAULT_FILTERS,
                help="Scheduler filters in effect, by upstream's names. "
                     "Add SameHostFilter and DifferentHostFilter to honour "
                     "the same_host and different_host scheduler hints "
                     "(both off by default, as upstream). Capacity, zone "
                     "and server-group rules always apply; other names "
                     "are accepted and change nothing."),
]


def register_opts(conf):
    conf.register_opts(OPTS, group=GROUP)


def list_opts():
    return [(GROUP, OPTS)]
